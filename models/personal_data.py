"""A citizen's personal data (PDPA): what is held about them, their copy of it, and its erasure.

- `holdings`: what is held about a LINE citizen, for the "ข้อมูลของฉัน" summary.
- Download links (`new_export_link`, `redeem_export_link`): a random token, signed with SECRET_KEY so a
  tampered link is refused before the database is asked; only its SHA-256 is stored (`data_export_links`,
  migration 0020). A link works once and for 24 hours; asking again, or erasure, revokes earlier ones.
- `citizen_export_zip`: the ZIP, built from the database when it is downloaded: profile, complaints and
  their events as JSON, and the photos the citizen sent.
- `erase_citizen` / `erase_reporter`: the LINE id and display name (or a reporter's contact) erased, the
  citizen's follows of others' complaints deleted, the citizen row kept as a pseudonym (`erased-<random>`)
  so complaints, events, photos and the KPI stay as they were; phone numbers, ID numbers and e-mails in
  the reporter's own texts masked. This is the one place that rewrites event rows (the log is otherwise
  append-only): only the reporter's words, and a mask never leaves a text empty, so no KPI verdict can
  change.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.complaint_followers import erase_follows, follows_of
from models.complaint_lifecycle import OPEN_VALUES
from models.complaints import Complaint, ComplaintEvent, Photo
from models.dialogs import Dialog
from models.people import Citizen
from models.public_text import masked
from models.queues import InboxEvent, OutboxMessage, QueueStatus

log = logging.getLogger(__name__)

ERASED_PREFIX = "erased-"  # a citizen row whose LINE id was erased: line_user_id = erased-<random>
EXPORT_LINK_LIFETIME = timedelta(hours=24)
SIGNATURE_CHARS = 24
# Events the reporter wrote (their words may hold a phone number); the officers' answers are the district's.
REPORTER_EVENTS = ("filed", "reopened")
# What the citizen's copy leaves out of the event log: staff moderation of the public pages.
STAFF_ONLY_EVENTS = ("hidden", "unhidden")


class ExportLink(Base):
    """A download link for a citizen's copy of their data: only the token's hash is kept."""

    __tablename__ = "data_export_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the whole token
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


@dataclass(frozen=True)
class Erasure:
    citizen_id: int | None
    complaint_ids: list[int]  # complaints whose texts were masked / reporter contact erased
    already_erased: bool  # nothing was left to erase (idempotent call)


@dataclass(frozen=True)
class Holdings:
    """What is held about one citizen, as the "my data" summary lists it."""

    display_name: str | None
    language: str
    since: datetime
    complaints: int
    open_complaints: int
    photos: int


# ---- masking -------------------------------------------------------------------------------------


def mask_personal_text(text: str) -> str:
    """Phone numbers, 13-digit Thai ID numbers (with or without dashes) and e-mails replaced by a Thai note
    (the same patterns the public pages mask, models/public_text.py); everything else left as written."""
    return masked(text, "th") or text


def _masked_data(value: Any) -> Any:
    """Every string inside an event's JSON data masked (an address typed by the reporter, say)."""
    if isinstance(value, str):
        return mask_personal_text(value)
    if isinstance(value, list):
        return [_masked_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked_data(v) for k, v in value.items()}
    return value


# ---- what is held --------------------------------------------------------------------------------


def is_erased(citizen: Citizen) -> bool:
    return citizen.line_user_id.startswith(ERASED_PREFIX)


def holdings(session: Session, citizen: Citizen) -> Holdings:
    complaints = session.scalar(select(func.count()).where(Complaint.citizen_id == citizen.id)) or 0
    still_open = (
        session.scalar(
            select(func.count()).where(Complaint.citizen_id == citizen.id, Complaint.status.in_(OPEN_VALUES))
        )
        or 0
    )
    photos = session.scalar(select(func.count()).where(Photo.citizen_id == citizen.id)) or 0
    return Holdings(
        citizen.display_name, citizen.language, citizen.created_at, complaints, still_open, photos
    )


# ---- download links ------------------------------------------------------------------------------


def _signature(key: bytes, secret: str) -> str:
    return hmac.new(key, f"export:{secret}".encode(), hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_export_link(session: Session, citizen: Citizen, at: datetime, key: bytes) -> str:
    """A new one-time token for the citizen's copy; earlier unused links stop working (one at a time)."""
    revoke_export_links(session, citizen, at)
    secret = secrets.token_urlsafe(24)
    token = f"{secret}.{_signature(key, secret)}"
    session.add(
        ExportLink(
            citizen_id=citizen.id,
            token_hash=_hash(token),
            created_at=at,
            expires_at=at + EXPORT_LINK_LIFETIME,
        )
    )
    session.flush()
    return token


def revoke_export_links(session: Session, citizen: Citizen, at: datetime) -> int:
    result = session.execute(
        update(ExportLink)
        .where(
            ExportLink.citizen_id == citizen.id,
            ExportLink.used_at.is_(None),
            ExportLink.revoked_at.is_(None),
        )
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def check_export_link(session: Session, token: str, at: datetime, key: bytes) -> ExportLink | str:
    """The link if it may be used now, else why not: "tampered", "unknown", "used", "revoked", "expired"."""
    secret, _, signature = token.rpartition(".")
    if (
        not secret
        or len(token) > 200
        or not signature.isascii()
        or not hmac.compare_digest(_signature(key, secret), signature)
    ):
        return "tampered"
    link = session.scalar(select(ExportLink).where(ExportLink.token_hash == _hash(token)))
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= at:
        return "expired"
    return link


def redeem_export_link(session: Session, token: str, at: datetime, key: bytes) -> Citizen | str:
    """Use the link (once): its citizen, or why it cannot be used. Two downloads at once: one wins."""
    link = check_export_link(session, token, at, key)
    if isinstance(link, str):
        return link
    taken = session.execute(
        update(ExportLink)
        .where(ExportLink.id == link.id, ExportLink.used_at.is_(None), ExportLink.revoked_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    if not getattr(taken, "rowcount", 0):
        return "used"
    citizen = session.get(Citizen, link.citizen_id)
    if citizen is None or is_erased(citizen):
        return "revoked"
    return citizen


# ---- the copy ------------------------------------------------------------------------------------


def _iso(moment: Any) -> Any:
    return moment.isoformat() if moment is not None and hasattr(moment, "isoformat") else moment


README = """ข้อมูลของคุณในระบบร้องทุกข์ / Your data in Rongtook

profile.json     ข้อมูลบัญชีของคุณ (รหัสผู้ใช้ LINE ชื่อที่แสดง ภาษา วันที่เริ่มใช้)
                 your account: LINE user id, display name, language, since when
complaints.json  เรื่องที่คุณแจ้งและความเคลื่อนไหวของแต่ละเรื่อง
                 your complaints and everything that happened to each
followed.json    เรื่องของผู้อื่นที่คุณติดตาม (“ติดตามเรื่องนี้แทน”) และคะแนนที่คุณให้
                 others' complaints you followed instead of filing, and your own rating of each
photos/          รูปภาพที่คุณส่ง / the photos you sent
"""


def citizen_export_zip(session: Session, citizen: Citizen, photo_dir: Path) -> bytes:
    """The citizen's copy as a ZIP, read from the database now (so it is as of the download)."""
    own_photos = list(session.scalars(select(Photo).where(Photo.citizen_id == citizen.id).order_by(Photo.id)))
    names = {p.id: f"photos/{p.id}{Path(p.path).suffix}" for p in own_photos}
    complaints = list(
        session.scalars(select(Complaint).where(Complaint.citizen_id == citizen.id).order_by(Complaint.id))
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        profile = {
            "line_user_id": citizen.line_user_id,
            "display_name": citizen.display_name,
            "language": citizen.language,
            "following": citizen.following,
            "created_at": _iso(citizen.created_at),
            "updated_at": _iso(citizen.updated_at),
        }
        archive.writestr("profile.json", _json(profile))
        archive.writestr("complaints.json", _json([_complaint(session, c, names) for c in complaints]))
        archive.writestr("followed.json", _json(_followed(session, citizen)))
        for photo in own_photos:
            try:
                archive.writestr(names[photo.id], (photo_dir / photo.path).read_bytes())
            except OSError as exc:  # a file lost from PHOTO_DIR: the copy says so rather than failing
                log.warning("export: photo %s unreadable (%s)", photo.id, exc.strerror)
                archive.writestr(names[photo.id] + ".missing.txt", "ไฟล์รูปนี้ไม่พบในระบบ / file not found\n")
    return out.getvalue()


def _complaint(session: Session, complaint: Complaint, names: dict[int, str]) -> dict[str, Any]:
    events = session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind.not_in(STAFF_ONLY_EVENTS))
        .order_by(ComplaintEvent.id)
    )
    photos = session.scalars(select(Photo).where(Photo.complaint_id == complaint.id).order_by(Photo.id))
    by_event: dict[int | None, list[str]] = {}
    for photo in photos:
        by_event.setdefault(photo.event_id, []).append(names.get(photo.id, f"(photo {photo.id})"))
    fields = (
        "tracking_code", "channel", "category", "description", "district_code", "section", "latitude",
        "longitude", "status", "created_at", "routed_at", "ack_due_at", "acknowledged_at",
        "first_progress_due_at", "first_progress_at", "resolved_at", "rating", "reopen_count",
        "public_opt_out",
    )  # fmt: skip
    return {
        **{name: _iso(getattr(complaint, name)) for name in fields},
        # Who acted is said by role, not by name: an officer's name is the officer's personal data.
        "events": [
            {
                "kind": e.kind,
                "at": _iso(e.at),
                "by": e.actor_kind,
                "district_code": e.district_code,
                "text": e.text,
                "data": e.data or {},
                "photos": by_event.get(e.id, []),
            }
            for e in events
        ],
    }


def _followed(session: Session, citizen: Citizen) -> list[dict[str, Any]]:
    """The complaints the citizen followed: the public fields of each and their own follow (never the
    reporter's words: those are the reporter's personal data)."""
    return [
        {
            "tracking_code": f.complaint.tracking_code,
            "category": f.complaint.category,
            "district_code": f.complaint.district_code,
            "status": f.complaint.status,
            "since": _iso(f.follow.since),
            "until": _iso(f.follow.until),
            "your_rating": f.follow.rating,
            "rated_at": _iso(f.follow.rated_at),
            "not_fixed_at": _iso(f.follow.not_fixed_at),
        }
        for f in follows_of(session, citizen)
    ]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


# ---- erasure -------------------------------------------------------------------------------------


def erase_citizen(session: Session, citizen: Citizen, at: datetime) -> Erasure:
    """Erase a LINE citizen's identity and mask their texts; complaints, events and photos stay.

    The row becomes `erased-<random>` with no name and no longer following: no notice can reach it, and
    the same LINE user writing again is a new citizen. Their dialog (draft and state) goes, and every
    download link stops working. A second call finds nothing left and says so."""
    if is_erased(citizen):
        return Erasure(citizen.id, [], True)
    line_user_id = citizen.line_user_id
    citizen.line_user_id = f"{ERASED_PREFIX}{secrets.token_hex(12)}"
    citizen.display_name = None
    citizen.following = False
    citizen.updated_at = at
    ids = list(session.scalars(select(Complaint.id).where(Complaint.citizen_id == citizen.id)))
    for complaint in session.scalars(select(Complaint).where(Complaint.id.in_(ids))):
        _mask_complaint(session, complaint)
    revoke_export_links(session, citizen, at)
    erase_follows(session, citizen)  # no more notices of others' complaints, and no trace of who followed
    for dialog in session.scalars(select(Dialog).where(Dialog.line_user_id == line_user_id)):
        session.delete(dialog)
    _forget_finished_messages(session, line_user_id, citizen.line_user_id, at)
    session.flush()
    log.info("erased citizen %s (%d complaints masked)", citizen.id, len(ids))
    return Erasure(citizen.id, ids, False)


NOT_SENT_ERASED = "not sent: the citizen erased their personal data"


def _forget_finished_messages(session: Session, line_user_id: str, pseudonym: str, at: datetime) -> None:
    """The LINE events and messages of the chat already handled hold the LINE id and the citizen's words:
    emptied (rows kept, so the push count and the queues' history stay). Messages still waiting to go (a
    notice queued a moment before, one that failed and could be retried) are not sent any more: an erased
    citizen gets no notices. Rows a worker holds right now are left alone: the event being answered (this
    confirmation) is one of them."""
    waiting = (QueueStatus.PENDING.value, QueueStatus.FAILED.value)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.to == line_user_id, OutboxMessage.status.in_(waiting))
        .values(
            status=QueueStatus.DONE.value,
            finished_at=at,
            lease_until=None,
            last_error=NOT_SENT_ERASED,
            to=pseudonym,
            chat_key=pseudonym,
            messages="[]",
            reply_token=None,
        )
        .execution_options(synchronize_session=False)
    )
    done = QueueStatus.DONE.value
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.chat_key == line_user_id, InboxEvent.status == done)
        .values(chat_key=pseudonym, payload='{"erased": true}')
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.to == line_user_id, OutboxMessage.status == done)
        .values(to=pseudonym, chat_key=pseudonym, messages="[]")
        .execution_options(synchronize_session=False)
    )


def erase_reporter(session: Session, complaint: Complaint, at: datetime) -> Erasure:
    """Erase the contact of a reporter from another channel (phone, letter, desk, API) and mask their
    words in the complaint; the complaint itself stays. Idempotent."""
    contact = (complaint.reporter_name, complaint.reporter_phone, complaint.reporter_email)
    changed = _mask_complaint(session, complaint)
    if not any(contact) and not changed:
        return Erasure(complaint.citizen_id, [], True)
    complaint.reporter_name = complaint.reporter_phone = complaint.reporter_email = None
    session.flush()
    log.info("erased the reporter of complaint %s at %s", complaint.id, at.isoformat())
    return Erasure(complaint.citizen_id, [complaint.id], False)


def _mask_complaint(session: Session, complaint: Complaint) -> bool:
    """Mask the reporter's words in the complaint and its events; whether anything changed."""
    changed = False
    description = mask_personal_text(complaint.description or "")
    if description != (complaint.description or ""):
        complaint.description, changed = description, True
    events = session.scalars(
        select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == complaint.id,
            (ComplaintEvent.kind.in_(REPORTER_EVENTS)) | (ComplaintEvent.actor_kind == "citizen"),
        )
    )
    for event in events:
        text = mask_personal_text(event.text) if event.text else event.text
        data = _masked_data(dict(event.data or {}))
        if text != event.text:
            event.text, changed = text, True
        if data != (event.data or {}):
            event.data, changed = data, True  # a new dict, so the JSON column is written
    return changed
