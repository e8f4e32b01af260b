"""The staff intake pages (issue 15, point 2): complaints that come by phone (1555), in person, by
letter or from the city's website, entered by the centre's call-takers and the districts' front desks
(the `intake` role, and admins); a reporter's complaints found by phone number; a rating given by phone.

    GET  /admin/intake                     the form
    POST /admin/intake                     checked; the duplicate hint first when there is one; filed
    GET  /admin/intake/filed/<code>        the tracking code, large, to read out over the phone
    GET  /admin/intake/place.json          the pin's district and the duplicates near it, as the pin moves
    GET  /admin/intake/districts.geojson   the district boundaries for the map (simplified, cached)
    GET  /admin/intake/leaflet/<file>      Leaflet, from the xstatic-leaflet package (no CDN)
    GET  /admin/intake/phone               a reporter's complaints by phone number
    POST /admin/intake/rate                the rating a reporter without LINE gives by phone

Filing is `handlers.use_cases.file`, as LINE files: the same routing, section, deadlines (from the moment
of saving, RULES §2) and officer card. A bad field refuses the whole form in words (400), keeps what was
typed and stores nothing. The duplicate hint (an open complaint of the category within 50 m) needs no
script: the first submit shows it and asks to confirm; photos chosen then wait in PHOTO_DIR/intake-staged/
(named by their hash) until the confirming submit files them.

An `intake` account reaches only these pages, the complaints (read-only) and their photos: its
dashboard is this page, and KPI, reports, audit and settings answer 403 (`intake_pages_only`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, cast

import shapely
import xstatic.pkg.leaflet as leaflet_package  # type: ignore[import-untyped]
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from admin.views import bp, district_name, lang, roles_required, scope, services, text, typed_day
from handlers import use_cases
from handlers.notices import Links
from handlers.use_cases import Acting, ActionRefused, Actor, Reporter
from models import Category, Complaint, ComplaintEvent, District
from models.access_records import PHONE_SEARCH, REPORTER_PHONE, Viewer, record_view
from models.categories import all_categories, category_by_code
from models.clock import BANGKOK, clock
from models.complaints import STAFF_CHANNELS, Channel, ComplaintStatus
from models.db import transaction
from models.deadlines import deadlines_for, next_deadline
from models.districts import BoundaryFileError, DistrictLocator, read_boundaries, sorted_districts
from models.nearby import distance_m, open_complaints_near
from models.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, image_type, save_photo
from models.sections import section_for
from models.staff import INTAKE_ROLES
from models.thai_dates import date_in
from models.tracking_codes import normalise_code
from models.working_days import WorkingCalendar, load_calendar

MAX_DESCRIPTION = 4000  # as the Open311 door takes
MAX_NAME = 200  # complaints.reporter_name
MAX_EMAIL = 254  # complaints.reporter_email
DUPLICATE_RADIUS_M = 50.0  # as LINE shows the citizen (handlers.citizen_steps)
PHONE_LIST_LIMIT = 50
CHANNELS = tuple(c.value for c in STAFF_CHANNELS)
# What a call-taker types for a phone number: digits, spaces, dashes, dots, brackets, one leading "+".
PHONE_TYPED = re.compile(r"\+?[0-9][0-9 ().-]*")
PHONE_DIGITS = (9, 15)  # a Bangkok landline has 9 (02 xxx xxxx), a mobile 10; E.164 at most 15
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")  # loose: catches a slip, not an undeliverable address
DIGEST = re.compile(r"[0-9a-f]{64}")
STAGED_DIR = "intake-staged"
STAGED_KEPT_S = 86_400  # a staged photo older than the newest by a day belongs to an abandoned form
# The request may carry four full-size photos (the app's own limit is one photo's worth).
INTAKE_BODY_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024
MAP_SIMPLIFY_DEG = 0.0001  # about 11 m: the boundaries drawn shrink from 1.8 MB to about 90 kB
MAP_DECIMALS = 5  # about 1 m
# What an intake account may open besides its own pages (`admin.intake*`): the complaints, read-only.
INTAKE_ALSO = frozenset(
    {"admin.login", "admin.logout", "admin.complaints", "admin.complaint", "admin.export", "admin.photo"}
)


class IntakeSettings(Protocol):
    """The settings these pages read (`bot.settings.Settings` has them)."""

    secret_key: str
    public_base_url: str | None
    photo_dir: Path
    districts_geojson: Path | None
    map_tile_url: str | None
    map_tile_attribution: str


def settings() -> IntakeSettings:
    return cast(IntakeSettings, services().settings)


# ---- who may open what --------------------------------------------------------------------------


@bp.before_request
def intake_pages_only() -> ResponseReturnValue | None:
    """An intake account's pages: its own, and the complaints to read; its dashboard is the form."""
    if not current_user.is_authenticated or current_user.role != "intake" or request.endpoint is None:
        return None
    endpoint = request.endpoint
    if endpoint.startswith("admin.intake") or endpoint in INTAKE_ALSO:
        return None
    if endpoint == "admin.dashboard":
        return redirect(url_for("admin.intake"))
    current_app.logger.info("intake %s: refused %s", current_user.username, endpoint)
    return render_template("admin/message.html", message=text("forbidden")), 403


@bp.before_app_request
def room_for_photos() -> None:
    """The form may carry four photos of 10 MB: its own body limit, set before anything reads the body
    (the app's hooks run before the blueprint's CSRF check, which reads the form)."""
    if request.endpoint == "admin.intake_submit":
        request.max_content_length = INTAKE_BODY_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    current_app.logger.info("admin: refused an upload of %s bytes", request.content_length)
    return render_template("admin/message.html", message=text("intake_too_large")), 413


def _actor() -> Actor:
    """The signed-in call-taker (a `staff` actor) or admin by account name: the event keeps who entered it."""
    kind = "admin" if current_user.role == "admin" else "staff"
    return Actor(kind, None, None, current_user.username)


def _links() -> Links:
    return Links(settings().secret_key.encode(), settings().public_base_url)


# ---- what was typed -----------------------------------------------------------------------------


FIELDS = ("description", "category", "latitude", "longitude", "district", "channel")
REPORTER_FIELDS = ("name", "phone", "email", "reported_on", "not_public")  # not_public: a checkbox, "1"
KEPT_CHARS = 20_000  # what is shown back of a field (a description over the limit is shown to shorten)


@dataclass
class Typed:
    """The form as typed, to show back: the fields, the photos kept from the hint step, the hint's codes."""

    values: dict[str, str] = field(default_factory=lambda: {"channel": Channel.PHONE.value})
    staged: list[str] = field(default_factory=list)  # digests of photos waiting in STAGED_DIR
    seen: list[str] = field(default_factory=list)  # codes of the duplicates the hint showed
    photos_chosen: int = 0

    @classmethod
    def read(cls, form: Any, files: list[FileStorage]) -> Typed:
        values = {name: str(form.get(name, ""))[:KEPT_CHARS] for name in FIELDS + REPORTER_FIELDS}
        staged = [d for d in form.getlist("staged") if DIGEST.fullmatch(d)][: MAX_PHOTOS + 1]
        seen = [c for c in (normalise_code(v) for v in form.getlist("seen")) if c][:20]
        return cls(values, staged, seen, len(files))


@dataclass(frozen=True)
class Upload:
    data: bytes
    kind: str  # its MIME type, as Pillow read it
    digest: str | None = None  # a staged photo's


@dataclass(frozen=True)
class Checked:
    """A form that passed every check: what `use_cases.file` is given."""

    description: str
    category: Category
    district: District
    latitude: float | None
    longitude: float | None
    routed_by: str  # "location" (the pin) or "staff" (the district chosen by name)
    reporter: Reporter
    photos: list[Upload]
    public: bool = True  # False: the reporter asked that it not appear on the public site


@dataclass
class Problems:
    """The refusals of one submit, in the page's words, each with the field it is about."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, key: str, **values: object) -> None:
        self.items.append((name, text(key, **values)))

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def fields(self) -> set[str]:
        return {name for name, _ in self.items}


def normalise_phone(raw: str) -> str | None:
    """A phone number as complaints keep it, digits only: `081-234 5678` and `+66 81 234 5678` are both
    `0812345678`; None when it is not a phone number (letters, too few or too many digits)."""
    typed = raw.strip()
    if not PHONE_TYPED.fullmatch(typed):
        return None
    digits = re.sub(r"\D", "", typed)
    if typed.startswith("+66"):  # Thailand's country code: written with the trunk 0 as it is dialled here
        digits = "0" + digits[2:].lstrip("0")
    return digits if PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1] else None


def _point(lat_raw: str, lon_raw: str) -> tuple[float, float] | None:
    try:
        lat, lon = float(lat_raw), float(lon_raw)
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def check(s: Session, typed: Typed, files: list[FileStorage], problems: Problems) -> Checked | None:
    """Every field checked (all refusals at once, so one correction round is enough); None if any failed."""
    v = {k: val.strip() for k, val in typed.values.items()}
    description = v["description"]
    if not description:
        problems.add("description", "intake_needs_description")
    elif len(description) > MAX_DESCRIPTION:
        problems.add("description", "intake_description_too_long", n=f"{len(description):,}")
    category = category_by_code(s, v["category"]) if v["category"] else None
    if not v["category"]:
        problems.add("category", "intake_needs_category")
    elif category is None or not category.active:
        problems.add("category", "intake_bad_category")
    district, point, routed_by = _place(s, v, problems)
    if v["channel"] not in CHANNELS:
        problems.add("channel", "intake_bad_channel")
    if len(v["name"]) > MAX_NAME:
        problems.add("name", "intake_name_too_long")
    phone = normalise_phone(v["phone"]) if v["phone"] else None
    if v["phone"] and phone is None:
        problems.add("phone", "intake_bad_phone", value=v["phone"][:40])
    if v["email"] and (len(v["email"]) > MAX_EMAIL or not EMAIL.fullmatch(v["email"])):
        problems.add("email", "intake_bad_email", value=v["email"][:60])
    reported_on = _reported_on(v["reported_on"], problems)
    photos = _photos(typed, files, problems)
    if problems or category is None or district is None or photos is None:
        return None
    return Checked(
        description=description,
        category=category,
        district=district,
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
        routed_by=routed_by,
        reporter=Reporter(
            channel=v["channel"],
            name=v["name"] or None,
            phone=phone,
            email=v["email"] or None,
            reported_on=reported_on,
        ),
        photos=photos,
        public=v["not_public"] != "1",
    )


def _place(
    s: Session, v: dict[str, str], problems: Problems
) -> tuple[District | None, tuple[float, float] | None, str]:
    """The district: the pin's (routed by location), or the one chosen by name (routed by staff)."""
    chosen = s.get(District, v["district"]) if v["district"] and len(v["district"]) <= 4 else None
    if v["district"] and chosen is None:
        problems.add("district", "intake_bad_district")
        return None, None, "staff"
    if not (v["latitude"] or v["longitude"]):
        if chosen is None:
            problems.add("latitude", "intake_needs_place")
        return chosen, None, "staff"
    point = _point(v["latitude"], v["longitude"])
    if point is None:
        problems.add("latitude", "intake_bad_point")
        return None, None, "location"
    locator = district_locator(s)
    if not locator.enabled:
        problems.add("latitude", "intake_no_boundaries")
        return None, None, "location"
    code = locator.locate(*point)
    pinned = s.get(District, code) if code else None
    if pinned is None:
        problems.add("latitude", "intake_outside")
        return None, None, "location"
    if chosen is not None and chosen.code != pinned.code:
        problems.add(
            "district", "intake_place_conflict", pin=district_name(pinned), chosen=district_name(chosen)
        )
        return None, None, "location"
    return pinned, point, "location"


def _reported_on(raw: str, problems: Problems) -> date | None:
    if not raw:
        return None
    try:
        day = typed_day(raw[:40])
    except ValueError:
        problems.add("reported_on", "bad_date", value=raw[:40])
        return None
    if day > clock.now().astimezone(BANGKOK).date():
        problems.add("reported_on", "intake_future_date", value=raw[:40])
        return None
    return day


def _photos(typed: Typed, files: list[FileStorage], problems: Problems) -> list[Upload] | None:
    """The photos kept from the hint step and those chosen now, each an image Pillow reads (the checks of
    the officer's upload, `admin.actions`); nothing is written here."""
    if len(typed.staged) + len(files) > MAX_PHOTOS:
        problems.add("photos", "refused_photo_too_many")
        return None
    photos = []
    for digest in typed.staged:
        try:
            data = (staged_dir() / digest).read_bytes()
        except OSError:  # gone: filed by another submit of the same photo, or cleared
            data = b""
        kind = image_type(data) if data else None
        if kind is None:
            problems.add("photos", "intake_photo_lost")
            return None
        photos.append(Upload(data, kind, digest))
    for upload in files:
        data = upload.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            problems.add("photos", "refused_photo_too_large")
            return None
        kind = image_type(data)
        if kind is None:
            problems.add("photos", "refused_photo_not_image")
            return None
        photos.append(Upload(data, kind))
    return photos


# ---- the photos that wait for the confirming submit -------------------------------------------


def staged_dir() -> Path:
    return settings().photo_dir / STAGED_DIR


def stage(photos: list[Upload]) -> list[str]:
    """Keep the photos until the form is confirmed; their digests go into the page. A staged photo a day
    older than the newest is an abandoned form's (file times only: no clock is compared with them)."""
    folder = staged_dir()
    folder.mkdir(parents=True, exist_ok=True)
    digests = []
    for photo in photos:
        digest = photo.digest or _sha256(photo.data)
        target = folder / digest
        if not target.exists():
            part = folder / f"{digest}.part"
            part.write_bytes(photo.data)
            part.replace(target)
        else:
            target.touch()
        digests.append(digest)
    times = {}
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):  # another web worker may have just filed or removed it
            times[entry] = entry.stat().st_mtime
    newest = max(times.values(), default=0.0)
    for entry, mtime in times.items():
        if mtime < newest - STAGED_KEPT_S:
            with contextlib.suppress(OSError):
                entry.unlink()
    return digests


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unstage(digests: list[str]) -> None:
    for digest in digests:
        with contextlib.suppress(OSError):  # filed already: a file left behind is cleared a day later
            (staged_dir() / digest).unlink()


# ---- the form ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nearby:
    """An open complaint of the same category near the pin, as the hint shows it."""

    code: str
    status: str
    district: str
    metres: int
    received: datetime


def duplicates_near(s: Session, category: str, latitude: float, longitude: float) -> list[Complaint]:
    found = open_complaints_near(
        s, category=category, latitude=latitude, longitude=longitude, radius_m=DUPLICATE_RADIUS_M
    )
    return sorted(found, key=lambda c: distance_m(latitude, longitude, c.latitude, c.longitude))


def _nearby(s: Session, found: list[Complaint], latitude: float, longitude: float) -> list[Nearby]:
    names = {d.code: district_name(d) for d in s.scalars(select(District))}
    return [
        Nearby(
            c.tracking_code,
            c.status,
            names.get(c.district_code or "", text("centre")),
            round(distance_m(latitude, longitude, c.latitude, c.longitude)),
            c.created_at,
        )
        for c in found
    ]


def _page(
    s: Session,
    typed: Typed,
    problems: Problems | None = None,
    hint: list[Nearby] | None = None,
) -> str:
    categories = all_categories(s, active_only=True)
    districts = sorted_districts(s.scalars(select(District)), lang())
    return render_template(
        "admin/intake.html",
        v=typed.values,
        staged=typed.staged,
        seen=[n.code for n in hint] if hint else [],
        problems=problems.items if problems else [],
        bad=problems.fields if problems else set(),
        photos_again=bool(problems) and typed.photos_chosen > 0,
        hint=hint or [],
        categories=categories,
        districts=districts,
        channels=CHANNELS,
        max_description=MAX_DESCRIPTION,
        max_photos=MAX_PHOTOS,
        tile_url=settings().map_tile_url,
        tile_attribution=settings().map_tile_attribution,
    )


@bp.get("/intake")
@roles_required(*INTAKE_ROLES)
def intake() -> ResponseReturnValue:
    with transaction(services().sessions) as s:
        return _page(s, Typed())


@bp.post("/intake")
@roles_required(*INTAKE_ROLES)
def intake_submit() -> ResponseReturnValue:
    files = [f for f in request.files.getlist("photos") if f.filename]
    typed = Typed.read(request.form, files)
    problems = Problems()
    now = clock.now()
    with transaction(services().sessions) as s:
        checked = check(s, typed, files, problems)
        if checked is None:
            current_app.logger.info(
                "intake %s: refused (%s)", current_user.username, ", ".join(sorted(problems.fields))
            )
            return _page(s, typed, problems), 400
        found: list[Complaint] = []
        point = (checked.latitude, checked.longitude)
        if point[0] is not None and point[1] is not None:
            found = duplicates_near(s, checked.category.name_th, point[0], point[1])
        if found and {c.tracking_code for c in found} - set(typed.seen):
            # Not yet shown (or the pin moved to others): the hint, and the form again to confirm.
            typed.staged = stage(checked.photos)
            hint = _nearby(s, found, point[0] or 0.0, point[1] or 0.0)
            current_app.logger.info(
                "intake %s: duplicate hint %s", current_user.username, ",".join(n.code for n in hint)
            )
            return _page(s, typed, hint=hint)
        complaint = _file(s, checked, found, now)
        code = complaint.tracking_code
    unstage([p.digest for p in checked.photos if p.digest])
    services().wake.set()  # a worker in this process sends the officers' card at once
    current_app.logger.info(
        "intake %s: filed %s (%s, %s)",
        current_user.username,
        code,
        checked.reporter.channel,
        checked.routed_by,
    )
    return redirect(url_for("admin.intake_filed", code=code), code=303)


def _file(s: Session, checked: Checked, duplicates: list[Complaint], now: datetime) -> Complaint:
    """As LINE files (`handlers.citizen_steps.confirm`): the section, the duplicates, the officers' card."""
    photos = [save_photo(s, settings().photo_dir, p.data, p.kind, now) for p in checked.photos]
    category = checked.category.name_th  # complaints keep the Thai name
    return use_cases.file(
        Acting(s, _actor(), now, _links()),
        None,
        description=checked.description,
        category=category,
        district_code=checked.district.code,
        latitude=checked.latitude,
        longitude=checked.longitude,
        photos=photos,
        section=section_for(s, category),
        routed_by=checked.routed_by,
        possible_duplicates=duplicates,
        reporter=checked.reporter,
        public=checked.public,
    )


# Where a reporter without LINE follows a complaint by its code: the public status page, or where there
# is none the public status API (both in `bot`, named by endpoint: the web layer does not import the bot).
PUBLIC_STATUS = ("public_pages.status", "public_api.complaint_status")


def public_status_url(code: str) -> str | None:
    for endpoint in PUBLIC_STATUS:
        try:
            path = url_for(endpoint, code=code)
        except BuildError:
            continue
        base = settings().public_base_url
        return f"{base}{path}" if base else path
    return None


@bp.get("/intake/filed/<code>")
@roles_required(*INTAKE_ROLES)
def intake_filed(code: str) -> ResponseReturnValue:
    normal = normalise_code(code)
    with transaction(services().sessions) as s:
        complaint = s.scalar(select(Complaint).where(Complaint.tracking_code == normal)) if normal else None
        if complaint is None:
            abort(404)
        district = s.get(District, complaint.district_code) if complaint.district_code else None
        s.expunge(complaint)
        name = district_name(district) if district else text("centre")
    due = complaint.ack_due_at
    return render_template(
        "admin/intake_filed.html",
        c=complaint,
        routed_to=text("intake_routed_to", district=name, section=complaint.section or "–"),
        ack_due=text("intake_next_ack", date=date_in(due.astimezone(BANGKOK).date(), lang())) if due else "",
        # No public page to give a reporter who asked not to be public: it would only say so.
        status_url=None if complaint.public_opt_out else public_status_url(complaint.tracking_code),
    )


# ---- the map -------------------------------------------------------------------------------------

_locators_lock = threading.Lock()


def district_locator(s: Session) -> DistrictLocator:
    """The stored boundaries as LINE routes by them, built once per app (they change only on release)."""
    extensions = current_app.extensions
    locator = extensions.get("rongtook_intake_locator")
    if locator is None:
        with _locators_lock:
            locator = extensions.get("rongtook_intake_locator")
            if locator is None:
                locator = DistrictLocator.from_session(s)
                if locator.enabled:  # none loaded yet: look again next time
                    extensions["rongtook_intake_locator"] = locator
    return cast(DistrictLocator, locator)


@bp.get("/intake/place.json")
@roles_required(*INTAKE_ROLES)
def intake_place() -> ResponseReturnValue:
    """The pin's district and the open complaints of the category within 50 m, for the live hint."""
    point = _point(request.args.get("lat", "")[:30], request.args.get("lon", "")[:30])
    if point is None:
        return jsonify(error="bad_point", message=text("intake_bad_point")), 400
    with transaction(services().sessions) as s:
        locator = district_locator(s)
        code = locator.locate(*point) if locator.enabled else None
        district = s.get(District, code) if code else None
        category = category_by_code(s, request.args.get("category", "")[:40])
        found = duplicates_near(s, category.name_th, *point) if category and district else []
        nearby = _nearby(s, found, *point)
        return jsonify(
            routing=locator.enabled,
            district=(
                {"code": district.code, "name": district_name(district)} if district is not None else None
            ),
            message=(
                text("intake_pin_in", district=district_name(district))
                if district is not None
                else text("intake_outside" if locator.enabled else "intake_no_boundaries")
            ),
            duplicates=[
                {
                    "code": n.code,
                    "status": text(n.status),
                    "district": n.district,
                    "metres": n.metres,
                    "url": url_for("admin.complaint", code=n.code),
                }
                for n in nearby
            ],
        )


_shapes_lock = threading.Lock()
_shapes: dict[tuple[str, int], bytes] = {}


def boundaries_geojson(s: Session) -> bytes:
    """The configured GeoJSON (DISTRICTS_GEOJSON), simplified to about 11 m and 1 m coordinates (the pin is
    routed by the exact boundaries on the server); the stored boundaries when no file is configured."""
    path = settings().districts_geojson
    key = (str(path), path.stat().st_mtime_ns) if path is not None and path.is_file() else ("db", 0)
    with _shapes_lock:
        if key not in _shapes:
            if path is not None and key[0] != "db":
                try:
                    rows = [(b.code, b.name_th, b.name_en, b.geometry) for b in read_boundaries(path)]
                except BoundaryFileError as exc:
                    current_app.logger.warning("intake map: %s", exc)
                    rows = []
            else:
                stored = s.execute(
                    select(District.code, District.name_th, District.name_en, District.boundary).where(
                        District.boundary.is_not(None)
                    )
                )
                rows = [(c, th, en, shape(json.loads(b))) for c, th, en, b in stored]
            features = [
                {
                    "type": "Feature",
                    "properties": {"code": code, "name_th": name_th, "name_en": name_en},
                    "geometry": shapely.transform(
                        geometry.simplify(MAP_SIMPLIFY_DEG, preserve_topology=True),
                        lambda xy: xy.round(MAP_DECIMALS),
                    ).__geo_interface__,
                }
                for code, name_th, name_en, geometry in rows
            ]
            collection = {"type": "FeatureCollection", "features": features}
            body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
            if not features:
                return body  # none loaded yet: look again next time
            _shapes[key] = body
        return _shapes[key]


@bp.get("/intake/districts.geojson")
@roles_required(*INTAKE_ROLES)
def intake_districts() -> ResponseReturnValue:
    with transaction(services().sessions) as s:
        body = boundaries_geojson(s)
    response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/intake/leaflet/<path:filename>")
@roles_required(*INTAKE_ROLES)
def intake_leaflet(filename: str) -> ResponseReturnValue:
    """leaflet.js, leaflet.css and its marker images, from the installed package (a safe join: no `..`)."""
    return send_from_directory(leaflet_package.BASE_DIR, filename, max_age=86400)


# ---- a reporter's complaints by phone, and their rating -----------------------------------------


@dataclass(frozen=True)
class Found:
    """One complaint of the reporter, as the call-taker reads it out."""

    code: str
    received: datetime
    reported_on: date | None
    channel: str
    category: str
    district: str
    status: str
    next: str
    rating: int | None
    rateable: bool  # resolved, unrated and without a LINE citizen: the rating is given by phone
    on_line: bool


NEXT_KEYS = {
    "ack": "intake_next_ack",
    "first_progress": "intake_next_first_progress",
    "checkpoint": "intake_next_checkpoint",
}


def _next_words(s: Session, complaint: Complaint, calendar: WorkingCalendar, now: datetime) -> str:
    """What the district owes next, in words (as LINE tells a citizen, `handlers.tracking`)."""

    def events() -> list[ComplaintEvent]:  # read only for a row older than its stored deadlines
        of_it = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
        return list(s.scalars(of_it.order_by(ComplaintEvent.id)))

    deadlines = deadlines_for(complaint, events, calendar)
    upcoming = next_deadline(complaint, deadlines, now)
    if upcoming is None:
        return "–"
    return text(NEXT_KEYS[upcoming.kind], date=date_in(upcoming.due_at.astimezone(BANGKOK).date(), lang()))


@bp.get("/intake/phone")
@roles_required(*INTAKE_ROLES)
def intake_phone() -> ResponseReturnValue:
    raw = request.args.get("phone", "").strip()[:40]
    phone = normalise_phone(raw) if raw else None
    if raw and phone is None:
        current_app.logger.info("intake %s: refused phone lookup", current_user.username)
        return render_template(
            "admin/intake_phone.html", phone=raw, found=None, error=text("intake_bad_phone", value=raw)
        ), 400
    found: list[Found] | None = None
    if phone:
        now = clock.now()
        with transaction(services().sessions) as s:
            rows = list(
                s.scalars(
                    scope(select(Complaint))
                    .where(Complaint.reporter_phone == phone)
                    .order_by(Complaint.created_at.desc(), Complaint.id.desc())
                    .limit(PHONE_LIST_LIMIT)
                )
            )
            names = {d.code: district_name(d) for d in s.scalars(select(District))}
            calendar = load_calendar(s)
            found = [
                Found(
                    code=c.tracking_code,
                    received=c.created_at,
                    reported_on=c.reported_on,
                    channel=c.channel,
                    category=c.category or "–",
                    district=names.get(c.district_code or "", text("centre")),
                    status=c.status,
                    next=_next_words(s, c, calendar, now),
                    rating=c.rating,
                    rateable=c.status == ComplaintStatus.RESOLVED
                    and c.citizen_id is None
                    and c.rating is None,
                    on_line=c.citizen_id is not None,
                )
                for c in rows
            ]
            # Which complaints a phone number made is personal data: the view is recorded (issue 17).
            viewer = Viewer(current_user.id, current_user.username, current_user.role)
            record_view(s, viewer, [c.id for c in rows], [REPORTER_PHONE], PHONE_SEARCH, now)
    return render_template("admin/intake_phone.html", phone=phone or raw, found=found, error=None)


@bp.post("/intake/rate")
@roles_required(*INTAKE_ROLES)
def intake_rate() -> ResponseReturnValue:
    code = normalise_code(request.form.get("code", "")[:20])
    stars_raw = request.form.get("stars", "")[:2]
    phone = normalise_phone(request.form.get("phone", "")[:40]) or ""
    back = redirect(
        url_for("admin.intake_phone", phone=phone) if phone else url_for("admin.intake_phone"), 303
    )
    if not stars_raw.isdigit() or not 1 <= int(stars_raw) <= 5:
        return _refuse_rating(back, code, "intake_bad_stars")
    stars = int(stars_raw)
    with transaction(services().sessions) as s:
        complaint = (
            s.scalar(scope(select(Complaint)).where(Complaint.tracking_code == code)) if code else None
        )
        if complaint is None:
            return _refuse_rating(back, code, "intake_unknown_code")
        try:
            actor = _actor()
            use_cases.rate(Acting(s, actor, clock.now(), _links()), complaint, actor, stars)
        except ActionRefused as exc:
            s.rollback()
            return _refuse_rating(back, code, RATING_REFUSALS.get(exc.reason, "intake_cannot_rate"))
    current_app.logger.info("intake %s: rated %s %s stars by phone", current_user.username, code, stars)
    flash(text("intake_rated", code=code, stars=stars))
    return back


RATING_REFUSALS = {"rated_on_line": "intake_rated_on_line", "bad_rating": "intake_bad_stars"}


def _refuse_rating(back: Response, code: str | None, key: str) -> Response:
    current_app.logger.info("intake %s: rating of %s refused (%s)", current_user.username, code, key)
    flash(text(key))
    return back
