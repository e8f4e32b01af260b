"""Keeping the queues small and visible, and no photo kept for nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from models import InboxEvent, OutboxMessage, Photo, PhotoFlag, QueueStatus

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


# A photo sent in a draft that was never filed (or an upload a form sent back and nobody saved) belongs to
# no complaint: after this long nobody is still filing it, and keeping someone's photo for nothing is what
# the PDPA's data minimisation forbids. Drafts end after 30 idle minutes; officers' turns keep photo ids
# for as long as a turn can sit, so the margin is generous.
UNATTACHED_PHOTO_RETENTION = timedelta(days=30)
PHOTO_PURGE_BATCH = 1000


def purge_unattached_photos(session: Session, now: datetime) -> list[str]:
    """Delete the rows of photos attached to no complaint for UNATTACHED_PHOTO_RETENTION; returns the files
    (relative to PHOTO_DIR) no row uses any more, to delete once the transaction has committed (a rollback
    must not leave rows whose files are gone)."""
    flagged = select(PhotoFlag.photo_id).union(
        select(PhotoFlag.matched_photo_id).where(PhotoFlag.matched_photo_id.is_not(None))
    )
    rows = session.execute(
        select(Photo.id, Photo.path)
        .where(
            Photo.complaint_id.is_(None),
            Photo.created_at < now - UNATTACHED_PHOTO_RETENTION,
            Photo.id.not_in(flagged),
        )
        .order_by(Photo.id)
        .limit(PHOTO_PURGE_BATCH)
    ).all()
    if not rows:
        return []
    session.execute(delete(Photo).where(Photo.id.in_([r.id for r in rows])))
    paths = {r.path for r in rows}
    # Files are named by their content's hash: the same picture filed with a complaint shares the file.
    shared = set(session.scalars(select(Photo.path).where(Photo.path.in_(paths))))
    return sorted(paths - shared)


def delete_photo_files(photo_dir: Path, paths: list[str]) -> int:
    """Remove the files; one already gone or not removable is logged, not raised."""
    removed = 0
    for relative in paths:
        target = (photo_dir / relative).resolve()
        if photo_dir.resolve() not in target.parents:
            log.warning("photo file outside PHOTO_DIR not removed: %s", relative)
            continue
        try:
            target.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("photo file %s not removed: %s", relative, exc)
    return removed
