"""What the scorer needs to know of one complaint and of one district: plain, immutable data.

The database adapter (`kpi.source`) aggregates the event log into these in SQL, one row per
complaint, so a year of a million complaints never becomes a million lists of event objects.
All moments are timezone-aware; dates are Bangkok dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ComplaintFacts:
    code: str  # the tracking code, named in explanations
    district: str  # the unit that holds it (after transfers: the last one it was routed to)
    routed_at: datetime  # when that unit got it (RULES §2: a transfer restarts the clocks)
    acknowledged_at: datetime | None = None  # the first acknowledgement after routed_at
    first_progress_at: datetime | None = None  # the first progress update after acknowledged_at
    resolved_at: datetime | None = None  # None while open (or rejected)
    result_text: bool = False  # resolved with a result text the citizen can be answered with
    rejected_at: datetime | None = None
    progress_at: tuple[datetime, ...] = ()  # every progress update after routed_at, in order
    category: str | None = None


@dataclass(frozen=True)
class MonthlySubmission:
    district: str
    month: date  # the first day of the reported month
    submitted_at: datetime | None  # None: never submitted


@dataclass(frozen=True)
class AuditResult:
    district: str
    month: date  # the first day of the month whose resolved complaints were drawn
    drawn: int
    consistent: int  # marked consistent; drawn but unmarked ones count as not consistent


@dataclass(frozen=True)
class DistrictFacts:
    """Everything scored for one unit in one window."""

    district: str
    name_th: str
    complaints: tuple[ComplaintFacts, ...] = ()
    submissions: tuple[MonthlySubmission, ...] = ()
    audits: tuple[AuditResult, ...] = field(default_factory=tuple)
