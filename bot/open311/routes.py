"""The Open311 GeoReport v2 endpoints under /open311/v2/ (docs/open311.md).

Every refusal is an `Open311Error`, answered in the spec's error format and in the format asked for,
with a log line; a POST checks everything (key, rate, fields, place, photos) before it writes, and
writes the complaint, its events, photos and the officers' cards in one transaction, so a refused
request stores nothing.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from bot.open311 import inputs, media, places, records
from bot.open311.render import FORMATS, Open311Error, answer, error_answer
from bot.services import Services
from handlers import use_cases
from handlers.notices import Links, office_name
from handlers.use_cases import Actor, Reporter
from models import ApiKey, Category, Channel, Complaint, District
from models.api_keys import find_key, posts_in_last_minute
from models.categories import all_categories, category_by_code
from models.clock import clock
from models.db import transaction
from models.deadlines import local_date
from models.nearby import distance_m, open_complaints_near
from models.photos import MAX_PHOTOS, save_photo
from models.sections import section_for
from models.tracking_codes import normalise_code

log = logging.getLogger(__name__)
bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

DUPLICATE_RADIUS_M = 50.0  # as the LINE dialog: the same category within 50 m is a possible duplicate
LAST_USED_EVERY = timedelta(minutes=1)  # a key's last_used_at is written at most this often
RATE_WINDOW = timedelta(minutes=1)


def _services() -> Services:
    return current_app.extensions["rongtook"]  # type: ignore[no-any-return]


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, "the format is .json or .xml")
    return fmt


def _links() -> Links:
    settings = _services().settings
    return Links(settings.secret_key.encode(), settings.public_base_url)


# ---- errors --------------------------------------------------------------------------------------


def _asked_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return str(fmt)
    return "xml" if request.path.endswith(".xml") else "json"


@bp.errorhandler(Open311Error)
def refused(error: Open311Error) -> Response:
    # %r: what a client sent (echoed in some descriptions) cannot forge a log line of its own.
    log.info(
        "open311 refused %s %r: %d %r", request.method, request.path[:200], error.status, error.description
    )
    return error_answer(_asked_format(), error)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Werkzeug's own refusals (a body over the size limit, a malformed multipart) in the spec's format."""
    status = error.code or 400
    described = {413: "the request is too large (photos up to 10 MB)"}.get(status, error.description or "")
    response = refused(Open311Error(status, described or "bad request"))
    if status == 405:
        response.headers["Allow"] = "GET, POST"
    return response


@bp.route("/", methods=["GET", "POST"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str = "") -> ResponseReturnValue:
    """Any other path or method under /open311/v2/, answered in the spec's format, not as an HTML page."""
    known = rest.startswith(("services", "requests", "request/"))
    if known and request.method not in ("GET", "POST"):
        raise Open311Error(405, f"{request.method} is not supported here")
    raise Open311Error(404, "no such resource: see /open311/v2/services.json and requests.json")


# ---- services ------------------------------------------------------------------------------------


@bp.get("/services.<fmt>")
def service_list(fmt: str) -> ResponseReturnValue:
    fmt = _format(fmt)
    lang = inputs.locale(request.args, request.accept_languages)
    with transaction(_services().sessions) as session:
        body = [records.service(c, lang) for c in all_categories(session, active_only=True)]
    return answer(fmt, "services", body)


@bp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str) -> ResponseReturnValue:
    fmt = _format(fmt)
    with transaction(_services().sessions) as session:
        category = category_by_code(session, code)
        if category is None or not category.active:
            raise Open311Error(404, "service_code not found")
        body = {"service_code": category.code, "attributes": records.attribute_definitions(category)}
    return answer(fmt, "service_definition", body)


# ---- reading requests ----------------------------------------------------------------------------


def _own_key(session: Session, values: Any, now: datetime) -> ApiKey | None:
    """The api_key of a GET, if one came (a GET needs none); a wrong or revoked one is refused."""
    secret = inputs.one(values, "api_key", 200)
    if secret is None:
        return None
    return _usable_key(session, secret, now)


@bp.get("/requests/<request_id>.<fmt>")
@bp.get("/request/<request_id>.<fmt>")  # the swagger's spelling (the spec's is `requests/`): an alias
def one_request(request_id: str, fmt: str) -> ResponseReturnValue:
    fmt = _format(fmt)
    values = request.args
    now = clock.now()
    lang = inputs.locale(values, request.accept_languages)
    with transaction(_services().sessions) as session:
        code = normalise_code(inputs.checked("service_request_id", request_id, 40))
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code)) if code else None
        if complaint is None or complaint.public_opt_out:  # the reporter asked it not be public: as none
            raise Open311Error(404, "service_request_id not found")
        key = _own_key(session, values, now)
        page = _page(session, lang, now, key, inputs.flag(values, "extensions"))
        body = records.service_requests(page, [complaint])
    return answer(fmt, "service_requests", body)


def _page(session: Session, lang: str, now: datetime, key: ApiKey | None, extensions: bool) -> records.Page:
    coarse = _services().settings.public_coarse_categories
    return records.Page(session, lang, _links(), now, key.id if key else None, extensions, coarse)


# Requests a GET may show: not those whose reporter asked that they not be public (models.public_hiding).
PUBLIC_ONLY = Complaint.public_opt_out.is_(False)


@bp.get("/requests.<fmt>")
def request_list(fmt: str) -> ResponseReturnValue:
    fmt = _format(fmt)
    values = request.args
    now = clock.now()
    lang = inputs.locale(values, request.accept_languages)
    extensions = inputs.flag(values, "extensions")
    ids = inputs.many(values, "service_request_id", 40)
    if len(ids) > inputs.MAX_IDS:
        raise Open311Error(400, f"at most {inputs.MAX_IDS} service_request_id values at once")
    with transaction(_services().sessions) as session:
        key = _own_key(session, values, now)
        if ids:  # the spec: service_request_id overrides every other argument
            codes = [c for c in (normalise_code(i) for i in ids) if c]
            query = select(Complaint).where(Complaint.tracking_code.in_(codes), PUBLIC_ONLY)
            query = query.order_by(Complaint.created_at.desc(), Complaint.id.desc())
        else:
            query = _filtered(session, values, now)
        complaints = list(session.scalars(query))
        body = records.service_requests(_page(session, lang, now, key, extensions), complaints)
    return answer(fmt, "service_requests", body)


def _filtered(session: Session, values: Any, now: datetime) -> Any:
    window = inputs.window(values, now)
    size = inputs.whole(values, "page_size", inputs.DEFAULT_PAGE_SIZE, inputs.MAX_PAGE_SIZE)
    number = inputs.whole(values, "page", 1, inputs.MAX_PAGE)
    query = select(Complaint).where(
        Complaint.created_at >= window.start, Complaint.created_at < window.end, PUBLIC_ONLY
    )
    district = inputs.one(values, "district", 10)  # a Rongtook extension: one district's requests
    if district is not None:
        if session.get(District, district) is None:
            raise Open311Error(400, "district is a 4-digit district code such as 1030")
        query = query.where(Complaint.district_code == district)
    codes = inputs.many(values, "service_code", 40)
    if codes:
        names = []
        for code in codes:
            category = category_by_code(session, code)
            if category is None:
                raise Open311Error(400, f"service_code {code[:40]} is not a service")
            names.append(category.name_th)
        query = query.where(Complaint.category.in_(names))
    statuses = inputs.many(values, "status", 10)
    if statuses:
        if not set(statuses) <= {"open", "closed"}:
            raise Open311Error(400, "status is open, closed or both (comma-separated)")
        if statuses == ["open"]:
            query = query.where(Complaint.status.in_(records.OPEN_VALUES))
        elif statuses == ["closed"]:
            query = query.where(Complaint.status.not_in(records.OPEN_VALUES))
    # Newest first, a page at a time; the index ix_complaints_district_created (or _created) serves it.
    query = query.order_by(Complaint.created_at.desc(), Complaint.id.desc())
    return query.limit(size).offset((number - 1) * size)


# ---- filing a request ----------------------------------------------------------------------------


def _usable_key(session: Session, secret: str, now: datetime, touch: bool = True) -> ApiKey:
    """The key with this secret, or 403. `touch`: note its use (committed only if the request succeeds,
    and at most once a minute for GETs, so reading does not write on every request)."""
    key = find_key(session, secret)
    if key is None:
        raise Open311Error(403, "invalid api_key")
    if not key.active:
        raise Open311Error(403, f"api_key {key.name} was revoked")
    if touch and (key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY):
        key.last_used_at = now
    return key


def _within_rate(session: Session, key: ApiKey, now: datetime) -> None:
    if posts_in_last_minute(session, key, now) < key.posts_per_minute:
        return
    oldest = session.scalar(
        select(func.min(Complaint.created_at)).where(
            Complaint.api_key_id == key.id, Complaint.created_at > now - RATE_WINDOW
        )
    )
    wait = (oldest + RATE_WINDOW - now).total_seconds() if oldest else RATE_WINDOW.total_seconds()
    raise Open311Error(
        429,
        f"api_key {key.name} may file {key.posts_per_minute} requests a minute; try again later",
        {"Retry-After": str(max(1, math.ceil(wait)))},
    )


def _checked_attributes(category: Category, given: dict[str, list[str]]) -> dict[str, Any]:
    """The values of the category's attributes (others ignored), each checked as its datatype says."""
    kept: dict[str, Any] = {}
    for definition in records.attribute_definitions(category):
        code = str(definition["code"])
        values = given.get(code, [])
        if not definition.get("variable", True):
            continue
        if not values:
            if definition.get("required"):
                raise Open311Error(400, f"attribute[{code}] is required for this service")
            continue
        datatype = definition.get("datatype", "string")
        keys = {str(v.get("key")) for v in definition.get("values") or [] if isinstance(v, dict)}
        if datatype in ("singlevaluelist", "multivaluelist") and not set(values) <= keys:
            raise Open311Error(400, f"attribute[{code}] must be one of its listed keys")
        if datatype != "multivaluelist" and len(values) > 1:
            raise Open311Error(400, f"attribute[{code}] takes one value")
        if datatype == "number":
            try:
                if not math.isfinite(float(values[0])):
                    raise ValueError(values[0])
            except ValueError:
                raise Open311Error(400, f"attribute[{code}] must be a number") from None
        kept[code] = values if datatype == "multivaluelist" else values[0]
    return kept


@dataclass(frozen=True)
class Form:
    """A POST's fields, read and checked (nothing here needs the database)."""

    code: str
    description: str
    name: str | None
    phone: str | None
    email: str | None
    latitude: float | None
    longitude: float | None
    address_string: str | None
    address_id: str | None
    attributes: dict[str, list[str]]


def _form(values: Any) -> Form:
    code = inputs.one(values, "service_code", 40)
    if code is None:
        raise Open311Error(400, "service_code is required")
    description = inputs.one(values, "description", inputs.MAX_DESCRIPTION)
    if description is None:
        raise Open311Error(400, "description is required (what is wrong, up to 4,000 characters)")
    first = inputs.one(values, "first_name", inputs.MAX_NAME)
    last = inputs.one(values, "last_name", inputs.MAX_NAME)
    name = " ".join(p for p in (first, last) if p) or None
    if name is not None and len(name) > inputs.MAX_NAME:
        raise Open311Error(400, f"first_name and last_name are longer than {inputs.MAX_NAME} characters")
    return Form(
        code=code,
        description=description,
        name=name,
        phone=inputs.phone_digits(inputs.one(values, "phone", 40)),
        email=inputs.email_address(inputs.one(values, "email", inputs.MAX_EMAIL)),
        latitude=inputs.coordinate(values, "lat", 90.0),
        longitude=inputs.coordinate(values, "long", 180.0),
        address_string=inputs.one(values, "address_string"),
        address_id=inputs.one(values, "address_id", 100),
        attributes=inputs.attributes(values),
    )


def _category_and_place(session: Session, form: Form) -> tuple[Category, dict[str, Any], places.Place]:
    category = category_by_code(session, form.code)
    if category is None or not category.active:
        raise Open311Error(404, f"service_code {form.code} not found")
    attributes = _checked_attributes(category, form.attributes)
    where = places.place(
        session,
        places.locator(current_app.extensions, session),
        form.latitude,
        form.longitude,
        form.address_string,
        form.address_id,
    )
    return category, attributes, where


@bp.post("/requests.<fmt>")
def file_request(fmt: str) -> ResponseReturnValue:
    fmt = _format(fmt)
    services = _services()
    values = request.values  # the form body; api_key may come in the query, as the swagger has it
    now = clock.now()
    lang = inputs.locale(values, request.accept_languages)
    secret = inputs.one(values, "api_key", 200)
    if secret is None:
        raise Open311Error(403, "api_key is required to file a request")
    media_url = inputs.one(values, "media_url", 2000)
    if media_url is None:
        # Nothing to fetch: one transaction from the key to the officers' cards (the usual request).
        with transaction(services.sessions) as session:
            key = _usable_key(session, secret, now, touch=False)
            _within_rate(session, key, now)
            form = _form(values)
            category, attributes, where = _category_and_place(session, form)
            photos = _photos(media.uploaded(request.files.getlist("media")))
            body = _file(session, key, form, category, attributes, where, photos, now, lang)
        return answer(fmt, "service_requests", body)

    with transaction(services.sessions) as session:
        key = _usable_key(session, secret, now, touch=False)
        _within_rate(session, key, now)
    form = _form(values)
    with transaction(services.sessions) as session:
        _category_and_place(session, form)
    # A photo to fetch: outside any transaction, so no database lock waits on the network.
    photos = _photos(
        [
            *media.uploaded(request.files.getlist("media")),
            media.fetch(media_url, services.settings.open311_media_hosts),
        ]
    )
    with transaction(services.sessions) as session:
        # Again, now that the request is whole: the key may have been revoked, or a burst passed, meanwhile.
        key = _usable_key(session, secret, now, touch=False)
        _within_rate(session, key, now)
        category, attributes, where = _category_and_place(session, form)
        body = _file(session, key, form, category, attributes, where, photos, now, lang)
    return answer(fmt, "service_requests", body)


def _photos(photos: list[Any]) -> list[Any]:
    if len(photos) > MAX_PHOTOS:
        raise Open311Error(400, f"at most {MAX_PHOTOS} photos")
    return photos


def _file(
    session: Session,
    key: ApiKey,
    form: Form,
    category: Category,
    attributes: dict[str, Any],
    where: places.Place,
    photos: list[Any],
    now: datetime,
    lang: str,
) -> list[dict[str, str]]:
    """File the checked request through the one filing use case; the answer's body."""
    settings = _services().settings
    # Held for the whole filing: the session keeps a row only while something refers to it, and the
    # cards and the notice below read this district again.
    district = session.get(District, where.district_code)
    stored = [save_photo(session, settings.photo_dir, m.data, m.content_type, now) for m in photos]
    duplicates = (
        _duplicates(session, category.name_th, where.latitude, where.longitude)
        if where.latitude is not None and where.longitude is not None
        else []
    )
    acting = use_cases.Acting(session, Actor("api", key.id, None, key.name), now, _links())
    complaint = use_cases.file(
        acting,
        None,
        description=form.description,
        category=category.name_th,
        district_code=where.district_code,
        latitude=where.latitude,
        longitude=where.longitude,
        photos=stored,
        section=section_for(session, category.name_th),
        routed_by=where.routed_by,
        possible_duplicates=duplicates,
        data={**where.data, **({"attributes": attributes} if attributes else {})} or None,
        reporter=Reporter(
            channel=Channel.API.value, name=form.name, phone=form.phone, email=form.email, api_key_id=key.id
        ),
    )
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        # At most once a minute: every POST writing the key's row would queue the client's parallel
        # requests behind one another on its lock.
        key.last_used_at = now
    log.info(
        "open311 %s filed %s (%s)", key.name, complaint.tracking_code, district.code if district else "-"
    )
    return [
        {"service_request_id": complaint.tracking_code, "service_notice": _notice(session, complaint, lang)}
    ]


def _duplicates(session: Session, category: str, latitude: float, longitude: float) -> list[Complaint]:
    found = open_complaints_near(
        session, category=category, latitude=latitude, longitude=longitude, radius_m=DUPLICATE_RADIUS_M
    )
    return sorted(found, key=lambda c: distance_m(latitude, longitude, c.latitude, c.longitude))


def _notice(session: Session, complaint: Complaint, lang: str) -> str:
    """Who has it and by when they acknowledge it (RULES §2), as the LINE citizen is told."""
    office = office_name(session, complaint.district_code, lang)
    due = complaint.ack_due_at
    if due is None:
        return office
    day = local_date(due).isoformat()
    if lang == "en":
        return f"Sent to the {office}; to be acknowledged by {day}"
    return f"ส่งถึง{office} แล้ว กำหนดรับเรื่องภายใน {day}"
