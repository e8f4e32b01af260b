"""Taking work from the inbox and outbox: in order per chat, under a lease, with retries.

A row is *claimable* when it is pending and due, or when it is processing but its lease
ran out (the worker that took it died). A row is only taken when no earlier row of the
same chat is unfinished, so one user's events (and one user's messages) never overtake
each other. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers claim at once
without taking the same row; SQLite serialises writers, so there it is simply a write.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Row as SqlRow
from sqlalchemy import Update, and_, bindparam, exists, or_, select, text, update
from sqlalchemy.orm import Session

from models.queues import FAILED_SQL, UNFINISHED_SQL, InboxEvent, OutboxMessage, QueueStatus

Row = TypeVar("Row", InboxEvent, OutboxMessage)

ERROR_TEXT_LIMIT = 2000


# What a claim returns: what the worker needs to handle an event or send a message (each column
# returned costs the driver an object per row, several times a second).
CLAIMED_COLUMNS: dict[str, tuple[str, ...]] = {
    "inbox_events": ("id", "attempts", "chat_key", "payload", "status"),
    "outbox_messages": (
        "id",
        "attempts",
        "to",
        "chat_key",
        "messages",
        "reply_token",
        "reply_token_at",
        "retry_key",
        "status",
        "kind",
    ),
}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay_s: float = 2.0
    max_delay_s: float = 600.0

    def delay(self, attempts: int) -> timedelta:
        """Exponential back-off: 2 s, 4 s, 8 s, ... capped."""
        return timedelta(seconds=min(self.max_delay_s, self.first_delay_s * 2 ** max(0, attempts - 1)))


def claim(
    session: Session,
    model: type[Row],
    *,
    now: datetime,
    worker: str,
    lease: timedelta,
    limit: int,
    chat_key: str | None = None,
) -> Sequence[SqlRow[Any]]:
    """Take up to `limit` rows (one per chat at most; only `chat_key`'s if given), leased to `worker`.

    Returns the rows' columns as they are after the claim (`attempts` counts this one).
    """
    dialect = session.get_bind().dialect.name
    statement = _claim_statement(model, dialect, chat_key is not None)
    params: dict[str, Any] = {"now": now, "limit": limit, "worker": worker, "until": now + lease}
    if chat_key is not None:
        params["b_chat_key"] = chat_key
    rows = session.connection().execute(statement, params).all()
    return sorted(rows, key=lambda r: r.id)  # RETURNING promises no order


# The statements below run several times for every event: each is built once, with bound parameters
# (building a statement costs more than running it), and runs on the session's connection, outside
# the ORM's bookkeeping (no loaded object needs to follow these columns).


@functools.cache
def _finish_statement(model: type[Row], columns: tuple[str, ...], leased: bool) -> Update:
    table = model.__table__
    statement = update(table).where(table.c.id == bindparam("row_id"))
    if leased:
        statement = statement.where(
            table.c.claimed_by == bindparam("worker"), table.c.status == QueueStatus.PROCESSING.value
        )
    return statement.values(
        status=QueueStatus.DONE.value,
        finished_at=bindparam("finished"),
        lease_until=None,
        last_error=None,
        **{name: bindparam(f"set_{name}") for name in columns},
    )


@functools.cache
def _claim_statement(model: type[Row], dialect: str, one_chat: bool) -> Update:
    """The claim, built once: one UPDATE … RETURNING that picks the rows and leases them (one round trip;
    the worker runs it several times a second, and building it costs more than running it)."""
    table = model.__table__
    earlier = table.alias("earlier")
    now = bindparam("now", type_=table.c.next_attempt_at.type)
    # The statuses are written into the SQL (not bound) so that the planners use the partial indexes
    # of unfinished rows (`models.queues.unfinished_indexes`) instead of wading through done ones.
    blocked = exists().where(
        earlier.c.chat_key == table.c.chat_key,
        earlier.c.id < table.c.id,
        text(f"earlier.{UNFINISHED_SQL}"),
    )
    claimable = or_(
        and_(table.c.status == QueueStatus.PENDING.value, table.c.next_attempt_at <= now),
        and_(table.c.status == QueueStatus.PROCESSING.value, table.c.lease_until < now),
    )
    unfinished = text(f"{table.name}.{UNFINISHED_SQL}")
    picked = (
        select(table.c.id)
        .where(unfinished, claimable, ~blocked)
        .order_by(table.c.id)
        .limit(bindparam("limit"))
    )
    if one_chat:
        picked = picked.where(table.c.chat_key == bindparam("b_chat_key"))
    if dialect == "postgresql":
        # Several workers claim at once without taking the same row.
        picked = picked.with_for_update(skip_locked=True, of=table)
    return (
        update(table)
        .where(table.c.id.in_(picked.scalar_subquery()))
        .values(
            status=QueueStatus.PROCESSING.value,
            claimed_by=bindparam("worker"),
            lease_until=bindparam("until"),
            attempts=table.c.attempts + 1,
        )
        .returning(*(table.c[name] for name in CLAIMED_COLUMNS[table.name]))
    )


def finish(
    session: Session,
    model: type[Row],
    row_id: int,
    *,
    now: datetime,
    worker: str | None = None,
    **values: object,
) -> bool:
    """Mark a row done; given `worker`, only while that worker still holds it. Returns whether it was marked.

    Checking the lease here, in the same statement, costs no round trip: a worker whose lease ran out
    while it worked finds the row taken by another and rolls its own work back.
    """
    statement = _finish_statement(model, tuple(sorted(values)), worker is not None)
    params = {"row_id": row_id, "finished": now} | {f"set_{name}": value for name, value in values.items()}
    if worker is not None:
        params["worker"] = worker
    return bool(session.connection().execute(statement, params).rowcount)


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


def unclaim(session: Session, model: type[Row], ids: list[int], worker: str) -> int:
    """Give back rows taken but not tried (an earlier message of their chat failed first): pending again,
    their try not counted (a second try is what tells a used reply token from a fresh one)."""
    if not ids:
        return 0
    result = session.execute(
        update(model)
        .where(model.id.in_(ids), model.claimed_by == worker, model.status == QueueStatus.PROCESSING.value)
        .values(
            status=QueueStatus.PENDING.value, claimed_by=None, lease_until=None, attempts=model.attempts - 1
        )
    )
    return result.rowcount or 0


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


def release(session: Session, model: type[Row], ids: list[int], worker: str, now: datetime) -> int:
    """Give back rows this worker holds but could not finish (the database went away): taken again at once."""
    if not ids:
        return 0
    result = session.execute(
        update(model)
        .where(model.id.in_(ids), model.claimed_by == worker, model.status == QueueStatus.PROCESSING.value)
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
    failed = text(f"{model.__tablename__}.{FAILED_SQL}")  # written in: the partial index of failed rows
    stmt = select(model).where(failed).order_by(model.id.desc()).limit(limit)
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
