"""Taking work from the inbox and outbox: in order per chat, under a lease, with retries.

A row is *claimable* when it is pending and due, or when it is processing but its lease
ran out (the worker that took it died). A row is only taken when no earlier row of the
same chat is unfinished, so one user's events (and one user's messages) never overtake
each other. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers claim at once
without taking the same row; SQLite serialises writers, so there it is simply a write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from models.queues import InboxEvent, OutboxMessage, QueueStatus

Row = TypeVar("Row", InboxEvent, OutboxMessage)

ERROR_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay_s: float = 2.0
    max_delay_s: float = 600.0

    def delay(self, attempts: int) -> timedelta:
        """Exponential back-off: 2 s, 4 s, 8 s, ... capped."""
        return timedelta(seconds=min(self.max_delay_s, self.first_delay_s * 2 ** max(0, attempts - 1)))


def claim(
    session: Session, model: type[Row], *, now: datetime, worker: str, lease: timedelta, limit: int
) -> list[Row]:
    """Take up to `limit` rows (at most one per chat) and lease them to `worker`."""
    earlier = aliased(model)
    unfinished = (QueueStatus.PENDING.value, QueueStatus.PROCESSING.value)
    blocked = exists().where(
        earlier.chat_key == model.chat_key,
        earlier.id < model.id,
        earlier.status.in_(unfinished),
    )
    claimable = or_(
        and_(model.status == QueueStatus.PENDING.value, model.next_attempt_at <= now),
        and_(model.status == QueueStatus.PROCESSING.value, model.lease_until < now),
    )
    query = select(model).where(claimable, ~blocked).order_by(model.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=model)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = QueueStatus.PROCESSING.value
        row.claimed_by = worker
        row.lease_until = now + lease
        row.attempts += 1
    session.flush()
    return rows


def still_mine(session: Session, model: type[Row], row_id: int, worker: str) -> bool:
    """Lock the row and check that our lease was not taken over by another worker."""
    query = select(model.id).where(
        model.id == row_id, model.claimed_by == worker, model.status == QueueStatus.PROCESSING.value
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query) is not None


def finish(session: Session, model: type[Row], row_id: int, *, now: datetime, **values: object) -> None:
    session.execute(
        update(model)
        .where(model.id == row_id)
        .values(status=QueueStatus.DONE.value, finished_at=now, lease_until=None, last_error=None, **values)
    )


def fail(
    session: Session,
    model: type[Row],
    row_id: int,
    *,
    now: datetime,
    error: str,
    policy: RetryPolicy,
    retry: bool = True,
    **values: object,
) -> str:
    """Record a failed try: back off and retry, or give up after the last attempt. Returns the new status."""
    row = session.get(model, row_id)
    if row is None:
        return QueueStatus.FAILED.value
    row.last_error = error[:ERROR_TEXT_LIMIT]
    row.lease_until = None
    for key, value in values.items():
        setattr(row, key, value)
    if retry and row.attempts < policy.max_attempts:
        row.status = QueueStatus.PENDING.value
        row.next_attempt_at = now + policy.delay(row.attempts)
    else:
        row.status = QueueStatus.FAILED.value
        row.finished_at = now
    session.flush()
    return row.status


def expire_leases(session: Session, model: type[Row], workers: list[str], now: datetime) -> int:
    """End the leases of workers known to be dead: their rows are taken at once, not when the lease ends."""
    if not workers:
        return 0
    result = session.execute(
        update(model)
        .where(model.status == QueueStatus.PROCESSING.value, model.claimed_by.in_(workers))
        .values(lease_until=now - timedelta(microseconds=1))
    )
    return result.rowcount or 0


def claimants(session: Session, model: type[Row], prefix: str) -> list[str]:
    """Workers whose name starts with `prefix` holding rows of `model`."""
    query = select(model.claimed_by).where(
        model.status == QueueStatus.PROCESSING.value, model.claimed_by.startswith(prefix)
    )
    return sorted({name for name in session.scalars(query.distinct()) if name})


def failed_rows(session: Session, model: type[Row], limit: int = 200) -> list[Row]:
    """The rows that failed for good, newest first, with their reasons (`last_error`)."""
    stmt = (
        select(model).where(model.status == QueueStatus.FAILED.value).order_by(model.id.desc()).limit(limit)
    )
    return list(session.scalars(stmt))


def retry_failed(session: Session, model: type[Row], ids: list[int], now: datetime) -> list[int]:
    """Put failed rows back in the queue, due now, with fresh attempts (after a fix); returns those found."""
    rows = session.scalars(
        select(model).where(model.id.in_(ids), model.status == QueueStatus.FAILED.value)
    ).all()
    for row in rows:
        row.status = QueueStatus.PENDING.value
        row.attempts = 0
        row.next_attempt_at = now
        row.finished_at = None
        row.lease_until = None
        row.claimed_by = None
    session.flush()
    return sorted(row.id for row in rows)
