"""`/map`: the complaints of the last PUBLIC_MAP_DAYS days on a map, for anyone.

    GET /map                     the page: Leaflet with Leaflet.markercluster, the district boundaries,
                                 filters by category, status, district and period (also as query params)
    GET /map/data                the complaints in the visible box (`bbox=minLon,minLat,maxLon,maxLat`)
                                 as JSON points, or counts per grid cell above MAX_POINTS (models.map_data)
    GET /map/districts.geojson   the district boundaries (the intake page's simplified copy)
    GET /map/leaflet/<file>      Leaflet and Leaflet.markercluster from their Python packages, so the
    GET /map/markercluster/<file>  map needs no CDN and `make run` nothing but Python

The page asks for the visible area only, again after each move. Every text in an answer is data the
page puts in with textContent, never as HTML (a category is a name an admin typed). A bad filter, date
or box is a 400 with a message in the reader's language, never a 500.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import xstatic.pkg.leaflet as leaflet_package  # type: ignore[import-untyped]
import xstatic.pkg.leaflet_markercluster as markercluster_package  # type: ignore[import-untyped]
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from admin.intake_pages import boundaries_geojson
from bot.public_pages import public_texts, reader_language
from bot.services import Services
from models import Category, District
from models.categories import all_categories, category_by_code
from models.clock import BANGKOK, clock
from models.complaints import ComplaintStatus
from models.db import transaction
from models.districts import sorted_districts
from models.map_data import Box, MapData, MapQuery, map_data
from models.thai_dates import date_in

log = logging.getLogger(__name__)
bp = Blueprint("public_map", __name__, template_folder="templates")

STATUSES = tuple(s.value for s in ComplaintStatus)
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
DISTRICT = re.compile(r"[0-9A-Za-z]{1,10}")
# A code whose link is the same text as the placeholder's with the code in its place (url_for quotes
# nothing in it): tracking codes are like 69-A00001; anything else gets its own url_for.
CODE = re.compile(r"[0-9A-Za-z-]{1,40}")
CODE_PLACEHOLDER = "CODE-0"
BANGKOK_OFFSET_S = 7 * 3600  # Asia/Bangkok: UTC+07:00 since 1920, no daylight saving
DAY_S = 86400
EPOCH_DAY = date(1970, 1, 1)
NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*")  # plain decimals: no nan, inf or 1e400


class BadInput(ValueError):
    """A filter the reader can correct: `key` names it for programs, the message for people."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Asked:
    """The filters as read, with the period made a range of Bangkok days within the map's window."""

    query: MapQuery
    first_day: date
    last_day: date
    category_code: str
    status: str
    district_code: str


def _services() -> Services:
    return current_app.extensions["rongtook"]  # type: ignore[no-any-return]


def _window(today: date) -> tuple[date, date]:
    """The map's days: PUBLIC_MAP_DAYS of them up to today (Bangkok), today included."""
    return today - timedelta(days=_services().settings.public_map_days - 1), today


def _read(session: Session, args: MultiDict[str, str], lang: str, today: date) -> Asked:
    t = public_texts(lang)
    window_first, window_last = _window(today)
    first = _day(args, "from", lang) or window_first
    last = _day(args, "to", lang) or window_last
    if first > last:
        raise BadInput("bad_period", t("open_data_bad_order"))
    # Outside the map's window there is nothing to show: the period is narrowed to it, not refused.
    first, last = max(first, window_first), min(last, window_last)

    category_code = args.get("category", "").strip()[:40]
    category_name: str | None = None
    if category_code:
        category = category_by_code(session, category_code)
        if category is None:
            raise BadInput("bad_category", t("map_bad_category", value=category_code))
        category_name = category.name_th  # complaints keep the Thai name
    status = args.get("status", "").strip()[:20]
    if status and status not in STATUSES:
        raise BadInput("bad_status", t("map_bad_status", value=status, statuses=", ".join(STATUSES)))
    district_code = args.get("district", "").strip()[:10]
    # Looked up only when it could be a code: PostgreSQL refuses a NUL in text (a 500, not a 400).
    if district_code and (
        not DISTRICT.fullmatch(district_code) or session.get(District, district_code) is None
    ):
        raise BadInput("bad_district", t("map_bad_district", value=district_code))
    query = MapQuery(
        since=datetime.combine(first, time(), BANGKOK),
        until=datetime.combine(last + timedelta(days=1), time(), BANGKOK),
        box=_box(args.get("bbox", "")[:200], lang),
        category=category_name,
        status=status or None,
        district_code=district_code or None,
    )
    return Asked(query, first, last, category_code, status, district_code)


def _day(args: MultiDict[str, str], name: str, lang: str) -> date | None:
    text = args.get(name, "").strip()
    if not text:
        return None
    try:
        if not DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        message = public_texts(lang)("open_data_bad_date", name=name, value=text[:20])
        raise BadInput("bad_date", message) from None


def _box(text: str, lang: str) -> Box | None:
    """`minLon,minLat,maxLon,maxLat` (as OGC and Leaflet's toBBoxString write it); empty: everywhere."""
    if not text.strip():
        return None
    parts = text.split(",")
    if len(parts) != 4 or not all(NUMBER.fullmatch(p) for p in parts):
        raise BadInput("bad_bbox", public_texts(lang)("map_bad_bbox", value=text[:60]))
    min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    if not (
        all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat))
        and -180 <= min_lon <= max_lon <= 180
        and -90 <= min_lat <= max_lat <= 90
    ):
        raise BadInput("bad_bbox", public_texts(lang)("map_bad_bbox", value=text[:60]))
    return Box(min_lon, min_lat, max_lon, max_lat)


def _names(session: Session, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """District names by code and category names by their Thai name, in the reader's language."""
    districts = {
        code: (en or th) if lang == "en" else th
        for code, th, en in session.execute(select(District.code, District.name_th, District.name_en))
    }
    categories = {
        th: (en or th) if lang == "en" else th
        for th, en in session.execute(select(Category.name_th, Category.name_en))
    }
    return districts, categories


@bp.get("/map")
def page() -> ResponseReturnValue:
    lang = reader_language()
    t = public_texts(lang)
    settings = _services().settings
    today = clock.now().astimezone(BANGKOK).date()
    error: str | None = None
    with transaction(_services().read_sessions) as session:
        try:
            asked: Asked | None = _read(session, request.args, lang, today)
        except BadInput as exc:
            log.info("public map: refused %s", request.query_string[:200])
            asked, error = None, str(exc)
        window_first, window_last = _window(today)
        categories = [
            (c.code, (c.name_en or c.name_th) if lang == "en" else c.name_th) for c in all_categories(session)
        ]
        districts = [
            (d.code, (d.name_en or d.name_th) if lang == "en" else d.name_th)
            for d in sorted_districts(session.scalars(select(District)), lang)
        ]
    body = render_template(
        "public/map.html",
        lang=lang,
        t=t,
        days=settings.public_map_days,
        categories=categories,
        statuses=[(s, t(f"status_{s}")) for s in STATUSES],
        districts=districts,
        chosen={
            "category": asked.category_code if asked else "",
            "status": asked.status if asked else "",
            "district": asked.district_code if asked else "",
            "from": (asked.first_day if asked else window_first).isoformat(),
            "to": (asked.last_day if asked else window_last).isoformat(),
        },
        window=(window_first.isoformat(), window_last.isoformat()),
        error=error,
        tile_url=settings.map_tile_url,
        tile_attribution=settings.map_tile_attribution,
    )
    return body, 400 if error else 200


@bp.get("/map/data")
def data() -> ResponseReturnValue:
    lang = reader_language()
    t = public_texts(lang)
    settings = _services().settings
    today = clock.now().astimezone(BANGKOK).date()
    with transaction(_services().read_sessions) as session:
        try:
            asked = _read(session, request.args, lang, today)
        except BadInput as exc:
            log.info("public map data: refused %s", request.query_string[:200])
            return jsonify(error=exc.key, message=str(exc)), 400
        found = map_data(session, asked.query, settings.public_coarse_categories)
        districts, categories = _names(session, lang)
    answer: dict[str, Any] = {
        "from": asked.first_day.isoformat(),
        "to": asked.last_day.isoformat(),
        "total": found.total,
    }
    if found.points is not None:
        answer.update(_points(found, lang, districts, categories), summary=t("map_found", count=found.total))
    else:
        answer.update(_clusters(found), summary=t("map_found_clusters", count=found.total))
    response = jsonify(answer)
    response.headers["Cache-Control"] = "public, max-age=60"  # a minute old is fresh enough for a map
    return response


def _points(
    found: MapData, lang: str, districts: dict[str, str], categories: dict[str, str]
) -> dict[str, Any]:
    """Up to MAX_POINTS points: what is the same for many is made once (the texts of the statuses, the
    link up to the code, the date of each day), so each point costs a dict and a few lookups."""
    t = public_texts(lang)
    centre = t("centre")
    status_texts = {status: t(f"status_{status}") for status in STATUSES}
    link_before, link_after = _status_link(lang)
    # The Bangkok day in Python, from the POSIX time and a fixed offset (Asia/Bangkok is UTC+7 all year,
    # no DST): timestamp() is much quicker than astimezone() to a ZoneInfo, and the text of each day is
    # made once for all its points. (Not in SQL: models.map_data sorts the points by the moment itself.)
    days: dict[int, str] = {}
    points = []
    for p in found.points or []:
        day = int((p.received_at.timestamp() + BANGKOK_OFFSET_S) // DAY_S)
        date_text = days.get(day)
        if date_text is None:
            date_text = days[day] = date_in(EPOCH_DAY + timedelta(days=day), lang)
        code = p.code
        points.append(
            {
                "code": code,
                "lat": p.latitude,
                "lon": p.longitude,
                "precision": p.precision,
                "status": p.status,
                "status_text": status_texts.get(p.status) or t(f"status_{p.status}"),
                "category": categories.get(p.category or "", p.category or "–"),
                "district": districts.get(p.district_code or "", centre),
                "date": date_text,
                "url": link_before + code + link_after if CODE.fullmatch(code) else _status_url(code, lang),
            }
        )
    return {"kind": "points", "points": points}


def _status_link(lang: str) -> tuple[str, str]:
    """A complaint page's link around its code, from url_for once per answer (not once per point)."""
    link = _status_url(CODE_PLACEHOLDER, lang)
    before, found, after = link.partition(CODE_PLACEHOLDER)
    assert found, link
    return before, after


def _status_url(code: str, lang: str) -> str:
    return url_for("public_pages.status", code=code, **({"lang": "en"} if lang == "en" else {}))


def _clusters(found: MapData) -> dict[str, Any]:
    return {
        "kind": "clusters",
        "cell": found.cell,
        "clusters": [{"lat": k.latitude, "lon": k.longitude, "count": k.count} for k in found.clusters or []],
    }


@bp.get("/map/districts.geojson")
def districts_geojson() -> ResponseReturnValue:
    with transaction(_services().read_sessions) as session:
        body = boundaries_geojson(session)
    response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/map/leaflet/<path:filename>")
def leaflet(filename: str) -> ResponseReturnValue:
    """leaflet.js, leaflet.css and its images, from the installed package (a safe join: no `..`)."""
    return send_from_directory(leaflet_package.BASE_DIR, filename, max_age=86400)


@bp.get("/map/markercluster/<path:filename>")
def markercluster(filename: str) -> ResponseReturnValue:
    return send_from_directory(markercluster_package.BASE_DIR, filename, max_age=86400)
