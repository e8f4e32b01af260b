"""Per district, of the complaints routed to it in a window: how many are still open now, how many of
those are past a deadline now, and the ratings their reporters gave (the public league table,
`kpi.league`).

"Overdue" is the one rule of `models.deadlines` (`overdue_condition`: acknowledgement, first report or a
15th/30th checkpoint past), on the stored deadline columns. A complaint counts for the district that
holds it now, by its current routing (`routed_at`), as the KPI scorer counts it (`kpi.source`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.complaint_lifecycle import OPEN_VALUES
from models.complaints import Complaint
from models.deadlines import OVERDUE_KINDS, overdue_condition


@dataclass(frozen=True)
class OpenAndRated:
    open_now: int  # still open now (routed, acknowledged or in progress)
    overdue_now: int  # of those, past one of their deadlines now
    rating_sum: int
    ratings: int  # how many were rated (1-5)

    @property
    def rating_average(self) -> Decimal | None:
        """The mean rating to 2 decimals, half-up; None when none was rated."""
        if not self.ratings:
            return None
        return (Decimal(self.rating_sum) / Decimal(self.ratings)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


NOTHING = OpenAndRated(0, 0, 0, 0)


def open_and_rated(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    districts: Sequence[str] | None = None,
) -> dict[str, OpenAndRated]:
    """District code -> its figures for the complaints routed to it in [start, end] (a district with none
    is absent: use `NOTHING`). One grouped query for every district."""
    c = Complaint
    late = or_(*(overdue_condition(kind, now) for kind in OVERDUE_KINDS))
    query = (
        select(
            c.district_code,
            func.count().filter(c.status.in_(OPEN_VALUES)),
            func.count().filter(late),
            func.coalesce(func.sum(c.rating), 0),
            func.count(c.rating),
        )
        .where(c.district_code.is_not(None), c.routed_at >= start, c.routed_at <= end)
        .group_by(c.district_code)
    )
    if districts is not None:
        query = query.where(c.district_code.in_(list(districts)))
    return {
        code: OpenAndRated(int(open_now), int(overdue_now), int(rating_sum), int(ratings))
        for code, open_now, overdue_now, rating_sum, ratings in session.execute(query)
    }
