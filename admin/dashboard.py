"""The dashboard: where every complaint stands, what falls due today, who is late, and the KPI.

Counts come from the deadline columns the domain keeps in step (`ack_due_at`, `first_progress_due_at`,
`next_checkpoint_on`), so one indexed query answers each. The KPI 3.2 column is the scorer's own
answer (`kpi.database_scoring`), cached per app for a few minutes: at a million complaints scoring
takes seconds, and a dashboard is reloaded often.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic  # the KPI cache's age: a duration, not a date
from typing import Any

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from admin.kpi_pages import deployment_start
from admin.views import (
    BANGKOK,
    OPEN,
    OVERDUE_KINDS,
    bp,
    district_name,
    due_today,
    overdue,
    scope,
    services,
    visible_districts,
)
from kpi.database_scoring import score_database, window
from kpi.schemes import load_kpi32
from kpi.source import fiscal_year_of
from models import Complaint
from models.clock import clock
from models.complaints import OPEN_SQL, ComplaintStatus
from models.db import transaction
from models.photo_flags import flagged_closures_by_district
from models.push_quota import WARN_PERCENT, quota_summary

WEEKS = 12
KPI_CACHE_SECONDS = 300
SORTS = ("name", "open", "ack", "first_progress", "checkpoint", "kpi", "flagged")


@dataclass(frozen=True)
class DistrictRow:
    code: str
    name: str
    open: int
    ack: int  # overdue acknowledgement
    first_progress: int  # overdue first progress report
    checkpoint: int  # 15th/30th report missed
    kpi: Decimal | None  # KPI 3.2 total this fiscal year so far (None: not scored)
    flagged: int = 0  # closures with a flagged "after" photo this fiscal year so far (models.photo_flags)

    def key(self, sort: str) -> Any:
        if sort == "name":
            return self.name
        if sort == "kpi":
            return self.kpi if self.kpi is not None else Decimal(-1)
        return getattr(self, sort)


@dataclass(frozen=True)
class Week:
    start: date
    received: int
    resolved: int


@dataclass(frozen=True)
class KpiColumn:
    fiscal_year: int
    as_of: datetime
    maximum: Decimal | None
    totals: dict[str, Decimal]


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    now = clock.now()
    sort = request.args.get("sort", "")
    sort = sort if sort in SORTS else ""
    descending = request.args.get("desc", "1" if sort != "name" else "") == "1"
    with transaction(services().sessions) as s:
        by_status = dict(
            s.execute(scope(select(Complaint.status, func.count()).group_by(Complaint.status))).all()
        )
        # Overdue and due today are of open complaints only: both counts read just the open rows, from the
        # partial index of open complaints and their deadlines (migration 0028), its condition as written.
        counts = s.execute(
            scope(
                select(
                    *(func.count().filter(overdue(k, now)) for k in OVERDUE_KINDS),
                    *(func.count().filter(due_today(k, now)) for k in OVERDUE_KINDS),
                ).where(sql_text(OPEN_SQL))
            )
        ).one()
        per_district = {
            code: (open_, ack, first, checkpoint)
            for code, open_, ack, first, checkpoint in s.execute(
                scope(
                    select(
                        Complaint.district_code,
                        func.count().filter(Complaint.status.in_(OPEN)),
                        *(func.count().filter(overdue(k, now)) for k in OVERDUE_KINDS),
                    )
                    .where(sql_text(OPEN_SQL))
                    .group_by(Complaint.district_code)
                )
            )
        }
        districts = [(d.code, district_name(d)) for d in visible_districts(s)]
        weeks = weekly(s, now)
        start, end = window(load_kpi32(), fiscal_year_of(now.astimezone(BANGKOK).date()), now)
        codes = [code for code, _ in districts]
        flagged = flagged_closures_by_district(s, start, end + timedelta(microseconds=1), codes)
        quota = quota_summary(s, now)
    kpi = kpi_column([code for code, _ in districts], now)
    rows = [
        DistrictRow(
            code, name, *per_district.get(code, (0, 0, 0, 0)), kpi.totals.get(code), flagged.get(code, 0)
        )
        for code, name in districts
    ]
    if sort:
        rows.sort(key=lambda r: r.key(sort), reverse=descending)
    else:  # the most pressing first
        rows.sort(key=lambda r: (-r.ack, -r.first_progress, -r.checkpoint, -r.open, r.code))
    centre = per_district.get(None, (0, 0, 0, 0))  # type: ignore[call-overload]
    return render_template(
        "admin/dashboard.html",
        by_status=by_status,
        statuses=[st.value for st in ComplaintStatus],
        overdue_counts=dict(zip(OVERDUE_KINDS, counts[: len(OVERDUE_KINDS)], strict=True)),
        due_counts=dict(zip(OVERDUE_KINDS, counts[len(OVERDUE_KINDS) :], strict=True)),
        kinds=OVERDUE_KINDS,
        rows=rows,
        centre_open=centre[0],
        warn_percent=WARN_PERCENT,
        sort=sort,
        descending=descending,
        weeks=weeks,
        peak=max([1, *(max(w.received, w.resolved) for w in weeks)]),
        kpi=kpi,
        quota=quota,
    )


def weekly(s: Any, now: datetime) -> list[Week]:
    """Complaints received and resolved per week (Monday to Sunday, Bangkok), the last `WEEKS` weeks."""
    today = now.astimezone(BANGKOK).date()
    first = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    starts = [first + timedelta(weeks=i) for i in range(WEEKS)]
    days = [*starts, starts[-1] + timedelta(weeks=1)]
    bounds = [datetime.combine(d, time.min, tzinfo=BANGKOK) for d in days]
    pairs = list(zip(bounds, bounds[1:], strict=False))
    since, until = bounds[0], bounds[-1]

    # Two range reads, each by its own index (created_at; resolved_at), not one scan of every row.
    def per_week(column: Any) -> Any:
        counts = (func.count().filter(column >= lo, column < hi) for lo, hi in pairs)
        return s.execute(scope(select(*counts).where(column >= since, column < until))).one()

    received, resolved = per_week(Complaint.created_at), per_week(Complaint.resolved_at)
    return [Week(start, received[i], resolved[i]) for i, start in enumerate(starts)]


_kpi_lock = threading.Lock()


def kpi_column(districts: list[str], now: datetime) -> KpiColumn:
    """Each district's KPI 3.2 total for this fiscal year so far, computed at most every few minutes."""
    fiscal_year = fiscal_year_of(now.astimezone(BANGKOK).date())
    cache: dict[tuple[Any, ...], tuple[float, KpiColumn]] = current_app.extensions.setdefault(
        "rongtook_kpi_cache", {}
    )
    key = (fiscal_year, tuple(districts))
    with _kpi_lock:  # one scoring at a time: a burst of reloads waits for the first
        found = cache.get(key)
        if found is not None and monotonic() - found[0] < KPI_CACHE_SECONDS:
            return found[1]
        if not districts:
            return KpiColumn(fiscal_year, now, None, {})
        scheme = load_kpi32()
        units = score_database(
            services().read_sessions,  # DATABASE_REPLICA_URL, if set
            scheme,
            fiscal_year,
            now,
            districts,
            max_failures=0,
            workers=1,
            kpi_start_on=deployment_start(),
        )
        column = KpiColumn(
            fiscal_year, now, units[0].maximum if units else None, {u.district: u.total for u in units}
        )
        cache[key] = (monotonic(), column)
        return column
