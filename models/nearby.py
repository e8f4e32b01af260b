"""Open complaints near a point: shown to a citizen as possible duplicates before filing."""

from __future__ import annotations

import math

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models.complaints import OPEN_SQL, Complaint

EARTH_RADIUS_M = 6_371_000.0


def open_complaints_near(
    session: Session, *, category: str | None, latitude: float, longitude: float, radius_m: float = 50.0
) -> list[Complaint]:
    """Open complaints of the same category within `radius_m`: shown to the citizen as possible duplicates."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(latitude)), 1e-6)
    candidates = session.scalars(
        select(Complaint).where(
            text(f"complaints.{OPEN_SQL}"),  # written out: the partial index of open complaints serves it
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
