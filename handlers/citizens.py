"""Finding or creating the citizen behind a LINE user id, and storing what they send."""

from __future__ import annotations

import hashlib
import io
import mimetypes
from datetime import datetime
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Content, HandlerContext, Profile
from handlers.texts import language_of
from models import Citizen, Photo

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # LINE's own limit for images


def citizen_for(session: Session, line_user_id: str, at: datetime, profile: Profile | None = None) -> Citizen:
    citizen = session.scalar(select(Citizen).where(Citizen.line_user_id == line_user_id))
    if citizen is None:
        citizen = Citizen(line_user_id=line_user_id, created_at=at, updated_at=at, following=True)
        session.add(citizen)
    if profile is not None:
        citizen.display_name = profile.display_name
        citizen.language = language_of(profile.language)
        citizen.updated_at = at
    session.flush()
    return citizen


def citizen_language(session: Session, line_user_id: str) -> str:
    """The language the citizen reads ("th" when not known yet)."""
    return session.scalar(select(Citizen.language).where(Citizen.line_user_id == line_user_id)) or "th"


def image_type(data: bytes) -> str | None:
    """The MIME type of a photo Pillow can read, or None for anything else (a PDF, a broken file)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()  # reads the whole file: a truncated upload fails here
            return Image.MIME.get(image.format or "")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


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


def save_photo(
    session: Session,
    photo_dir: Path,
    data: bytes,
    content_type: str,
    at: datetime,
    citizen: Citizen | None = None,
    line_message_id: str | None = None,
) -> Photo:
    """Write the photo under PHOTO_DIR, named by its hash (so writing it again rewrites the same file)."""
    digest = hashlib.sha256(data).hexdigest()
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
    relative = f"{at:%Y/%m}/{digest}{extension}"
    target = photo_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: a half-written file never carries the final name
    photo = Photo(
        citizen_id=citizen.id if citizen else None,  # None: a staff member's photo
        line_message_id=line_message_id,
        path=relative,
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        created_at=at,
    )
    session.add(photo)
    session.flush()
    return photo


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
