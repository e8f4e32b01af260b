"""The public fields of every complaint, as open data (`/open-data`): rows streamed from the database.

Nothing personal: no citizen, reporter, LINE id or contact, no description (people write phone numbers
and addresses into it), no internal ids; no complaint whose reporter asked that it not appear publicly.
Where the place itself could point at the complainant's home (a noise complaint names the neighbour), the
point is given only to a grid of about 500 m.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clock import BANGKOK
from models.complaints import Complaint
from models.districts import District

# The columns of the CSV and the properties of the GeoJSON features, in this order.
FIELDS: tuple[str, ...] = (
    "code",
    "status",
    "category",
    "district_code",
    "district_th",
    "district_en",
    "section",
    "channel",
    "received_at",
    "routed_at",
    "ack_due_at",
    "acknowledged_at",
    "first_progress_due_at",
    "first_progress_at",
    "resolved_at",
    "rating",
    "reopen_count",
    "latitude",
    "longitude",
    "location_precision",
)
COARSE_GRID_DEG = 0.0045  # about 500 m of latitude (and a little less of longitude, at 14° N)
BATCH = 2000  # rows fetched at a time: memory stays flat however many there are


def public_rows(
    session: Session, *, since: date | None, until: date | None, coarse: frozenset[str]
) -> Iterator[dict[str, Any]]:
    """Every complaint received from `since` to `until` (Bangkok days, both included; None: no bound),
    oldest first, as FIELDS. Categories in `coarse` have their point moved to the middle of its grid cell."""
    c = Complaint
    query = (
        select(
            c.tracking_code,
            c.status,
            c.category,
            c.district_code,
            District.name_th,
            District.name_en,
            c.section,
            c.channel,
            c.created_at,
            c.routed_at,
            c.ack_due_at,
            c.acknowledged_at,
            c.first_progress_due_at,
            c.first_progress_at,
            c.resolved_at,
            c.rating,
            c.reopen_count,
            c.latitude,
            c.longitude,
        )
        .outerjoin(District, District.code == c.district_code)
        .where(c.public_opt_out.is_(False))  # the reporter asked it not be public: no row of it
        .order_by(c.id)
    )
    if since is not None:
        query = query.where(c.created_at >= datetime.combine(since, time(), BANGKOK))
    if until is not None:
        query = query.where(c.created_at < datetime.combine(until + timedelta(days=1), time(), BANGKOK))
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        latitude, longitude, precision = public_place(row.latitude, row.longitude, row.category in coarse)
        yield {
            "code": row.tracking_code,
            "status": row.status,
            "category": row.category,
            "district_code": row.district_code,
            "district_th": row.name_th,
            "district_en": row.name_en,
            "section": row.section,
            "channel": row.channel,
            "received_at": _iso(row.created_at),
            "routed_at": _iso(row.routed_at),
            "ack_due_at": _iso(row.ack_due_at),
            "acknowledged_at": _iso(row.acknowledged_at),
            "first_progress_due_at": _iso(row.first_progress_due_at),
            "first_progress_at": _iso(row.first_progress_at),
            "resolved_at": _iso(row.resolved_at),
            "rating": row.rating,
            "reopen_count": row.reopen_count,
            "latitude": latitude,
            "longitude": longitude,
            "location_precision": precision,
        }


def public_place(
    latitude: float | None, longitude: float | None, coarse: bool
) -> tuple[float | None, float | None, str | None]:
    """A complaint's point as the public may see it, and how precise it is ("exact" or "500m")."""
    if latitude is None or longitude is None:
        return None, None, None
    if not coarse:
        return round(latitude, 6), round(longitude, 6), "exact"
    return _cell_middle(latitude), _cell_middle(longitude), "500m"


def _cell_middle(value: float) -> float:
    return round((int(value // COARSE_GRID_DEG) + 0.5) * COARSE_GRID_DEG, 5)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(BANGKOK).isoformat(timespec="seconds") if moment else None
