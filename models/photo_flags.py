"""Flagged photos: an officer's progress or "after" photo that matched an earlier one and was kept anyway.

When the detector (`models.photo_checks.check_photo`) finds that a photo an officer sends is the citizen's
own "before" photo, a photo of another complaint, or was taken before the complaint was filed, the officer
is told and may still keep it, with a reason. The progress report or resolution then carries one
`PhotoFlag` per kept photo: what it matched, why it was kept, and who kept it. The people who check read
them here: the complaint's flags, the complaints with one, the flagged closures per district over a
period and a month's flagged closures for the audit.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps
from sqlalchemy import ForeignKey, Index, Integer, Select, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.complaints import Complaint, ComplaintEvent, Photo
from models.photo_checks import check_photo

log = logging.getLogger(__name__)

KINDS = ("citizen_before", "elsewhere", "older_than_complaint")  # models.photo_checks.PhotoMatch.kind
CLOSURE = "resolved"  # the event kind of a closure; a flagged progress report is flagged too, not a closure
MAX_REASON = 1000
THUMBNAIL_PIXELS = 320  # the side of the thumbnails shown side by side


class PhotoFlag(Base):
    __tablename__ = "photo_flags"
    __table_args__ = (
        # The dashboard's and the audit page's question: a district's flagged closures in a period.
        Index("ix_photo_flags_district_kind_at", "district_code", "event_kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("complaint_events.id"), index=True)
    event_kind: Mapped[str] = mapped_column(String(30))  # progress | resolved
    # The complaint's district when the photo was kept (counts stay with the district that closed it).
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), default=None)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))  # the officer's photo, kept
    kind: Mapped[str] = mapped_column(String(30))  # citizen_before | elsewhere | older_than_complaint
    matched_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"), default=None)
    matched_complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), default=None)
    matched_code: Mapped[str | None] = mapped_column(String(20), default=None)
    matched_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the matched photo's time, or the EXIF time
    distance: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(Text)
    kept_by_kind: Mapped[str] = mapped_column(String(16))  # officer | admin
    kept_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    kept_by_name: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[datetime] = mapped_column(UtcDateTime)  # the progress report's or resolution's moment


class MatchLike(Protocol):
    """What `models.photo_checks.PhotoMatch` carries (read by attribute: this module does not need it)."""

    kind: str
    photo_id: int | None
    complaint_id: int | None
    complaint_code: str | None
    at: datetime
    distance: int | None


@dataclass(frozen=True)
class Kept:
    """A matching photo the officer decided to keep, with their reason: one flag once it is sent.

    Plain values only, so it can wait in a LINE dialog's data (`as_data` / `from_data`) between events."""

    photo_id: int
    kind: str
    matched_photo_id: int | None
    matched_complaint_id: int | None
    matched_code: str | None
    matched_at: datetime
    distance: int | None
    reason: str

    @classmethod
    def of(cls, photo_id: int, match: MatchLike, reason: str) -> Kept:
        return cls(
            photo_id,
            match.kind,
            match.photo_id,
            match.complaint_id,
            match.complaint_code,
            match.at,
            match.distance,
            reason.strip()[:MAX_REASON],
        )

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["matched_at"] = self.matched_at.isoformat()
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Kept:
        values = dict(data)
        values["matched_at"] = datetime.fromisoformat(str(values["matched_at"]))
        return cls(**values)


def match_data(match: MatchLike) -> dict[str, Any]:
    """A match as plain values (a LINE dialog keeps it until the officer decides); `Kept.from_data` reads it
    back once a reason is added."""
    return {
        "kind": match.kind,
        "matched_photo_id": match.photo_id,
        "matched_complaint_id": match.complaint_id,
        "matched_code": match.complaint_code,
        "matched_at": match.at.isoformat(),
        "distance": match.distance,
    }


def record_flags(
    session: Session,
    complaint: Complaint,
    event: ComplaintEvent,
    kept: Iterable[Kept],
    kept_by: tuple[str, int | None, str | None],
) -> list[PhotoFlag]:
    """One flag per kept photo that went out with `event` (a kept photo later dropped is not flagged)."""
    sent = set(session.scalars(select(Photo.id).where(Photo.event_id == event.id)))
    kind, ident, name = kept_by
    flags = [
        PhotoFlag(
            complaint_id=complaint.id,
            event_id=event.id,
            event_kind=event.kind,
            district_code=event.district_code,
            photo_id=k.photo_id,
            kind=k.kind,
            matched_photo_id=k.matched_photo_id,
            matched_complaint_id=k.matched_complaint_id,
            matched_code=k.matched_code,
            matched_at=k.matched_at,
            distance=k.distance,
            reason=k.reason,
            kept_by_kind=kind,
            kept_by_id=ident,
            kept_by_name=name or None,
            at=event.at,
        )
        for k in {k.photo_id: k for k in kept}.values()  # one flag a photo, whatever was sent twice
        if k.photo_id in sent
    ]
    session.add_all(flags)
    session.flush()
    for flag in flags:
        log.info(
            "photo flag: complaint %s photo %s kept (%s %s) by %s %s",
            complaint.tracking_code,
            flag.photo_id,
            flag.kind,
            flag.matched_code or "-",
            kind,
            name or ident or "-",
        )
    return flags


def matches_of(session: Session, photo: Photo, complaint: Complaint) -> list[MatchLike]:
    """What the detector says of an officer's photo, strongest first; [] when it looks new, and also when
    it cannot be checked (a file it cannot read): then it goes through as before, unchecked and unflagged."""
    try:
        return list(check_photo(session, photo, complaint))
    except Exception:  # the check must never cost the officer their report
        log.exception("photo %s of complaint %s: not checked", photo.id, complaint.tracking_code)
        return []


# ---- what the people who check read ----------------------------------------------------------------


def flags_of(session: Session, complaint_id: int) -> list[PhotoFlag]:
    """A complaint's flags, oldest first."""
    return list(
        session.scalars(
            select(PhotoFlag).where(PhotoFlag.complaint_id == complaint_id).order_by(PhotoFlag.id)
        )
    )


@dataclass(frozen=True)
class FlagView:
    """One flag as the staff complaint page shows it: the kept photo beside the one it matched."""

    photo_id: int  # the kept photo: this complaint's, served by its URL
    matched_thumbnail: str | None  # the matched photo (possibly another district's) as a data: URI
    kind: str
    matched_code: str | None
    matched_at: datetime
    event_kind: str
    reason: str
    kept_by: str
    kept_by_kind: str
    at: datetime


def flag_views(session: Session, photo_dir: Path, complaint_id: int) -> list[FlagView]:
    """A complaint's flags, oldest first, with what the page shows of each."""
    views = []
    for flag in flags_of(session, complaint_id):
        matched = session.get(Photo, flag.matched_photo_id) if flag.matched_photo_id else None
        views.append(
            FlagView(
                flag.photo_id,
                thumbnail(photo_dir, matched),
                flag.kind,
                flag.matched_code,
                flag.matched_at,
                flag.event_kind,
                flag.reason,
                flag.kept_by_name or "",
                flag.kept_by_kind,
                flag.at,
            )
        )
    return views


def flagged_complaint_ids() -> Select[tuple[int]]:
    """The complaints with a flagged photo, as a subquery for the complaint list's "flagged" filter."""
    return select(PhotoFlag.complaint_id)


def flagged_closures_by_district(
    session: Session, start: datetime, end: datetime, districts: Sequence[str] | None = None
) -> dict[str, int]:
    """Resolutions in [start, end) that kept a flagged photo, per district (a resolution with two flagged
    photos is one closure)."""
    stmt = (
        select(PhotoFlag.district_code, func.count(func.distinct(PhotoFlag.event_id)))
        .where(PhotoFlag.event_kind == CLOSURE, PhotoFlag.at >= start, PhotoFlag.at < end)
        .group_by(PhotoFlag.district_code)
    )
    if districts is not None:
        stmt = stmt.where(PhotoFlag.district_code.in_(list(districts)))
    return {code: count for code, count in session.execute(stmt) if code is not None}


@dataclass(frozen=True)
class FlaggedClosure:
    """One flagged resolution of a month, for the audit page."""

    district: str | None
    code: str
    complaint_id: int
    resolved_at: datetime
    kinds: tuple[str, ...]  # each flagged photo's match kind
    matched_codes: tuple[str, ...]
    reasons: tuple[str, ...]
    kept_by: str


def flagged_closures(
    session: Session, start: datetime, end: datetime, district: str | None = None
) -> list[FlaggedClosure]:
    """The resolutions in [start, end) that kept a flagged photo, oldest first; one district's or all."""
    stmt = (
        select(PhotoFlag, Complaint.tracking_code)
        .join(Complaint, Complaint.id == PhotoFlag.complaint_id)
        .where(PhotoFlag.event_kind == CLOSURE, PhotoFlag.at >= start, PhotoFlag.at < end)
        .order_by(PhotoFlag.at, PhotoFlag.event_id, PhotoFlag.id)
    )
    if district is not None:
        stmt = stmt.where(PhotoFlag.district_code == district)
    grouped: dict[int, list[tuple[PhotoFlag, str]]] = {}
    for flag, code in session.execute(stmt):
        grouped.setdefault(flag.event_id, []).append((flag, code))
    closures = []
    for rows in grouped.values():
        first, code = rows[0]
        closures.append(
            FlaggedClosure(
                first.district_code,
                code,
                first.complaint_id,
                first.at,
                tuple(f.kind for f, _ in rows),
                tuple(dict.fromkeys(f.matched_code for f, _ in rows if f.matched_code)),
                tuple(dict.fromkeys(f.reason for f, _ in rows)),
                first.kept_by_name or first.kept_by_kind,
            )
        )
    return closures


def thumbnail(photo_dir: Path, photo: Photo | None) -> str | None:
    """A small JPEG of the photo as a data: URI, to show it beside another one on a staff page (a photo of
    another district's complaint is never served by URL to this user; None when the file is unreadable)."""
    if photo is None:
        return None
    try:
        with Image.open(photo_dir / photo.path) as image:
            small = ImageOps.exif_transpose(image).convert("RGB")
            small.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=75)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        log.warning("photo %s: no thumbnail (file unreadable)", photo.id)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
