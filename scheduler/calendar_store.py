"""The admin's calendar overrides in the database, and the calendar built from them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CalendarOverride, OverrideKind
from scheduler.calendar import DEFAULT_CALENDAR_SETTINGS, CalendarSettings, WorkingCalendar


def load_calendar(
    session: Session, years: Iterable[int] = (), settings: CalendarSettings = DEFAULT_CALENDAR_SETTINGS
) -> WorkingCalendar:
    """A calendar with every stored override; `years` only preloads the package's holidays.

    All overrides are read, not just those in `years`: the table holds a handful of rows a year,
    and a deadline counted from late December must see an override in early January.
    """
    extra_holidays: dict[date, str] = {}
    extra_working_days: set[date] = set()
    for row in session.scalars(select(CalendarOverride)):
        if row.kind == OverrideKind.WORKING:
            extra_working_days.add(row.day)
        else:
            extra_holidays[row.day] = row.name
    return WorkingCalendar(
        years=tuple(years),
        extra_holidays=extra_holidays,
        extra_working_days=extra_working_days,
        settings=settings,
    )


def add_override(session: Session, day: date, kind: str, name: str, now: datetime) -> CalendarOverride:
    """Declare `day` a holiday or a working day; a second declaration for the same day replaces the first."""
    kind = OverrideKind(kind).value  # refuse anything but "holiday"/"working" before the database does
    row = session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day, kind=kind, name=name, created_at=now)
        session.add(row)
    else:
        row.kind, row.name, row.created_at = kind, name, now
    session.flush()
    return row


def remove_override(session: Session, day: date) -> bool:
    """Drop the override on `day` so the package decides again; False when there was none."""
    row = session.get(CalendarOverride, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
