"""The rich menus uploaded to LINE per role, and the per-user menu changes still to be made there.

`rich_menus`: one row per role (citizen, officer): the id LINE gave the uploaded menu and a hash of what was
uploaded (its JSON and image), so `rongtook release` uploads a menu again only when it changed.

`rich_menu_links`: a user whose menu must change at LINE (an officer who linked gets the officer menu; one
switched off goes back to the citizen menu, LINE's default). The handler writes the row in its own
transaction; the worker makes the LINE call afterwards, outside any transaction, and deletes the row once
LINE took it (or retries later when LINE could not). Nothing else is kept per user: the citizen menu is
the default, so a citizen needs no row at all.

The sandbox's stand-in for LINE keeps its menus here too (`sandbox_rich_menus`, `sandbox_rich_menu_links`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.people import Officer

CITIZEN = "citizen"
OFFICER = "officer"
ROLES = (CITIZEN, OFFICER)
MAX_LINK_ATTEMPTS = 10  # then the row is dropped (logged): a user LINE keeps refusing is not retried forever


class RichMenu(Base):
    __tablename__ = "rich_menus"

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    line_menu_id: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the menu JSON and its image
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RichMenuLink(Base):
    """A menu change owed to one LINE user; deleted once LINE accepted it."""

    __tablename__ = "rich_menu_links"

    line_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # the menu the user should have now
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_try_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)


def want_menu(session: Session, line_user_id: str, role: str, now: datetime) -> None:
    """Ask for `role`'s menu for this user at LINE (done by the worker after this transaction commits).

    A later wish replaces an earlier unfinished one: an officer linked then switched off at once ends
    with the citizen menu, whatever order the calls would have gone in.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    row = session.get(RichMenuLink, line_user_id)
    if row is None:
        session.add(
            RichMenuLink(line_user_id=line_user_id, role=role, requested_at=now, next_try_at=now, attempts=0)
        )
    else:
        row.role, row.requested_at, row.next_try_at, row.attempts, row.last_error = role, now, now, 0, None
    session.flush()


def menu_for_officer(session: Session, officer: Officer, now: datetime) -> None:
    """After an officer was switched on or off: the officer menu, or the citizen menu (the default) again."""
    if officer.line_user_id:
        want_menu(session, officer.line_user_id, OFFICER if officer.active else CITIZEN, now)


def due_links(session: Session, now: datetime, limit: int = 50) -> list[RichMenuLink]:
    return list(
        session.scalars(
            select(RichMenuLink)
            .where(RichMenuLink.next_try_at <= now)
            .order_by(RichMenuLink.next_try_at, RichMenuLink.line_user_id)
            .limit(limit)
        )
    )


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … at most an hour between tries."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class SandboxRichMenu(Base):
    """A rich menu created on the sandbox's fake LINE: its JSON as sent, and its image once uploaded."""

    __tablename__ = "sandbox_rich_menus"

    rich_menu_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    body: Mapped[str] = mapped_column(Text)  # the rich menu object as JSON
    image: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    image_type: Mapped[str | None] = mapped_column(String(40), default=None)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SandboxRichMenuLink(Base):
    """The menu linked to one sandbox user (LINE's per-user link); without a row the default applies."""

    __tablename__ = "sandbox_rich_menu_links"

    line_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rich_menu_id: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)
