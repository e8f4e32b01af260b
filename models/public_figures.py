"""This month's headline figures for the public home page, from the milestones kept on each complaint."""

from __future__ import annotations

import threading
import time as monotonic_time
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from models.clock import BANGKOK
from models.complaints import OPEN_SQL, Complaint

CACHE_SECONDS = 300.0  # the figures are at most five minutes old


@dataclass(frozen=True)
class MonthFigures:
    month: date  # the first day of the month (Bangkok)
    received: int
    resolved: int  # of those received this month
    acknowledged_on_time: int  # within a working day, of those whose deadline has come
    acknowledgement_due: int
    open_now: int  # still open today, whenever received

    @property
    def on_time_percent(self) -> float | None:
        return (
            100.0 * self.acknowledged_on_time / self.acknowledgement_due if self.acknowledgement_due else None
        )


def month_figures(session: Session, now: datetime) -> MonthFigures:
    local = now.astimezone(BANGKOK).date()
    first = local.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    c = Complaint
    in_month = and_(
        c.created_at >= datetime.combine(first, time(), BANGKOK),
        c.created_at < datetime.combine(following, time(), BANGKOK),
    )
    due = and_(c.ack_due_at.is_not(None), or_(c.acknowledged_at.is_not(None), c.ack_due_at <= now))
    on_time = and_(c.acknowledged_at.is_not(None), c.acknowledged_at <= c.ack_due_at)
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((c.status == "resolved", 1), else_=0)), 0),
            func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
            func.coalesce(func.sum(case((due, 1), else_=0)), 0),
        ).where(in_month)
    ).one()
    open_now = session.scalar(select(func.count()).select_from(c).where(text(OPEN_SQL))) or 0
    return MonthFigures(first, int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(open_now))


class FiguresCache:
    """One process's copy of the figures, read again when older than CACHE_SECONDS or the month changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[float, MonthFigures] | None = None

    def get(self, session: Session, now: datetime) -> MonthFigures:
        month = now.astimezone(BANGKOK).date().replace(day=1)
        with self._lock:
            kept = self._kept
            if kept and monotonic_time.monotonic() - kept[0] < CACHE_SECONDS and kept[1].month == month:
                return kept[1]
        figures = month_figures(session, now)
        with self._lock:
            self._kept = (monotonic_time.monotonic(), figures)
        return figures
