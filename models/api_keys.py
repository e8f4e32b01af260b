"""Keys of the systems that file complaints through the Open311 API: each key is a named channel.

A key is shown once, when issued; only its SHA-256 is kept. A slow password hash would cost every
request, and a key is 32 random bytes, not a password anyone could guess.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.complaints import Complaint

DEFAULT_POSTS_PER_MINUTE = 60
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{1,59}$")
PREFIX_LENGTH = 8  # shown in lists so staff can tell keys apart


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)  # the channel's name, e.g. "city-website"
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(PREFIX_LENGTH))
    posts_per_minute: Mapped[int] = mapped_column(Integer, default=DEFAULT_POSTS_PER_MINUTE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiKeyError(ValueError):
    """A key cannot be issued or changed as asked (the message says why, in English for staff)."""


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue_key(
    session: Session, name: str, now: datetime, posts_per_minute: int = DEFAULT_POSTS_PER_MINUTE
) -> tuple[ApiKey, str]:
    """A new key named `name`; returns the row and the key itself (shown once, never stored)."""
    name = name.strip()
    if not KEY_NAME.match(name):
        raise ApiKeyError("a key's name is 2-60 letters, digits, spaces, dots, dashes or underscores")
    if session.scalar(select(ApiKey.id).where(func.lower(ApiKey.name) == name.lower())) is not None:
        raise ApiKeyError(f"a key named {name!r} exists already")
    if not 1 <= posts_per_minute <= 100_000:
        raise ApiKeyError("posts per minute is between 1 and 100000")
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        key_hash=hash_key(secret),
        key_prefix=secret[:PREFIX_LENGTH],
        posts_per_minute=posts_per_minute,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, secret


def find_key(session: Session, secret: str) -> ApiKey | None:
    """The key with this secret, revoked or not (the caller tells the two apart)."""
    if not secret or len(secret) > 200:
        return None
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))


def key_by_name(session: Session, name: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(func.lower(ApiKey.name) == name.strip().lower()))


def revoke_key(session: Session, name: str, now: datetime) -> ApiKey:
    row = key_by_name(session, name)
    if row is None:
        raise ApiKeyError(f"no key named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = now
    session.flush()
    return row


def set_limit(session: Session, name: str, posts_per_minute: int) -> ApiKey:
    row = key_by_name(session, name)
    if row is None:
        raise ApiKeyError(f"no key named {name!r}")
    if not 1 <= posts_per_minute <= 100_000:
        raise ApiKeyError("posts per minute is between 1 and 100000")
    row.posts_per_minute = posts_per_minute
    session.flush()
    return row


def posts_in_last_minute(session: Session, key: ApiKey, now: datetime) -> int:
    """Complaints this key filed in the minute before `now`: its rate, the same in every web process."""
    return (
        session.scalar(
            select(func.count(Complaint.id)).where(
                Complaint.api_key_id == key.id, Complaint.created_at > now - timedelta(minutes=1)
            )
        )
        or 0
    )


def all_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.name)))
