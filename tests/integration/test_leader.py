"""The scheduler's lease: one holder at a time, renewed by its holder, taken over after it expires."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import Lease
from models.db import transaction
from scheduler.leader import hold_lease, release_lease

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)


def holder_of(sessions, name: str = "scheduler") -> tuple[str, datetime] | None:  # type: ignore[no-untyped-def]
    with transaction(sessions) as s:
        row = s.scalar(select(Lease).where(Lease.name == name))
        return (row.holder, row.expires_at) if row else None


def test_one_holder_at_a_time_renewed_by_its_holder_taken_over_after_expiry(services):
    sessions = services.sessions
    assert hold_lease(sessions, "scheduler", "a", NOW, TTL)
    assert not hold_lease(sessions, "scheduler", "b", NOW + timedelta(seconds=1), TTL)
    assert holder_of(sessions) == ("a", NOW + TTL)
    # a renews before it runs out, and keeps it past the first expiry
    assert hold_lease(sessions, "scheduler", "a", NOW + timedelta(minutes=4), TTL)
    assert holder_of(sessions) == ("a", NOW + timedelta(minutes=9))
    assert not hold_lease(sessions, "scheduler", "b", NOW + timedelta(minutes=6), TTL)
    # a stops renewing (dead): b takes it once it has expired, and a cannot take it back
    assert hold_lease(sessions, "scheduler", "b", NOW + timedelta(minutes=9, seconds=1), TTL)
    assert holder_of(sessions) == ("b", NOW + timedelta(minutes=14, seconds=1))
    assert not hold_lease(sessions, "scheduler", "a", NOW + timedelta(minutes=10), TTL)
    # other names are other leases
    assert hold_lease(sessions, "other", "a", NOW, TTL)


def test_a_released_lease_is_taken_at_once(services):
    sessions = services.sessions
    assert hold_lease(sessions, "scheduler", "a", NOW, TTL)
    assert not release_lease(sessions, "scheduler", "b")  # only the holder can give it up
    assert release_lease(sessions, "scheduler", "a")
    assert hold_lease(sessions, "scheduler", "b", NOW + timedelta(seconds=1), TTL)


def _race(sessions, name: str, now: datetime, n: int = 6) -> list[str]:  # type: ignore[no-untyped-def]
    start = threading.Barrier(n)
    winners: list[str] = []
    errors: list[BaseException] = []

    def contender(i: int) -> None:
        try:
            start.wait(5)
            if hold_lease(sessions, name, f"w{i}", now, TTL):
                winners.append(f"w{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return winners


def test_contenders_for_a_new_lease_get_one_winner(services):
    winners = _race(services.sessions, "fresh", NOW)
    assert len(winners) == 1
    assert holder_of(services.sessions, "fresh") == (winners[0], NOW + TTL)


def test_contenders_for_an_expired_lease_get_one_winner(services):
    assert hold_lease(services.sessions, "scheduler", "dead", NOW, TTL)
    winners = _race(services.sessions, "scheduler", NOW + TTL + timedelta(seconds=1))
    assert len(winners) == 1 and winners[0] != "dead"
    assert holder_of(services.sessions)[0] == winners[0]
