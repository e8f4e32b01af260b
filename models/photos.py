"""Photo files: checking that an upload is an image and storing it under PHOTO_DIR with its row."""

from __future__ import annotations

import hashlib
import io
import mimetypes
from datetime import datetime
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session

from models.complaints import Photo
from models.people import Citizen
from models.photo_checks import record_facts
from models.photo_fingerprints import read_photo

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # LINE's own limit for images; the web takes the same
MAX_PHOTOS = 4  # photos a citizen may attach to a complaint, and an officer to one update


def image_type(data: bytes) -> str | None:
    """The MIME type of a photo Pillow can read, or None for anything else (a PDF, a broken file)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()  # reads the whole file: a truncated upload fails here
            return Image.MIME.get(image.format or "")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


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
    record_facts(photo, read_photo(data))  # its fingerprint and EXIF time, for the officers' photo check
    session.add(photo)
    session.flush()
    return photo
