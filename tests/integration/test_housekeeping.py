"""Housekeeping of the queues (every backend)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.jobs import build_scheduler
from models import InboxEvent
from models.clock import clock
from models.db import transaction
from models.outbox import enqueue
from scheduler.housekeeping import purge_done_inbox, queue_counts


def add_inbox(session, event_id: str, status: str, finished: datetime | None) -> InboxEvent:  # type: ignore[no-untyped-def]
    now = clock.now()
    row = InboxEvent(
        webhook_event_id=event_id,
        event_type="message",
        event_at=now,
        received_at=now,
        payload="{}",
        chat_key="U1",
        status=status,
        attempts=1,
        next_attempt_at=now,
        finished_at=finished,
    )
    session.add(row)
    session.flush()
    return row


def test_only_old_handled_inbox_rows_are_purged(services):
    now = clock.now()
    with transaction(services.sessions) as session:
        add_inbox(session, "old-done", "done", now - timedelta(days=31))
        add_inbox(session, "recent-done", "done", now - timedelta(days=2))
        add_inbox(session, "old-failed", "failed", now - timedelta(days=31))
        add_inbox(session, "pending", "pending", None)
        answered = add_inbox(session, "old-answered", "done", now - timedelta(days=40))
        enqueue(session, "U1", [{"type": "text", "text": "x"}], now=now, inbox_id=answered.id)
    with transaction(services.sessions) as session:
        assert purge_done_inbox(session, now) == 1
        left = set(session.scalars(select(InboxEvent.webhook_event_id)))
        assert left == {"recent-done", "old-failed", "pending", "old-answered"}
        assert queue_counts(session) == {
            "inbox": {"done": 2, "failed": 1, "pending": 1},
            "outbox": {"pending": 1},
        }


def test_scheduler_has_the_housekeeping_job_in_bangkok_time(services):
    scheduler = build_scheduler(services.engine, services.sessions)
    job = scheduler.get_job("housekeeping")
    assert job is not None
    assert str(scheduler.timezone) == "Asia/Bangkok"


def test_sqlite_write_ahead_log_is_checkpointed(services):
    from scheduler.housekeeping import checkpoint_sqlite

    with transaction(services.sessions) as session:
        for i in range(50):
            add_inbox(session, f"e{i}", "done", clock.now())
    checkpoint_sqlite(services.engine)  # no error on either backend
    if services.engine.dialect.name == "sqlite":
        wal = __import__("pathlib").Path(services.engine.url.database + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
