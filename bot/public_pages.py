"""`/c/<tracking code>`: a complaint's progress as a page, for anyone holding its code.

For reporters without LINE above all (a call to 1555, a letter, another system): the call-taker reads
them the code, and this page is how they follow it. Like the JSON status API (`bot.public_api`) it
shows nothing personal: no name, no contact, not the reporter's own description (people write phone
numbers and addresses into it); what the district wrote in answer, and when, is public unless staff hid
it. A complaint whose reporter asked that it not be public has a page saying so (404) and nothing more.
Photos are shown by their public links (`/media/photos/<id>/<public token>`), never one staff hid; the
place is on a small map, to the middle of its ~500 m cell for the categories that could reveal a home.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime

import qrcode
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage
from sqlalchemy.orm import Session

from bot.public_api import PublicRecord, public_record
from bot.services import Services
from bot.settings import Settings
from handlers.notices import Links, status_url
from handlers.signing import PUBLIC, photo_token
from models.clock import BANGKOK, clock
from models.db import transaction
from models.deadlines import local_date, next_deadline
from models.open_data import COARSE_GRID_DEG, public_place
from models.public_figures import FiguresCache
from models.public_hiding import PUBLIC_EVENTS, photos_of
from models.public_text import masked
from models.thai_dates import date_in, thai_month_long
from models.tracking_codes import normalise_code
from texts import say

log = logging.getLogger(__name__)
bp = Blueprint("public_pages", __name__, template_folder="templates")


def reader_language() -> str:
    chosen = request.args.get("lang", "")
    if chosen in ("th", "en"):
        return chosen
    best = request.accept_languages.best_match(["th", "en"])
    return "en" if best == "en" else "th"


@dataclass(frozen=True)
class Step:
    at: str
    what: str
    text: str
    text_hidden: bool = False  # staff hid its text from the public: the page says so, not what


@dataclass(frozen=True)
class Deadline:
    what: str
    due: str
    verdict: str  # met | late | open | missed


@dataclass(frozen=True)
class PagePhoto:
    src: str  # the public link, relative to this site: shown and linked to at full size
    alt: str


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    coarse: bool  # to the middle of its ~500 m cell: the category could reveal the complainant's home


@bp.get("/")
def home() -> ResponseReturnValue:
    """The public front door: look up a code, how to file on LINE, this month's figures, open data."""
    lang = reader_language()
    services: Services = current_app.extensions["rongtook"]
    settings = services.settings
    with transaction(services.read_sessions) as session:
        # One copy per app (a gunicorn worker): the figures are read at most every five minutes.
        cache = current_app.extensions.setdefault("rongtook.public_figures", FiguresCache())
        figures = cache.get(session, clock.now())
    friend = settings.line_add_friend_url
    return render_template(
        "public/home.html",
        lang=lang,
        t=public_texts(lang),
        figures=figures,
        month=thai_month_long(figures.month) if lang == "th" else figures.month.strftime("%B %Y"),
        friend_url=friend,
        friend_qr=Markup(_qr_svg(friend)) if friend else None,  # our own SVG, of our own URL
        sandbox=settings.sandbox,
    )


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return svg[svg.index("<svg") :]  # inline: without the XML declaration


@bp.get("/c")
def lookup() -> ResponseReturnValue:
    """A box for the code; a typed code (any spacing or case) goes to its page."""
    lang = reader_language()
    typed = request.args.get("code", "")[:40]
    if typed:
        code = normalise_code(typed)
        if code:
            return redirect(url_for("public_pages.status", code=code, lang=request.args.get("lang")))
        log.info("public page: unreadable code %r", typed)
        return render_template(
            "public/lookup.html", lang=lang, t=public_texts(lang), typed=typed, bad=True
        ), 400
    return render_template("public/lookup.html", lang=lang, t=public_texts(lang), typed="", bad=False)


@bp.get("/c/<code>")
def status(code: str) -> ResponseReturnValue:
    lang = reader_language()
    t = public_texts(lang)
    services: Services = current_app.extensions["rongtook"]
    # Read in the transaction, rendered after it: rendering reads the signed-in staff user (Flask-Login's
    # template context) in a transaction of its own, which SQLite would make wait for this one.
    with transaction(services.read_sessions) as session:
        record = public_record(session, code)
        if record is not None and record.public:
            complaint, district, deadlines = record.complaint, record.district, record.deadlines
            now = clock.now()
            upcoming = next_deadline(complaint, deadlines, now)
            steps = [
                Step(_when(e.at, lang), t(f"event_{e.kind}"), masked(text, lang) or "", hidden)
                for e, text, hidden in record.public_steps()
            ]
            before, after = _public_photos(session, record)
    if record is None:
        log.info("public page: no complaint %r", code[:40])
        return render_template("public/lookup.html", lang=lang, t=t, typed=code[:40], bad=True), 404
    if not record.public:  # the reporter's wish: not even its category or district
        code = record.complaint.tracking_code
        return render_template("public/lookup.html", lang=lang, t=t, typed=code, not_public=True), 404
    office = (district.name_th if lang == "th" else district.name_en) if district else t("centre")
    settings = services.settings
    key = settings.secret_key.encode()
    code = complaint.tracking_code
    before_photos = [
        PagePhoto(_photo_path(key, p), t("photo_before_alt", n=n, code=code)) for n, p in enumerate(before, 1)
    ]
    after_photos = [
        PagePhoto(_photo_path(key, p), t("photo_after_alt", n=n, code=code)) for n, p in enumerate(after, 1)
    ]
    first = (before + after)[:1]
    og_image = Links(key, settings.public_base_url).public_photo_url(first[0]) if first else None
    og_image_alt = (before_photos + after_photos)[0].alt if first else None
    latitude, longitude, precision = public_place(
        complaint.latitude, complaint.longitude, complaint.category in settings.public_coarse_categories
    )
    place = (
        Place(latitude, longitude, precision != "exact")
        if latitude is not None and longitude is not None
        else None
    )
    rows = [
        _deadline(t("deadline_ack"), deadlines.ack_due_at, deadlines.acknowledged_at, now, lang, t),
        _deadline(
            t("deadline_first_progress"),
            deadlines.first_progress_due_at,
            complaint.first_progress_at,
            now,
            lang,
            t,
        ),
    ]
    return render_template(
        "public/status.html",
        lang=lang,
        t=t,
        c=complaint,
        office=office,
        steps=steps,
        deadlines=[row for row in rows if row is not None],
        upcoming=(t(f"next_{upcoming.kind}"), date_in(local_date(upcoming.due_at), lang))
        if upcoming
        else None,
        received=_when(complaint.created_at, lang),
        page_url=status_url(settings.public_base_url, code),
        before_photos=before_photos,
        after_photos=after_photos,
        og_image=og_image,
        og_image_alt=og_image_alt,
        place=place,
        cell=COARSE_GRID_DEG,
        tile_url=settings.map_tile_url,
        tile_attribution=settings.map_tile_attribution,
    )


PDPA_SECTIONS = ("what", "why", "who", "how_long", "rights")  # the notice's parts, in order


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """The full privacy notice (PDPA), Thai or English; the same text as docs/privacy-notice.md."""
    lang = reader_language()
    t = public_texts(lang)
    settings: Settings = current_app.extensions["rongtook"].settings
    sections = [
        (t(f"pdpa_h_{name}"), t(f"pdpa_{name}", days=settings.retention_days).split("\n"))
        for name in PDPA_SECTIONS
    ]
    contact = settings.data_protection_contact or t("pdpa_contact_default")
    return render_template("public/privacy.html", lang=lang, t=t, sections=sections, contact=contact)


def _public_photos(session: Session, record: PublicRecord) -> tuple[list[int], list[int]]:
    """The ids of the photos the public may see, oldest first: "before" (the reporter's, from the filing or
    a reopening) and "after" (the district's, with a progress report or the result). Never a hidden one."""
    answers = {e.id for e in record.events if PUBLIC_EVENTS.get(e.kind)}  # what the district wrote
    before: list[int] = []
    after: list[int] = []
    for photo in photos_of(session, record.complaint):
        if record.hidden.photo(photo.id):
            continue
        (after if photo.event_id in answers else before).append(photo.id)
    return before, after


def _photo_path(key: bytes, photo_id: int) -> str:
    """The photo's public link on this site (404 for anyone once staff hide it)."""
    return url_for("photo_links.photo", photo_id=photo_id, token=photo_token(key, photo_id, PUBLIC))


def public_texts(lang: str):  # type: ignore[no-untyped-def]
    return lambda key, **values: say(f"public.{key}", lang, **values)


def _when(moment: datetime | object, lang: str) -> str:
    if isinstance(moment, datetime):
        local = moment.astimezone(BANGKOK)
        return f"{date_in(local.date(), lang)} {local:%H:%M}"
    return date_in(moment, lang)  # type: ignore[arg-type]


def _deadline(what, due, done, now, lang, t) -> Deadline | None:  # type: ignore[no-untyped-def]
    if due is None:
        return None
    verdict = ("met" if done <= due else "late") if done is not None else ("missed" if now > due else "open")
    return Deadline(what, date_in(local_date(due), lang), t(f"verdict_{verdict}"))
