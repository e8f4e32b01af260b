"""The complaint lifecycle: which action may move a complaint from which status, and filing one.

One table says what is allowed; every door (the LINE dialogs, the admin web, the CLI) goes
through the operations here, which append to the event log in the same transaction.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.complaints import Complaint, ComplaintEvent, ComplaintStatus, Photo
from models.people import Citizen
from models.tracking_codes import new_tracking_code
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import ack_due

S = ComplaintStatus
OPEN = (S.ROUTED, S.ACKNOWLEDGED, S.IN_PROGRESS)

# (action, from status) -> to status. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, ComplaintStatus], ComplaintStatus] = {
    ("acknowledge", S.ROUTED): S.ACKNOWLEDGED,
    ("progress", S.ACKNOWLEDGED): S.IN_PROGRESS,
    ("progress", S.IN_PROGRESS): S.IN_PROGRESS,
    ("resolve", S.ACKNOWLEDGED): S.RESOLVED,
    ("resolve", S.IN_PROGRESS): S.RESOLVED,
    **{("transfer", s): S.ROUTED for s in OPEN},
    **{("reject", s): S.REJECTED for s in OPEN},
    ("reopen", S.RESOLVED): S.IN_PROGRESS,
}

CODE_ATTEMPTS = 5
BANGKOK = ZoneInfo("Asia/Bangkok")
EARTH_RADIUS_M = 6_371_000.0


class TransitionRefused(ValueError):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a complaint that is {status}")
        self.action, self.status = action, status


def next_status(action: str, current: str) -> ComplaintStatus:
    try:
        return TRANSITIONS[(action, ComplaintStatus(current))]
    except (KeyError, ValueError):
        raise TransitionRefused(action, current) from None


def file_complaint(
    session: Session,
    citizen: Citizen,
    *,
    description: str,
    category: str | None,
    district_code: str | None,
    latitude: float | None,
    longitude: float | None,
    photos: list[Photo],
    at: datetime,
    section: str | None = None,
    routed_by: str = "location",
    possible_duplicates: list[Complaint] | None = None,
    data: dict[str, Any] | None = None,
    calendar: WorkingCalendar | None = None,
) -> Complaint:
    """File a complaint received at `at` (the LINE event's time) and route it to its district.

    The complaint, its "filed" and "routed" events and the photo links are one unit: the caller's
    transaction. A tracking-code clash (one in a billion a year) is retried with a fresh code.
    `routed_by` says how the district was found: "location" (the point's polygon) or "citizen"
    (picked by the citizen, e.g. when the location could not be shared). `possible_duplicates`
    (nearest first) are open complaints nearby that officers should look at. With a `calendar` the
    acknowledgement deadline is stored on the row (RULES §2).
    """
    duplicates = possible_duplicates or []
    complaint = _with_unique_code(
        session,
        lambda code: Complaint(
            tracking_code=code,
            citizen_id=citizen.id,
            district_code=district_code,
            category=category,
            description=description,
            latitude=latitude,
            longitude=longitude,
            status=S.ROUTED.value,
            created_at=at,
            routed_at=at if district_code else None,
            ack_due_at=ack_due(at, calendar) if district_code and calendar else None,
            section=section,
            possible_duplicate_of_id=duplicates[0].id if duplicates else None,
        ),
        at.astimezone(BANGKOK).date(),  # the code's year is the Thai year of the moment in Bangkok
    )
    filed = ComplaintEvent(
        complaint_id=complaint.id,
        kind="filed",
        at=at,
        actor_kind="citizen",
        actor_id=citizen.id,
        text=description,
        data=dict(
            data or {},
            category=category,
            latitude=latitude,
            longitude=longitude,
            possible_duplicates=[d.tracking_code for d in duplicates],
        ),
    )
    session.add(filed)
    if district_code:
        session.add(
            ComplaintEvent(
                complaint_id=complaint.id,
                kind="routed",
                at=at,
                actor_kind="system",
                district_code=district_code,
                data={"how": routed_by, "section": section},
            )
        )
    session.flush()
    for photo in photos:
        photo.complaint_id, photo.event_id = complaint.id, filed.id
    session.flush()
    return complaint


def _with_unique_code(session: Session, build: Any, day: date) -> Complaint:
    for _ in range(CODE_ATTEMPTS):
        complaint = build(new_tracking_code(day))
        try:
            with session.begin_nested():  # a savepoint: a clash undoes only this insert
                session.add(complaint)
                session.flush()
            return complaint
        except IntegrityError:
            continue
    raise RuntimeError("no free tracking code after several draws")  # practically impossible


def open_complaints_near(
    session: Session, *, category: str | None, latitude: float, longitude: float, radius_m: float = 50.0
) -> list[Complaint]:
    """Open complaints of the same category within `radius_m`: shown to the citizen as possible duplicates."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(latitude)), 1e-6)
    candidates = session.scalars(
        select(Complaint).where(
            Complaint.status.in_([s.value for s in OPEN]),
            Complaint.category == category,
            Complaint.latitude.between(latitude - dlat, latitude + dlat),
            Complaint.longitude.between(longitude - dlon, longitude + dlon),
        )
    )
    return [c for c in candidates if distance_m(latitude, longitude, c.latitude, c.longitude) <= radius_m]


def distance_m(lat1: float, lon1: float, lat2: float | None, lon2: float | None) -> float:
    """Great-circle distance (haversine); plenty accurate at 50 m."""
    if lat2 is None or lon2 is None:
        return math.inf
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
