"""Keeping the queues small and visible."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from models import InboxEvent, OutboxMessage, QueueStatus

log = logging.getLogger(__name__)

# LINE redelivers within hours, not weeks; done rows older than this can go.
INBOX_RETENTION = timedelta(days=30)


def purge_done_inbox(session: Session, now: datetime) -> int:
    result = session.execute(
        delete(InboxEvent).where(
            InboxEvent.status == QueueStatus.DONE.value,
            InboxEvent.finished_at < now - INBOX_RETENTION,
            ~InboxEvent.id.in_(
                select(OutboxMessage.inbox_event_id).where(OutboxMessage.inbox_event_id.is_not(None))
            ),
        )
    )
    return result.rowcount or 0


def queue_counts(session: Session) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for name, model in (("inbox", InboxEvent), ("outbox", OutboxMessage)):
        rows = session.execute(select(model.status, func.count()).group_by(model.status))
        counts[name] = {status: n for status, n in rows}
    return counts


def pushes_since(session: Session, since: datetime) -> int:
    """Pushes count against the channel's monthly message quota; replies are free."""
    query = select(func.count(OutboxMessage.id)).where(
        OutboxMessage.sent_as == "push", OutboxMessage.finished_at >= since
    )
    return session.scalar(query) or 0


def checkpoint_sqlite(engine: Engine) -> None:
    """Copy SQLite's write-ahead log back into the database and trim it.

    The webhook's writer never checkpoints (so no webhook waits for one); the worker's own
    writes usually do, and this hourly pass makes sure the log never grows without bound.
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
