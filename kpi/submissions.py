"""Step 3 (RULES §6): a district's monthly summary marked as submitted; months as the centre names them.

A month is the first day of it (`date(2026, 11, 1)`); the database keys it as "2026-11" (CE) and
Thai users write it "2569-11" (BE): `parse_month` takes either. The summary for month M is on time
when submitted by the end of the 10th of M+1, Bangkok time (`report_due`; the day is the KPI scheme's
`reporting.due_day`).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi.facts import MonthlySubmission
from kpi.schemes import ReportingSettings, shipped_kpi32
from kpi.scoring import report_due_day
from kpi.wording import Refusal
from models import District, MonthlyReport
from models.deadlines import DEFAULT_DEADLINES, end_of_day
from models.thai_dates import BE_OFFSET, buddhist_year, ce_year, thai_month_long

log = logging.getLogger(__name__)

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")

# `due_day`: the summary for month M is due by the end of that day of M+1 (kpi32.toml [reporting]).
DEFAULT_SUBMISSIONS: ReportingSettings = shipped_kpi32().reporting


class SubmissionRefused(Refusal):
    """Why a monthly summary cannot be recorded (the month has not ended, no such district)."""


# ---- months ---------------------------------------------------------------------------------------------


def parse_month(text: str) -> date:
    """`2569-11` (BE) or `2026-11` (CE) → date(2026, 11, 1)."""
    match = _MONTH.match(text)
    if not match:
        raise ValueError(f"not a month like 2569-11 (BE) or 2026-11 (CE): {text!r}")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month} in {text!r}")
    return date(ce_year(year), month, 1)


def first_of(month: date) -> date:
    return month.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def month_key(month: date) -> str:
    """The database's key: "2026-11" (CE)."""
    return f"{month:%Y-%m}"


def be_month(month: date) -> str:
    """As Thai users write it: "2569-11"."""
    return f"{buddhist_year(month)}-{month.month:02d}"


def thai_month(month: date) -> str:
    """ "พฤศจิกายน 2569"."""
    return thai_month_long(month)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the month in Bangkok: midnight of the 1st to midnight of the next month's 1st."""
    zone = DEFAULT_DEADLINES.zone
    start = datetime.combine(first_of(month), time(0), tzinfo=zone)
    return start, datetime.combine(next_month(month), time(0), tzinfo=zone)


def month_end(month: date) -> datetime:
    """The last moment of the month in Bangkok (end of its last day)."""
    return end_of_day(next_month(month) - timedelta(days=1))


def fiscal_months(fy: int) -> list[date]:
    """The twelve months of fiscal year `fy` (BE: 2570 = Oct 2026 .. Sep 2027; a CE year is accepted),
    from the start the KPI scheme's [fiscal_year] gives."""
    start = first_of(shipped_kpi32().fiscal_year.bounds(ce_year(fy) + BE_OFFSET)[0])
    months = [start]
    for _ in range(11):
        months.append(next_month(months[-1]))
    return months


# ---- submissions ----------------------------------------------------------------------------------------


def report_due(month: date, settings: ReportingSettings = DEFAULT_SUBMISSIONS) -> datetime:
    """The last moment the summary for `month` is on time: end of the 10th of the next month, Bangkok."""
    return end_of_day(report_due_day(month, settings.due_day))


def on_time(
    month: date, submitted_at: datetime | None, settings: ReportingSettings = DEFAULT_SUBMISSIONS
) -> bool:
    return submitted_at is not None and submitted_at <= report_due(month, settings)


def submission(session: Session, district: str, month: date) -> MonthlyReport | None:
    return session.get(MonthlyReport, (district, month_key(month)))


def submit_month(session: Session, district: str, month: date, at: datetime, by: str | None) -> MonthlyReport:
    """Record that `district` submitted its summary for `month` at `at`.

    Refused (SubmissionRefused) for an unknown district or a month that has not ended at `at`.
    A second submission changes nothing: the first time stands (a late report cannot be made on
    time by sending it again); it is logged, and `submission()` before the call tells the caller.
    """
    if at.tzinfo is None:
        raise ValueError(f"a timezone-aware moment is required, got {at!r}")
    month = first_of(month)
    if session.get(District, district) is None:
        raise SubmissionRefused("refused_no_district", district=district)
    if at < month_bounds(month)[1]:
        raise SubmissionRefused(
            "refused_summary_month_open", month=be_month(month), ce_month=month_key(month), at=at.isoformat()
        )
    existing = submission(session, district, month)
    if existing is not None:
        log.info(
            "district %s already submitted %s at %s; keeping that time",
            district,
            month_key(month),
            existing.submitted_at.isoformat(),
        )
        return existing
    row = MonthlyReport(district_code=district, month=month_key(month), submitted_at=at, submitted_by=by)
    session.add(row)
    session.flush()
    return row


def submissions(session: Session, district: str | None, fy: int) -> list[MonthlySubmission]:
    """Every month of fiscal year `fy` for `district` (None: every district), submitted or not.

    One `MonthlySubmission` per (district, month), months in order, `submitted_at=None` when never
    submitted. All twelve months are listed whatever the date: whether a month not yet due counts
    as missing is the scorer's call (compare `report_due(month)` with its as-of moment).
    """
    months = fiscal_months(fy)
    keys = [month_key(m) for m in months]
    query = select(MonthlyReport).where(MonthlyReport.month.in_(keys))
    districts: list[str]
    if district is None:
        districts = list(session.scalars(select(District.code).order_by(District.code)))
    else:
        districts = [district]
        query = query.where(MonthlyReport.district_code == district)
    found = {(r.district_code, r.month): r.submitted_at for r in session.scalars(query)}
    return [
        MonthlySubmission(district=d, month=m, submitted_at=found.get((d, month_key(m))))
        for d in districts
        for m in months
    ]
