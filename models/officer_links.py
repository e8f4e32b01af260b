"""One-time codes that link a LINE account to an officer record, and throttling of wrong guesses."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.districts import District
from models.people import Officer


class OfficerLinkCode(Base):
    __tablename__ = "officer_link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    used_by: Mapped[str | None] = mapped_column(String(64), default=None)  # the LINE user id


class LinkAttempts(Base):
    """Wrong link codes per LINE user, so guessing is slowed down."""

    __tablename__ = "link_attempts"

    line_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
LINK_CODE_LENGTH = 10
LINK_CODE_PATTERN = re.compile(rf"^[{LINK_CODE_ALPHABET}]{{{LINK_CODE_LENGTH}}}$")
LINK_CODE_TTL = timedelta(hours=24)
MAX_FAILURES = 5  # wrong codes per user within FAILURE_WINDOW before a pause
FAILURE_WINDOW = timedelta(minutes=15)
PAUSE = timedelta(minutes=30)
ROLES = ("officer", "head")


class LinkResult(enum.StrEnum):
    LINKED = "linked"
    WRONG = "wrong"  # unknown, used, expired or for a deactivated officer: one neutral answer
    PAUSED = "paused"  # too many wrong codes lately


def looks_like_link_code(text: str) -> bool:
    return bool(LINK_CODE_PATTERN.match(text.strip().upper()))


def add_officer(session: Session, district_code: str, name: str, role: str, now: datetime) -> Officer:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if session.get(District, district_code) is None:
        raise ValueError(f"no district {district_code}")
    if not name.strip():
        raise ValueError("the officer's name must not be empty")
    officer = Officer(district_code=district_code, name=name.strip(), role=role, active=True, created_at=now)
    session.add(officer)
    session.flush()
    return officer


def new_link_code(session: Session, officer: Officer, now: datetime) -> OfficerLinkCode:
    """A fresh single-use code; earlier unused codes of the officer stop working."""
    for old in session.scalars(
        select(OfficerLinkCode).where(
            OfficerLinkCode.officer_id == officer.id, OfficerLinkCode.used_at.is_(None)
        )
    ):
        old.expires_at = min(old.expires_at, now)
    rng = secrets.SystemRandom()
    code = "".join(rng.choice(LINK_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
    row = OfficerLinkCode(code=code, officer_id=officer.id, created_at=now, expires_at=now + LINK_CODE_TTL)
    session.add(row)
    session.flush()
    return row


def link_account(
    session: Session, typed: str, line_user_id: str, now: datetime
) -> tuple[LinkResult, Officer | None]:
    attempts = session.get(LinkAttempts, line_user_id)
    if attempts is not None and attempts.blocked_until is not None and attempts.blocked_until > now:
        return LinkResult.PAUSED, None
    row = session.get(OfficerLinkCode, typed.strip().upper())
    officer = session.get(Officer, row.officer_id) if row is not None else None
    if (
        row is None
        or officer is None
        or row.used_at is not None
        or row.expires_at <= now
        or not officer.active
    ):
        _count_failure(session, attempts, line_user_id, now)
        return LinkResult.WRONG, None
    # The LINE account may have been another officer's before (a phone handed over): move it.
    for previous in session.scalars(select(Officer).where(Officer.line_user_id == line_user_id)):
        previous.line_user_id = None
    session.flush()
    officer.line_user_id = line_user_id
    row.used_at, row.used_by = now, line_user_id
    if attempts is not None:
        session.delete(attempts)
    session.flush()
    return LinkResult.LINKED, officer


def _count_failure(session: Session, attempts: LinkAttempts | None, line_user_id: str, now: datetime) -> None:
    if attempts is None:
        attempts = LinkAttempts(line_user_id=line_user_id, failures=0, window_start=now)
        session.add(attempts)
    if now - attempts.window_start > FAILURE_WINDOW:
        attempts.failures, attempts.window_start, attempts.blocked_until = 0, now, None
    attempts.failures += 1
    if attempts.failures >= MAX_FAILURES:
        attempts.blocked_until = now + PAUSE
    session.flush()


def officer_by_line_user(session: Session, line_user_id: str) -> Officer | None:
    return session.scalar(select(Officer).where(Officer.line_user_id == line_user_id))


def set_active(session: Session, officer_id: int, active: bool) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise ValueError(f"no officer {officer_id}")
    officer.active = active
    session.flush()
    return officer
