"""Named leases: which one process runs a job (the reminder sweep) while several workers are up.

A lease row says who holds the job until when. Taking it is one conditional UPDATE (expired, or
already ours) and, when there was no row at all, one insert-or-ignore; both are atomic on SQLite
(one writer at a time) and PostgreSQL (the UPDATE re-checks its WHERE on the locked row; the insert
waits for a competing insert of the same name and then does nothing). A holder that dies simply stops
renewing, and its lease expires after `ttl`.

Exactly-once does not rest on the lease: reminders carry their own unique keys. The lease only
saves the other workers from doing the same sweep for nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session, sessionmaker

from models.db import insert_or_ignore, transaction
from models.leases import Lease


def hold_lease(
    sessions: sessionmaker[Session], name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease `name` for `holder` until `now + ttl`; False when someone else holds it."""
    if now.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    expires_at = now + ttl
    with transaction(sessions) as session:
        renewed = session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.expires_at < now, Lease.holder == holder))
            .values(holder=holder, expires_at=expires_at)
            .execution_options(synchronize_session=False)
        )
        if renewed.rowcount:  # type: ignore[attr-defined]
            return True
        # No row, or a live one of someone else: the insert settles which (a row there is kept).
        return (
            insert_or_ignore(session, Lease, ["name"], name=name, holder=holder, expires_at=expires_at) == 1
        )


def release_lease(sessions: sessionmaker[Session], name: str, holder: str) -> bool:
    """Give the lease up (on a clean shutdown) so another worker takes over at once."""
    with transaction(sessions) as session:
        result = session.execute(
            delete(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
