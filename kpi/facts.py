"""What the scorer needs to know of one complaint and of one district: plain, immutable data.

The database adapter (`kpi.source`) aggregates the event log into these in SQL, one row per
complaint, so a year of a million complaints never becomes a million lists of event objects.
All moments are timezone-aware; dates are Bangkok dates.

`Moments` is the same complaint with every moment as an integer, microseconds since 2000-01-01 UTC
(PostgreSQL's own epoch, so its binary timestamps need no conversion): the form the scorer works in,
because a year of complaints is millions of moments and integers are what Python compares and
stores cheapest. `ComplaintFacts.moments()` and `Moments.facts()` convert between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """An aware moment as microseconds since `EPOCH`."""
    return (moment - EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    """Microseconds since `EPOCH` as a moment in UTC."""
    return EPOCH + timedelta(microseconds=micros)


class ComplaintFacts(NamedTuple):
    """One complaint as the scorer sees it. A tuple, so a year of them is cheap to make and unpack."""

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

    def moments(self) -> Moments:
        def micros(moment: datetime | None) -> int | None:
            return None if moment is None else to_micros(moment)

        return Moments(
            self.code,
            self.district,
            to_micros(self.routed_at),
            micros(self.acknowledged_at),
            micros(self.first_progress_at),
            micros(self.resolved_at),
            self.result_text,
            micros(self.rejected_at),
            tuple(to_micros(p) for p in self.progress_at),
            self.category,
        )


class Moments(NamedTuple):
    """A `ComplaintFacts` with its moments as microseconds since `EPOCH` (the scorer's working form)."""

    code: str
    district: str
    routed: int
    acknowledged: int | None
    first_progress: int | None
    resolved: int | None
    result_text: bool
    rejected: int | None
    progress: tuple[int, ...]
    category: str | None

    def facts(self) -> ComplaintFacts:
        def moment(micros: int | None) -> datetime | None:
            return None if micros is None else from_micros(micros)

        return ComplaintFacts(
            self.code,
            self.district,
            from_micros(self.routed),
            moment(self.acknowledged),
            moment(self.first_progress),
            moment(self.resolved),
            self.result_text,
            moment(self.rejected),
            tuple(from_micros(p) for p in self.progress),
            self.category,
        )


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
    # The day the unit started using the system (RULES §6, start date): no monthly summary is due for a
    # month before the one it falls in. None: every month of the window counts.
    kpi_start_on: date | None = None
