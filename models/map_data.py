"""The public map's data (`/map`): the complaints of a period inside the visible box, or counts per grid
cell when there are too many to draw one by one.

Only public fields leave here: the tracking code, status, category, district, day of receipt and the
point; nothing personal, no description, no internal id, and nothing of a complaint whose reporter asked
that it not appear publicly. A category whose place could point at the
complainant's home (`coarse`, PUBLIC_COARSE_CATEGORIES) is placed at the middle of its ~500 m cell, and
it is *chosen* by that middle too: were it chosen by its exact point, shrinking the box around it would
find the point anyway.

The box is a range of latitude and longitude, which `ix_complaints_latitude_longitude` (migration 0016)
serves on both databases; the clusters are a GROUP BY on floor(latitude / cell), floor(longitude / cell)
in SQL, so a million complaints never travel to Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, case, cast, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.complaints import Complaint
from models.open_data import COARSE_GRID_DEG, public_place

# Above this many complaints in the box the answer is clusters, not a list cut short (read at call time,
# so a test can make it small).
MAX_POINTS = 5000
# About this many cells across the box's longer side: a few hundred circles at most on the screen.
CELLS_ACROSS = 40


@dataclass(frozen=True)
class Box:
    """The visible area, in degrees (WGS 84)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True)
class MapQuery:
    """What the reader asked for; `since` ≤ received < `until`. None: not narrowed by that."""

    since: datetime
    until: datetime
    box: Box | None = None
    category: str | None = None  # the Thai name, as complaints keep it
    status: str | None = None
    district_code: str | None = None


class MapPoint(NamedTuple):
    """A tuple (read-only, and quicker to make than a frozen dataclass: a box may hold MAX_POINTS)."""

    code: str
    latitude: float
    longitude: float
    precision: str  # "exact" or "500m"
    status: str
    category: str | None
    district_code: str | None
    received_at: datetime


@dataclass(frozen=True)
class Cluster:
    """The complaints of one grid cell, drawn at the cell's middle (never at their mean: that is a place)."""

    latitude: float
    longitude: float
    count: int


@dataclass(frozen=True)
class MapData:
    points: list[MapPoint] | None  # None: too many, see clusters
    clusters: list[Cluster] | None
    cell: float | None  # the clusters' cell size in degrees

    @property
    def total(self) -> int:
        if self.points is not None:
            return len(self.points)
        return sum(c.count for c in self.clusters or [])


def map_data(session: Session, query: MapQuery, coarse: frozenset[str]) -> MapData:
    """The points of `query`, or its clusters when there are more than MAX_POINTS.

    The counts per cell come first: they are the answer when there are too many, and their sum says so
    without fetching a single row (a count of the box would read the same index range, and then the
    clusters once more). Only when they add up to MAX_POINTS or fewer are the points themselves read."""
    limit = MAX_POINTS
    c = Complaint
    wanted = _conditions(query, coarse)
    cell = cell_size(query.box)
    dialect = session.get_bind().dialect.name
    y, x = _floor(c.latitude / cell, dialect), _floor(c.longitude / cell, dialect)
    grouped = session.execute(select(y, x, func.count()).where(*wanted).group_by(y, x)).all()
    if sum(row[2] for row in grouped) > limit:
        clusters = [
            Cluster(round((row[0] + 0.5) * cell, 6), round((row[1] + 0.5) * cell, 6), int(row[2]))
            for row in grouped
        ]
        clusters.sort(key=lambda k: (k.latitude, k.longitude))
        return MapData(points=None, clusters=clusters, cell=cell)
    located = select(
        c.tracking_code, c.status, c.category, c.district_code, c.created_at, c.latitude, c.longitude
    ).where(*wanted)
    # A complaint filed since the counts cannot make the list longer than allowed. Core, not the ORM:
    # plain rows; all at once, since the driver's fetch of one row at a time costs more than the row.
    rows = session.connection().execute(located.limit(limit)).all()
    points = []
    for code, status, category, district_code, received_at, latitude, longitude in rows:
        latitude, longitude, precision = public_place(latitude, longitude, category in coarse)
        assert latitude is not None and longitude is not None and precision is not None  # located rows
        points.append(
            MapPoint(code, latitude, longitude, precision, status, category, district_code, received_at)
        )
    points.sort(key=_oldest_first)
    return MapData(points=points, clusters=None, cell=None)


def _oldest_first(point: MapPoint) -> tuple[datetime, str]:
    return point.received_at, point.code


def cell_size(box: Box | None) -> float:
    """The clusters' cell: the coarse grid doubled until about CELLS_ACROSS cells span the box. A power of
    two of the coarse grid, so each ~500 m cell lies in one cluster cell (a cluster of one noise complaint
    says no more than its point would) and the cells stay put while the reader pans."""
    span = 360.0 if box is None else max(box.max_lat - box.min_lat, box.max_lon - box.min_lon)
    cell = COARSE_GRID_DEG
    while span / cell > CELLS_ACROSS and cell < 360.0:
        cell *= 2
    return cell


def _conditions(query: MapQuery, coarse: frozenset[str]) -> list[ColumnElement[bool]]:
    c = Complaint
    conditions: list[ColumnElement[bool]] = [
        c.created_at >= query.since,
        c.created_at < query.until,
        c.public_opt_out.is_(False),  # the reporter asked it not be public (counted in figures, not drawn)
    ]
    if query.category is not None:
        conditions.append(c.category == query.category)
    if query.status is not None:
        conditions.append(c.status == query.status)
    if query.district_code is not None:
        conditions.append(c.district_code == query.district_code)
    box = query.box
    if box is None:
        conditions += [c.latitude.is_not(None), c.longitude.is_not(None)]
        return conditions
    exact = and_(
        c.latitude >= box.min_lat,
        c.latitude <= box.max_lat,
        c.longitude >= box.min_lon,
        c.longitude <= box.max_lon,
    )
    rough_lat, rough_lon = _rough_range(box.min_lat, box.max_lat), _rough_range(box.min_lon, box.max_lon)
    if rough_lat is None or rough_lon is None:
        rough: ColumnElement[bool] = false()
    else:
        rough = and_(
            c.latitude >= rough_lat[0],
            c.latitude < rough_lat[1],
            c.longitude >= rough_lon[0],
            c.longitude < rough_lon[1],
        )
    if not coarse or (query.category is not None and query.category not in coarse):
        conditions.append(exact)
        return conditions
    if query.category is not None:  # one coarse category
        conditions.append(rough)
        return conditions
    # Both kinds: the envelope of the two ranges first, which the index on latitude can serve.
    low_lat = min(box.min_lat, rough_lat[0]) if rough_lat else box.min_lat
    high_lat = max(box.max_lat, rough_lat[1]) if rough_lat else box.max_lat
    conditions += [
        c.latitude >= low_lat,
        c.latitude <= high_lat,
        or_(
            and_(or_(c.category.is_(None), c.category.not_in(sorted(coarse))), exact),
            and_(c.category.in_(sorted(coarse)), rough),
        ),
    ]
    return conditions


def _rough_range(low: float, high: float) -> tuple[float, float] | None:
    """The raw values whose coarse cell's middle lies in [low, high]: cells k with low ≤ (k + ½)·g ≤ high
    are those from ceil(low/g − ½) to floor(high/g − ½), the values from k_low·g to (k_high + 1)·g."""
    g = COARSE_GRID_DEG
    first, last = math.ceil(low / g - 0.5), math.floor(high / g - 0.5)
    if first > last:
        return None
    return first * g, (last + 1) * g


def _floor(value: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """floor() in SQL; SQLite has it only when built with its math functions, so there from a cast (which
    truncates towards zero) less one below zero."""
    if dialect != "sqlite":
        return func.floor(value)
    truncated = cast(value, Integer)
    return truncated - case((value < truncated, 1), else_=0)
