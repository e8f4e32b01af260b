"""Acting on a complaint from the web: the same domain operations as the LINE officer flow.

Each action is the use case of `handlers.use_cases` that the LINE door calls too: the domain
operation, the very messages LINE sends (the citizen told, the other district's officers given the
card) and their outbox rows, in one transaction. A refusal (a stale status, a missing result text or
after photo, a bad upload) changes nothing and is said in words on the page. Hiding a text or photo
from the public (and, for an admin, showing it again) is one more such use case, on its own form.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from admin.views import bp, complaint_page, services, text
from handlers import use_cases
from handlers.notices import Links
from handlers.use_cases import Acting, ActionRefused, Actor
from models import Complaint, ComplaintEvent, Photo
from models.clock import clock
from models.db import transaction
from models.districts import District
from models.photo_flags import Kept, MatchLike, matches_of, thumbnail
from models.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, image_type, save_photo
from models.tracking_codes import normalise_code

ACTIONS = ("acknowledge", "progress", "resolve", "transfer", "reject")
PHOTO_ACTIONS = ("progress", "resolve")  # their photos are checked against earlier ones (models.photo_checks)
HELD_FOR = timedelta(days=1)  # how long a form sent back for a matching photo keeps its uploads


@dataclass(frozen=True)
class SuspectPhoto:
    """An uploaded photo that matched an earlier one, as the form sent back shows it, side by side."""

    thumbnail: str | None
    matched_thumbnail: str | None
    kind: str
    matched_code: str | None
    matched_at: datetime


@dataclass(frozen=True)
class PhotoWarning:
    """A progress or resolution form sent back: what was typed and uploaded (`held`, kept for the next send),
    the photos that matched, and whether a reason was asked for and not given."""

    action: str
    text: str
    held: list[int]
    seal: str  # the held ids signed for this complaint and user: no one else's upload can be slipped in
    suspects: list[SuspectPhoto]
    reason_missing: bool


class UploadRefused(ValueError):
    """An uploaded file that is not a photo we can keep; `key` is the text shown."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def actor() -> Actor:
    """The signed-in user as the domain sees them: the centre, or an officer of one district."""
    if current_user.role == "admin":
        return Actor("admin", None, None, current_user.username)
    return Actor("officer", None, current_user.district_code, current_user.username)


@bp.post("/complaints/<code>/act")
@login_required
def act(code: str) -> ResponseReturnValue:
    action = request.form.get("action", "")
    normal = normalise_code(code)
    if normal is None or action not in ACTIONS:
        return redirect(url_for("admin.complaints"))
    now = clock.now()
    settings = services().settings
    with transaction(services().sessions) as s:
        complaint = s.scalar(select(Complaint).where(Complaint.tracking_code == normal))
        if complaint is None or not current_user.may_see(complaint.district_code):
            return redirect(url_for("admin.complaints"))
        if not current_user.may_act(complaint.district_code):
            flash(text("refused_read_only"))
            return redirect(url_for("admin.complaint", code=normal))
        links = Links(settings.secret_key.encode(), settings.public_base_url)
        warning: PhotoWarning | None = None
        try:
            photos = _photos(s, request.files.getlist("photos"), now)
            kept: list[Kept] = []
            if action in PHOTO_ACTIONS:
                photos, kept, warning = _checked(s, complaint, action, photos, now)
            if warning is None:
                acting = Acting(s, actor(), now, links)
                _do(acting, complaint, action, request.form.get("text", ""), photos, kept)
        except (ActionRefused, UploadRefused) as exc:
            s.rollback()  # nothing of a refused action is kept, uploads included
            flash(_refusal(exc))
            return redirect(url_for("admin.complaint", code=normal))
    if warning is not None:  # the uploads are kept (committed) for the form sent back
        current_app.logger.info(
            "admin %s: %s %s sent back: %d photo(s) match earlier ones",
            current_user.username,
            action,
            normal,
            len(warning.suspects),
        )
        return complaint_page(normal, warning)
    services().wake.set()  # a worker in this process sends at once (another one finds them when it polls)
    flash(text(f"done_{action}"))
    if kept:
        flash(text("pw_done_flagged"))
    current_app.logger.info("admin %s: %s %s", current_user.username, action, normal)
    return redirect(url_for("admin.complaint", code=normal))


@bp.post("/complaints/<code>/public")
@login_required
def public(code: str) -> ResponseReturnValue:
    """Hide a text or photo from the public (staff who may act on the complaint, with a reason), or show it
    again (an admin): `op` hide | unhide, `what` text | photo, `item` the event's or photo's id."""
    op, what, item = (request.form.get(name, "")[:9] for name in ("op", "what", "item"))
    normal = normalise_code(code)
    if normal is None or op not in ("hide", "unhide") or what not in ("text", "photo") or not item.isdigit():
        return redirect(url_for("admin.complaints"))
    with transaction(services().sessions) as s:
        complaint = s.scalar(select(Complaint).where(Complaint.tracking_code == normal))
        if complaint is None or not current_user.may_see(complaint.district_code):
            return redirect(url_for("admin.complaints"))
        if not current_user.may_act(complaint.district_code):
            flash(text("refused_read_only"))
            return redirect(url_for("admin.complaint", code=normal))
        settings = services().settings
        acting = Acting(
            s, actor(), clock.now(), Links(settings.secret_key.encode(), settings.public_base_url)
        )
        reason = request.form.get("reason", "")
        try:
            if op == "hide":
                use_cases.hide_from_public(acting, complaint, what, int(item), reason)
            else:
                use_cases.show_to_public(acting, complaint, what, int(item), reason)
        except ActionRefused as exc:
            s.rollback()
            flash(_refusal(exc))
            return redirect(url_for("admin.complaint", code=normal))
    flash(text(f"done_{op}"))
    current_app.logger.info("admin %s: %s %s %s %s", current_user.username, op, normal, what, item)
    return redirect(url_for("admin.complaint", code=normal))


def _do(
    acting: Acting, complaint: Complaint, action: str, body: str, photos: list[Photo], kept: list[Kept]
) -> ComplaintEvent:
    s = acting.session
    if action == "acknowledge":
        return use_cases.acknowledge(acting, complaint)
    if action == "progress":
        return use_cases.progress(acting, complaint, body, photos, kept)
    if action == "resolve":
        return use_cases.resolve(acting, complaint, body, photos, kept)
    if action == "transfer":
        target = request.form.get("to_district", "")
        if target != "centre" and s.get(District, target) is None:
            raise ActionRefused("needs_target")
        return use_cases.transfer(acting, complaint, None if target == "centre" else target, body)
    duplicate_of = None
    typed = request.form.get("duplicate_of", "").strip()
    if typed:
        other = normalise_code(typed)
        duplicate_of = s.scalar(select(Complaint).where(Complaint.tracking_code == other)) if other else None
        if duplicate_of is None or not current_user.may_see(duplicate_of.district_code):
            raise ActionRefused("unknown_duplicate")
    return use_cases.reject(acting, complaint, body, duplicate_of)


def _photos(s: Session, files: list[FileStorage], now: datetime) -> list[Photo]:
    chosen = [f for f in files if f.filename]
    if len(chosen) > MAX_PHOTOS:
        raise UploadRefused("photo_too_many")
    photos = []
    for upload in chosen:
        data = upload.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise UploadRefused("photo_too_large")
        kind = image_type(data)
        if kind is None:
            raise UploadRefused("photo_not_image")
        photos.append(save_photo(s, services().settings.photo_dir, data, kind, now))
    return photos


def _checked(
    s: Session, complaint: Complaint, action: str, fresh: list[Photo], now: datetime
) -> tuple[list[Photo], list[Kept], PhotoWarning | None]:
    """The photos to send and the matching ones kept with a reason, or the form to send back.

    A form sent back carries its uploads as `held`. Sent again with new photos, the new ones take the
    place of the held ones that matched (and are checked in turn); sent again without, the matching ones
    are kept when a reason is given (the report is then flagged), and the form comes back once more
    when it is not."""
    raw = list(dict.fromkeys(request.form.getlist("held")))
    held = _held(s, raw, now)
    sealed = hmac.compare_digest(request.form.get("held_seal", ""), _seal(complaint, raw))
    if raw and (len(held) != len(raw) or not sealed):
        # Sent already (a second tap), older than a day, or not this form's: said, nothing done.
        raise UploadRefused("held_stale")
    if len(held) > MAX_PHOTOS:
        raise UploadRefused("photo_too_many")
    checked = [(p, matches_of(s, p, complaint)) for p in held]
    if fresh:
        checked = [(p, m) for p, m in checked if not m] + [(p, matches_of(s, p, complaint)) for p in fresh]
        if len(checked) > MAX_PHOTOS:
            raise UploadRefused("photo_too_many")
    photos = [p for p, _ in checked]
    suspects: list[tuple[Photo, MatchLike]] = [(p, m[0]) for p, m in checked if m]
    if not suspects:
        return photos, [], None
    reason = " ".join(request.form.get("keep_reason", "").split())
    if reason and not fresh:
        return photos, [Kept.of(p.id, match, reason) for p, match in suspects], None
    photo_dir = services().settings.photo_dir
    shown = [
        SuspectPhoto(
            thumbnail(photo_dir, p),
            thumbnail(photo_dir, s.get(Photo, match.photo_id) if match.photo_id else None),
            match.kind,
            match.complaint_code,
            match.at,
        )
        for p, match in suspects
    ]
    missing = "keep_reason" in request.form and not fresh  # sent back before: the reason was asked for
    held = [p.id for p in photos]
    seal = _seal(complaint, [str(i) for i in held])
    return photos, [], PhotoWarning(action, request.form.get("text", ""), held, seal, shown, missing)


def _seal(complaint: Complaint, ids: list[str]) -> str:
    message = f"held|{complaint.id}|{current_user.id}|{','.join(ids)}".encode()
    return hmac.new(services().settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _held(s: Session, raw: list[str], now: datetime) -> list[Photo]:
    """The uploads a form sent back carries: staff photos not yet part of any report, of the last day."""
    ids = [int(x) for x in raw[: MAX_PHOTOS * 2] if x.isdigit() and len(x) < 12]
    if not ids:
        return []
    found = s.scalars(
        select(Photo).where(
            Photo.id.in_(ids),
            Photo.complaint_id.is_(None),
            Photo.citizen_id.is_(None),
            Photo.created_at >= now - HELD_FOR,
        )
    )
    by_id = {p.id: p for p in found}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


def _refusal(exc: ActionRefused | UploadRefused) -> str:
    key = exc.key if isinstance(exc, UploadRefused) else exc.reason
    if key.startswith("cannot_"):
        return text("refused_status")
    message = text(f"refused_{key}")
    return message if message != f"refused_{key}" else f"{text('refused')}: {key}"
