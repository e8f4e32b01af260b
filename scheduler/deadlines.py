"""Deadlines on one complaint (RULES §2), pure: moments in, moments out, all timezone-aware."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from scheduler.calendar import WorkingCalendar


@dataclass(frozen=True)
class DeadlineSettings:
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
