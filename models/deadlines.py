"""Deadlines (RULES §2) and the 15th/30th checkpoints (RULES §3): moments in, moments out, all
timezone-aware; then a complaint's deadlines read off its row or, for older rows, recomputed; and what
counts as overdue, as a predicate and as the same condition in SQL."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_

from models.complaint_lifecycle import OPEN, OPEN_VALUES
from models.complaints import Complaint, ComplaintEvent, ComplaintStatus
from models.working_days import WorkingCalendar


@dataclass(frozen=True)
class DeadlineSettings:
    """The KPI scheme's [deadlines] (kpi/schemes/kpi32.toml) as the bot keeps them; the layers below kpi
    cannot read the scheme, so tests/unit/test_scheme_copies.py holds these defaults equal to it."""

    ack_working_days: int = 1
    first_progress_working_days: int = 3
    # (reading) "end of day" is the last microsecond, so 23:59:59.5 is still on time.
    end_of_day: time = time(23, 59, 59, 999999)
    timezone: str = "Asia/Bangkok"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


DEFAULT_DEADLINES = DeadlineSettings()


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {moment!r}")


def local_date(moment: datetime, settings: DeadlineSettings = DEFAULT_DEADLINES) -> date:
    """The Bangkok calendar date of a moment (a UTC evening can already be the next day there)."""
    _require_aware(moment)
    return moment.astimezone(settings.zone).date()


def end_of_day(d: date, settings: DeadlineSettings = DEFAULT_DEADLINES) -> datetime:
    return datetime.combine(d, settings.end_of_day, tzinfo=settings.zone)


def due_after(
    moment: datetime, cal: WorkingCalendar, working_days: int, settings: DeadlineSettings = DEFAULT_DEADLINES
) -> datetime:
    """End of the n-th working day after the local date of `moment` (counting starts the day after)."""
    return end_of_day(cal.add_working_days(local_date(moment, settings), working_days), settings)


def ack_due(
    routed_at: datetime, cal: WorkingCalendar, settings: DeadlineSettings = DEFAULT_DEADLINES
) -> datetime:
    return due_after(routed_at, cal, settings.ack_working_days, settings)


def first_progress_due(
    acknowledged_at: datetime,
    cal: WorkingCalendar,
    working_days: int | None = None,
    settings: DeadlineSettings = DEFAULT_DEADLINES,
) -> datetime:
    n = settings.first_progress_working_days if working_days is None else working_days
    return due_after(acknowledged_at, cal, n, settings)


def month_checkpoints(year: int, month: int) -> tuple[date, date]:
    """The 15th and the 30th; in February the last day instead of the 30th (RULES §3)."""
    second = (date(year, 3, 1) - date.resolution).day if month == 2 else 30
    return date(year, month, 15), date(year, month, second)


def next_checkpoint(day: date) -> date:
    """The first 15th/30th checkpoint on or after `day` (the 31st rolls over to next month's 15th)."""
    for checkpoint in month_checkpoints(day.year, day.month):
        if checkpoint >= day:
            return checkpoint
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return month_checkpoints(year, month)[0]


def checkpoint_index(day: date) -> int:
    """Consecutive integers for the 15th/30th checkpoints: a month's 15th, then its 30th (Feb: its end)."""
    return (day.year * 12 + day.month - 1) * 2 + (0 if day.day == 15 else 1)


@functools.cache  # a district's year of explanations names the same few dozen checkpoints many times
def checkpoint_day(index: int) -> date:
    """The checkpoint day of a `checkpoint_index`."""
    months, second = divmod(index, 2)
    year, month = divmod(months, 12)
    return month_checkpoints(year, month + 1)[second]


def next_due_checkpoint(
    first_progress_due_at: datetime | None,
    last_progress_at: datetime | None,
    not_before: date | None = None,
    settings: DeadlineSettings = DEFAULT_DEADLINES,
) -> date | None:
    """The next 15th/30th checkpoint a complaint must still meet (RULES §3, readings).

    A checkpoint is due only after the first-progress deadline; an update met the first checkpoint on
    or after its day, so the next one due is the checkpoint after that. `not_before` (a reopening)
    keeps checkpoints that passed while the complaint was closed from counting.
    """
    if first_progress_due_at is None:
        return None
    day = date.resolution
    candidates = [next_checkpoint(local_date(first_progress_due_at, settings) + day)]
    if last_progress_at is not None:
        candidates.append(next_checkpoint(next_checkpoint(local_date(last_progress_at, settings)) + day))
    if not_before is not None:
        candidates.append(next_checkpoint(not_before))
    return max(candidates)


def previous_checkpoint(day: date) -> date:
    """The 15th/30th checkpoint before checkpoint `day` (the 30th, or end of February, before a 15th)."""
    if day.day == 15:
        year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
        return month_checkpoints(year, month)[1]
    return date(day.year, day.month, 15)


# ---- one complaint's deadlines ----------------------------------------------------------------

S = ComplaintStatus


@dataclass(frozen=True)
class ComplaintDeadlines:
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    first_progress_due_at: datetime | None


@dataclass(frozen=True)
class NextDeadline:
    kind: str  # ack | first_progress | checkpoint
    due_at: datetime


def stored_ack_due(complaint: Complaint, calendar: Callable[[], WorkingCalendar]) -> datetime | None:
    """The acknowledgement deadline: the stored one (kept in step by every action and by holiday changes),
    or for an older row without it, computed from `routed_at`. `calendar` is only called for such rows."""
    if complaint.ack_due_at is not None or complaint.routed_at is None:
        return complaint.ack_due_at
    return ack_due(complaint.routed_at, calendar())


def stored_first_progress_due(
    complaint: Complaint, acknowledged_at: datetime | None, calendar: Callable[[], WorkingCalendar]
) -> datetime | None:
    """The first-progress deadline of the acknowledgement at `acknowledged_at` (None: not acknowledged):
    the stored one when it is that acknowledgement's, else computed from it (`calendar` only then called)."""
    if acknowledged_at is None:
        return None
    if complaint.first_progress_due_at is not None and complaint.acknowledged_at == acknowledged_at:
        return complaint.first_progress_due_at
    return first_progress_due(acknowledged_at, calendar())


def deadlines_for(
    complaint: Complaint, events: Callable[[], Iterable[ComplaintEvent]], cal: WorkingCalendar
) -> ComplaintDeadlines:
    """The stored deadlines (kept in step by every action); computed from the log for older rows.

    `events` is only called for such older rows, so listing many complaints reads no event log.
    """
    if complaint.ack_due_at is not None or complaint.routed_at is None:
        return ComplaintDeadlines(
            complaint.ack_due_at, complaint.acknowledged_at, complaint.first_progress_due_at
        )
    acknowledged_at = next((e.at for e in events() if e.kind == "acknowledged"), None)
    return ComplaintDeadlines(
        ack_due_at=stored_ack_due(complaint, lambda: cal),
        acknowledged_at=acknowledged_at,
        first_progress_due_at=stored_first_progress_due(complaint, acknowledged_at, lambda: cal),
    )


def next_deadline(complaint: Complaint, deadlines: ComplaintDeadlines, now: datetime) -> NextDeadline | None:
    """What the district owes next: acknowledgement, first progress, or the next 15th/30th update."""
    status = complaint.status
    if status == S.ROUTED and deadlines.ack_due_at:
        return NextDeadline("ack", deadlines.ack_due_at)
    if status == S.ACKNOWLEDGED and deadlines.first_progress_due_at:
        return NextDeadline("first_progress", deadlines.first_progress_due_at)
    if status == S.IN_PROGRESS:
        day = complaint.next_checkpoint_on or next_checkpoint(local_date(now))  # stored, or for older rows
        return NextDeadline("checkpoint", end_of_day(day))
    return None


# ---- what counts as overdue ----------------------------------------------------------------------

OVERDUE_KINDS = ("ack", "first_progress", "checkpoint")


def is_overdue(due_at: datetime | None, now: datetime, done_at: datetime | None = None) -> bool:
    """The one rule: a deadline is overdue at `now` when it is not done and its last moment `due_at` (the
    end of the due day) is before `now`. A deadline is met up to and including that last moment."""
    return done_at is None and due_at is not None and due_at < now


def was_late(due_at: datetime | None, done_at: datetime | None) -> bool:
    """Done, but after the deadline's last moment."""
    return due_at is not None and done_at is not None and done_at > due_at


def complaint_overdue(kind: str, complaint: Complaint, now: datetime) -> bool:
    """Whether a complaint is past its `kind` deadline ("ack", "first_progress" or "checkpoint") at `now`,
    by its stored columns; `overdue_condition` is the same test as a WHERE condition."""
    status = complaint.status
    if kind == "ack":
        return status == S.ROUTED and is_overdue(complaint.ack_due_at, now)
    if kind == "first_progress":
        return status in OPEN and is_overdue(
            complaint.first_progress_due_at, now, complaint.first_progress_at
        )
    day = complaint.next_checkpoint_on
    return status in OPEN and day is not None and is_overdue(end_of_day(day), now)


def overdue_condition(kind: str, now: datetime) -> ColumnElement[bool]:
    """`complaint_overdue` in SQL, on the indexed deadline columns (a checkpoint day is over once the
    Bangkok date is later: `is_overdue` of the end of that day)."""
    if kind == "ack":
        return and_(Complaint.status == S.ROUTED.value, Complaint.ack_due_at < now)
    if kind == "first_progress":
        return and_(
            Complaint.status.in_(OPEN_VALUES),
            Complaint.first_progress_at.is_(None),
            Complaint.first_progress_due_at < now,
        )
    return and_(Complaint.status.in_(OPEN_VALUES), Complaint.next_checkpoint_on < local_date(now))
