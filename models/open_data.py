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

from sqlalchemy import String, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

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


# A complaint's FIELDS, in their order: a tuple, which csv.writer takes as it is (a dict per row, then a
# list of its values, cost more than the rest of the row's work).
PublicRow = tuple[Any, ...]
# Where the text columns are in a row (code .. channel): the only ones a spreadsheet could take for a
# formula (bot.open_data); the rest are timestamps, numbers and the precision, written by the app.
TEXT_COLUMNS = slice(0, 8)
MOMENTS = (
    "created_at",
    "routed_at",
    "ack_due_at",
    "acknowledged_at",
    "first_progress_due_at",
    "first_progress_at",
    "resolved_at",
)


def public_rows(
    session: Session, *, since: date | None, until: date | None, coarse: frozenset[str]
) -> Iterator[list[PublicRow]]:
    """Every complaint received from `since` to `until` (Bangkok days, both included; None: no bound),
    oldest first, as tuples of FIELDS, in lists of up to BATCH. Categories in `coarse` have their point
    moved to the middle of its grid cell."""
    c = Complaint
    dialect = session.get_bind().dialect.name
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
            *(_bangkok_iso(getattr(c, name), dialect) for name in MOMENTS),
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
    # Core, not the ORM: the rows are plain values, and the ORM's loading step per row is not needed.
    result = session.connection().execute(query.execution_options(yield_per=BATCH))
    for batch in result.partitions():
        rows: list[PublicRow] = []
        for row in batch:
            *fields, latitude, longitude = row
            rows.append((*fields, *public_place(latitude, longitude, fields[2] in coarse)))  # 2: category
        yield rows


def _bangkok_iso(moment: Any, dialect: str) -> ColumnElement[str | None]:
    """A moment as Bangkok's ISO 8601 text to the second (`2026-11-02T09:00:00+07:00`), formatted by the
    database: a million rows' time-zone conversions and isoformat() in Python were most of the CSV's
    time, and a text column also skips the driver's parsing into datetimes and UtcDateTime's own step.
    Asia/Bangkok has been UTC+07:00 all year (no DST) since 1920, so the suffix is fixed. PostgreSQL:
    to_char truncates the fraction of a second, as isoformat(timespec="seconds") does. SQLite keeps UTC
    as `YYYY-MM-DD HH:MM:SS.ffffff`: the fraction is cut off first (strftime would round it to the
    millisecond, so …59.9996 would become the next second), then seven hours added. NULL stays NULL."""
    if dialect == "sqlite":
        utc, seven_hours = func.substr(moment, 1, 19), literal_column("'+7 hours'")
        return func.strftime(literal_column("'%Y-%m-%dT%H:%M:%S+07:00'"), utc, seven_hours, type_=String)
    local = func.timezone(literal_column("'Asia/Bangkok'"), moment)  # AT TIME ZONE: a Bangkok wall time
    return func.to_char(local, literal_column("""'YYYY-MM-DD"T"HH24:MI:SS"+07:00"'"""), type_=String)


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
