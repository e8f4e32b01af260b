"""Finding or creating the citizen behind a LINE user id, and keeping the photos they send on LINE."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, String, bindparam, select
from sqlalchemy.orm import Session

from handlers.context import Content, HandlerContext, Profile
from models import Citizen, Dialog, Officer, Photo
from models.photos import MAX_PHOTO_BYTES, image_type, save_photo
from texts import language_of


class Writer(NamedTuple):
    """Who a LINE user is to the bot: an officer's link, a citizen's record and dialog (each may be None)."""

    officer: Officer | None
    citizen: Citizen | None
    dialog: Dialog | None


def writer(session: Session, line_user_id: str, dialog_kind: str) -> Writer:
    """The three looked up in one query: every event needs them, and three round trips cost more."""
    row = session.execute(_writer_query(), {"user_id": line_user_id, "kind": dialog_kind}).one()
    return Writer(*row)


@functools.cache
def _writer_query() -> Select[tuple[Officer, Citizen, Dialog]]:
    """Built once: building the statement costs more than running it."""
    who = select(bindparam("user_id", type_=String).label("id")).subquery("who")
    return (
        select(Officer, Citizen, Dialog)
        .select_from(who)
        .outerjoin(Officer, Officer.line_user_id == who.c.id)
        .outerjoin(Citizen, Citizen.line_user_id == who.c.id)
        .outerjoin(
            Dialog, (Dialog.line_user_id == who.c.id) & (Dialog.kind == bindparam("kind", type_=String))
        )
    )


def citizen_for(
    session: Session,
    line_user_id: str,
    at: datetime,
    profile: Profile | None = None,
    known: Citizen | None = None,
) -> Citizen:
    """The citizen behind the LINE user (created on first contact); `known`: already looked up."""
    citizen = (
        known
        or _in_session(session, line_user_id)
        or session.scalar(select(Citizen).where(Citizen.line_user_id == line_user_id))
    )
    if citizen is None:
        citizen = Citizen(line_user_id=line_user_id, created_at=at, updated_at=at, following=True)
        session.add(citizen)
    if profile is not None:
        citizen.display_name = profile.display_name
        citizen.language = language_of(profile.language)
        citizen.updated_at = at
    if session.new or session.dirty:
        session.flush()
    return citizen


def _in_session(session: Session, line_user_id: str) -> Citizen | None:
    """The citizen if this transaction has already read them (several steps of one event ask again)."""
    for loaded in session.identity_map.values():
        if isinstance(loaded, Citizen) and loaded.line_user_id == line_user_id:
            return loaded
    return None


def citizen_language(session: Session, line_user_id: str) -> str:
    """The language the citizen reads ("th" when not known yet)."""
    return session.scalar(select(Citizen.language).where(Citizen.line_user_id == line_user_id)) or "th"


def store_photo(
    ctx: HandlerContext, citizen: Citizen | None, line_message_id: str, content: Content
) -> Photo:
    """Write a photo sent on LINE under PHOTO_DIR (a retry of the same message finds the same row)."""
    existing = ctx.session.scalar(select(Photo).where(Photo.line_message_id == line_message_id))
    if existing is not None:
        return existing
    return save_photo(
        ctx.session, ctx.photo_dir, content.data, content.content_type, ctx.at, citizen, line_message_id
    )


def checked_photo(ctx: HandlerContext) -> tuple[Content | None, str | None]:
    """The downloaded photo if it can be kept, else the text key of the polite refusal."""
    if ctx.content is None:
        return None, "photo_unavailable"
    if len(ctx.content.data) > MAX_PHOTO_BYTES:
        return None, "photo_too_large"
    kind = image_type(ctx.content.data)
    if kind is None:
        return None, "photo_not_image"
    return Content(ctx.content.data, kind), None
