"""Staff accounts of the admin web: who may sign in, with which role, for which district.

Roles (issue 6): `admin` (the centre: every district, settings, users), `head` and `officer` (their
own district only), `viewer` (read-only, every district), `intake` (the centre's call-takers and the
front desks, issue 15: enter complaints that come by phone, letter or in person, and read every
district's complaints, but act on none and see no settings or reports). Passwords are stored as
Werkzeug's scrypt hashes. Wrong passwords are throttled per account and per address, so guessing is
slowed down without letting a stranger lock a real user out for long.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import Base, UtcDateTime
from models.districts import District

ROLES = ("admin", "head", "officer", "viewer", "intake")
DISTRICT_ROLES = ("head", "officer")  # bound to one district
EVERY_DISTRICT_ROLES = ("admin", "viewer", "intake")  # read every district's complaints
INTAKE_ROLES = ("admin", "intake")  # enter complaints from other channels (admin/intake_pages.py)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD = 10
MAX_FAILURES = 5  # wrong passwords per account (or per address) within FAILURE_WINDOW
FAILURE_WINDOW = timedelta(minutes=15)
PAUSE = timedelta(minutes=15)


@functools.cache
def dummy_hash() -> str:
    """Checked against when the account does not exist, so a wrong name costs as long as a wrong password.

    Made at the first sign-in, not at import: every process (CLI, worker) would pay a tenth of a second.
    """
    return generate_password_hash("not a password of anyone")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Bumped when the password changes or the account is switched off: older sessions stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    def may_see(self, district_code: str | None) -> bool:
        """Whether this user may read a complaint (or report) of that district."""
        if self.role in EVERY_DISTRICT_ROLES:
            return True
        return district_code is not None and district_code == self.district_code

    def may_act(self, district_code: str | None) -> bool:
        """Whether this user may change a complaint of that district (viewers and intake never)."""
        if self.role == "admin":
            return True
        return self.role in DISTRICT_ROLES and self.may_see(district_code)


class LoginFailures(Base):
    """Recent wrong passwords per key ("user:NAME" or "addr:IP")."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class StaffError(ValueError):
    """A staff account that cannot be made as asked (the message says why, for the admin)."""


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    district_code: str | None,
    now: datetime,
) -> StaffUser:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise StaffError("a username is 3-40 lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise StaffError(f"the role is one of {', '.join(ROLES)}")
    if role in DISTRICT_ROLES:
        if not district_code or session.get(District, district_code) is None:
            raise StaffError(f"a {role} needs the code of a district (e.g. 1030)")
    elif district_code:
        raise StaffError(f"an {role} sees every district: no --district")
    check_password(password)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == name)) is not None:
        raise StaffError(f"the username {name} is taken")
    user = StaffUser(
        username=name,
        password_hash=generate_password_hash(password),
        role=role,
        district_code=district_code if role in DISTRICT_ROLES else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"a password has at least {MIN_PASSWORD} characters")
    if password.strip() != password or not password.strip():
        raise StaffError("a password does not begin or end with spaces")


def set_password(session: Session, user: StaffUser, password: str) -> None:
    check_password(password)
    user.password_hash = generate_password_hash(password)
    user.session_version += 1
    session.flush()


class SignIn(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"  # unknown user, wrong password or switched off: one answer for all
    PAUSED = "paused"  # too many wrong passwords lately


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: StaffUser | None = None


def sign_in(session: Session, username: str, password: str, address: str, now: datetime) -> SignInResult:
    """Check a log-in; count failures per account and per address; record the time of success."""
    name = username.strip().lower()
    keys = [f"user:{name}"[:120], f"addr:{address}"[:120]]
    rows = [_failures(session, key, now) for key in keys]
    if any(r.blocked_until is not None and r.blocked_until > now for r in rows):
        return SignInResult(SignIn.PAUSED)
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    good = check_password_hash(user.password_hash if user else dummy_hash(), password)
    if user is None or not good or not user.active:
        for r in rows:
            r.failures += 1
            if r.failures >= MAX_FAILURES:
                r.blocked_until = now + PAUSE
                r.failures, r.window_start = 0, now
        session.flush()
        return SignInResult(SignIn.WRONG)
    rows[0].failures = 0  # the account's own count; the address keeps its count
    user.last_login_at = now
    session.flush()
    return SignInResult(SignIn.OK, user)


def _failures(session: Session, key: str, now: datetime) -> LoginFailures:
    row = session.get(LoginFailures, key)
    if row is None:
        row = LoginFailures(key=key, failures=0, window_start=now)
        session.add(row)
    elif now - row.window_start > FAILURE_WINDOW:
        row.failures, row.window_start = 0, now
    return row
