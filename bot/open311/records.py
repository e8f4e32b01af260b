"""Complaints as Open311 service requests, and categories as services.

What a GET shows (anyone may ask, without a key): the status (open/closed), the latest public
update, the district office, the deadlines, times, the place and the first photo. Never the
reporter: no name, phone, e-mail, LINE id or citizen id, nor the key or client that filed it.

The citizen's own description is not shown either, as on the public status page (bot/public_api.py):
people write phone numbers and home addresses into it, and a LINE citizen never agreed to have it
published. The one exception is the client that filed the complaint: a GET carrying the api_key that
filed it gets its `description` back (it sent that text itself, so nothing new leaks).

What staff hid from the public (`models.public_hiding`) is left out: a hidden text is neither the status
notes nor a note's words, a hidden photo is never the `media_url`. A complaint whose reporter asked that it
not be public is not served at all (the routes leave it out of every GET).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.notices import Links, office_name
from models import Category, Complaint, ComplaintEvent, District, Photo
from models.categories import OTHER_CODE, all_categories
from models.clock import BANGKOK
from models.complaint_lifecycle import OPEN_VALUES, STAFF_EVENT_KINDS
from models.deadlines import deadlines_for, next_deadline
from models.open_data import public_place
from models.public_hiding import NOTHING_HIDDEN, PUBLIC_EVENTS, Hidden, public_text, replayed
from models.public_text import masked
from models.working_days import WorkingCalendar, load_calendar
from texts import say

CLOSED = "closed"
# Open311 note types: the spec's example calls the first one "submitted"; the others keep our names.
NOTE_TYPES = {"filed": "submitted"}
ATTRIBUTE_KEYS = (
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
)


def open_or_closed(status: str) -> str:
    return "open" if status in OPEN_VALUES else CLOSED


def iso(moment: datetime | None) -> str | None:
    """W3 date-time in Bangkok with its offset (2026-11-23T09:00:00+07:00), as the spec requires."""
    return moment.astimezone(BANGKOK).isoformat(timespec="seconds") if moment else None


def _name(category: Category, lang: str) -> str:
    return category.name_en if lang == "en" and category.name_en else category.name_th


def service(category: Category, lang: str) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": _name(category, lang),
        "description": f"{category.name_th} / {category.name_en}",  # both names, whatever the locale
        "metadata": bool(category.attributes),
        "type": "realtime",  # the tracking code is returned by the POST itself
        "keywords": ", ".join(category.keywords or []),
        "group": (category.group_en if lang == "en" else category.group_th) or None,
    }


def attribute_definitions(category: Category) -> list[dict[str, Any]]:
    """The category's attributes as the spec defines them (only the spec's fields), in their order."""
    found = []
    for a in category.attributes or []:
        if not isinstance(a, dict) or not a.get("code"):
            continue
        kept = {key: a[key] for key in ATTRIBUTE_KEYS if a.get(key) is not None}
        if "values" in kept:  # each value only its key and name: other keys would be XML tag names
            kept["values"] = [
                {"key": str(v.get("key")), "name": str(v.get("name", ""))}
                for v in kept["values"]
                if isinstance(v, dict) and v.get("key") is not None
            ]
        found.append(kept)
    return sorted(found, key=lambda a: (_order(a.get("order")), str(a["code"])))


def _order(value: Any) -> float:
    """An attribute's place: its `order`, those without one last."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else float("inf")


@dataclass
class Page:
    """What the requests of one answer share, read once: categories, districts, their events."""

    session: Session
    lang: str
    links: Links
    now: datetime
    own_key_id: int | None  # the api_key of the GET, if any: its own complaints' descriptions
    extensions: bool
    coarse: frozenset[str] = frozenset()  # categories whose point is shown only to about 500 m
    _calendar: WorkingCalendar | None = None

    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.session)
        return self._calendar


def service_requests(page: Page, complaints: Sequence[Complaint]) -> list[dict[str, Any]]:
    session = page.session
    ids = [c.id for c in complaints]
    if not ids:
        return []
    by_name = {c.name_th: c for c in all_categories(session)}
    districts = {d.code: d for d in session.scalars(select(District))}
    events: dict[int, list[ComplaintEvent]] = defaultdict(list)
    for event in session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id.in_(ids))
        .order_by(ComplaintEvent.complaint_id, ComplaintEvent.id)
    ):
        events[event.complaint_id].append(event)
    hidden = {complaint_id: replayed(found) for complaint_id, found in events.items()}
    first_photo: dict[int, int] = {}
    if page.links.public_base_url:
        for complaint_id, photo_id in session.execute(
            select(Photo.complaint_id, Photo.id).where(Photo.complaint_id.in_(ids)).order_by(Photo.id)
        ):
            if not hidden.get(complaint_id, NOTHING_HIDDEN).photo(photo_id):
                first_photo.setdefault(complaint_id, photo_id)
    return [
        _request(
            page,
            c,
            events[c.id],
            hidden.get(c.id, NOTHING_HIDDEN),
            by_name.get(c.category or ""),
            districts,
            first_photo.get(c.id),
        )
        for c in complaints
    ]


def _request(
    page: Page,
    complaint: Complaint,
    events: list[ComplaintEvent],
    hidden: Hidden,
    category: Category | None,
    districts: dict[str, District],
    photo_id: int | None,
) -> dict[str, Any]:
    lang = page.lang
    status = open_or_closed(complaint.status)
    expected = None
    if status == "open":
        deadlines = deadlines_for(complaint, lambda: events, page.calendar())
        due = next_deadline(complaint, deadlines, page.now)
        expected = due.due_at if due else None
    # A rating changes nothing of the request; staff hiding a text or photo is not an update either.
    changed = [e.at for e in events if e.kind != "rated" and e.kind not in STAFF_EVENT_KINDS]
    district = districts.get(complaint.district_code or "")
    own = page.own_key_id is not None and complaint.api_key_id == page.own_key_id
    latitude, longitude, _ = public_place(
        complaint.latitude, complaint.longitude, complaint.category in page.coarse and not own
    )
    record: dict[str, Any] = {
        "service_request_id": complaint.tracking_code,
        "status": status,
        "status_notes": masked(_status_notes(events, hidden), lang),
        "service_name": _name(category, lang) if category else complaint.category,
        "service_code": category.code if category else OTHER_CODE,
        "description": (
            complaint.description
            if page.own_key_id is not None and complaint.api_key_id == page.own_key_id
            else None
        ),
        "agency_responsible": office_name(page.session, complaint.district_code, lang),
        "requested_datetime": iso(complaint.created_at),
        "updated_datetime": iso(max(changed) if changed else complaint.created_at),
        "expected_datetime": iso(expected),
        "address": _address(district, lang),
        "address_id": district.code if district else None,
        "lat": latitude,
        "long": longitude,
        "media_url": page.links.public_photo_url(photo_id) if photo_id is not None else None,
    }
    if page.extensions:
        record["extended_attributes"] = {"district": district.code if district else None}
        record["notes"] = _notes(page, events, hidden)
    return record


def _status_notes(events: list[ComplaintEvent], hidden: Hidden) -> str | None:
    """The latest public update: what an officer last wrote (progress, result, transfer or rejection
    reason); none after the reporter reopened it, until an officer writes again. A text staff hid is
    passed over, as if not written."""
    latest = None
    for event in events:
        if event.kind == "reopened":
            latest = None
        elif (text := public_text(event, hidden)) is not None:
            latest = text
    return latest


def _notes(page: Page, events: list[ComplaintEvent], hidden: Hidden) -> list[dict[str, Any]]:
    """The update history (the extensions page's `notes`): officers' words as written (a hidden text:
    the step named instead), other steps named."""
    notes = []
    for event in events:
        if event.kind not in PUBLIC_EVENTS:
            continue  # ratings are the reporter's own business; hiding is staff's
        text = public_text(event, hidden)
        if text is not None:
            description = masked(text, page.lang) or ""
        else:
            description = say(f"admin.event_{event.kind}", page.lang)
            if event.kind == "routed":
                description += ": " + office_name(page.session, event.district_code, page.lang)
        kind = NOTE_TYPES.get(event.kind, event.kind)
        notes.append({"datetime": iso(event.at), "description": description, "type": kind})
    return notes


def _address(district: District | None, lang: str) -> str | None:
    """Only the district: the citizen's own words about the place may name their home."""
    if district is None:
        return None
    if lang == "en":
        return f"{district.name_en or district.name_th} District, Bangkok"
    return f"เขต{district.name_th} กรุงเทพมหานคร"
