"""The working-day calendar (RULES §1): Mon–Fri minus Thai government holidays, with admin overrides.

The rules are pure (the overrides are passed in); `load_calendar` and the override functions at the
end read and write the admin's overrides in the database.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calendar_overrides import CalendarOverride, OverrideKind

IN_LIEU_SUFFIX = " (in lieu)"


@dataclass(frozen=True)
class CalendarSettings:
    """Which of the package's holidays count as days off for a district office.

    `public` holds the holidays of the Holidays Act (with in-lieu days, cabinet "bridge" days);
    `government` adds days off for government officials only (Royal Ploughing Ceremony).
    """

    country: str = "TH"
    categories: tuple[str, ...] = ("public", "government")
    # (reading) The package lists National Labour Day as a public holiday, but notes that only the
    # financial and private sectors observe it; government offices stay open, so it is left out.
    # Names are the package's en_US names; their "(in lieu)" days are left out with them.
    ignored_package_holidays: tuple[str, ...] = ("National Labor Day",)
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday


DEFAULT_CALENDAR_SETTINGS = CalendarSettings()


@functools.lru_cache(maxsize=64)
def package_holidays(settings: CalendarSettings, year: int) -> dict[date, str]:
    """The package's days off of `year` under `settings`, computed once per process (a few ms each)."""
    source = holidays.country_holidays(
        settings.country,
        years=year,
        categories=settings.categories,
        language="en_US",  # the ignore list matches English names
    )
    days: dict[date, str] = {}
    for day, joined in source.items():
        # Several holidays on one date come joined by "; " (5 Dec: birthday, National Day, Father's Day).
        names = [
            n
            for n in joined.split("; ")
            if n.removesuffix(IN_LIEU_SUFFIX) not in settings.ignored_package_holidays
        ]
        if names:
            days[day] = "; ".join(names)
    return days


@dataclass
class WorkingCalendar:
    """Answers "is this a working day?" and counts working days.

    Package holidays are computed per year on first use, so any date works, not only `years`.
    Admin overrides win over the package: `extra_working_days` beats any holiday (including the
    admin's own `extra_holidays` for the same day, which the store prevents anyway).
    """

    years: Iterable[int] = ()
    extra_holidays: dict[date, str] = field(default_factory=dict)
    extra_working_days: set[date] = field(default_factory=set)
    settings: CalendarSettings = DEFAULT_CALENDAR_SETTINGS
    _package: dict[int, dict[date, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for year in self.years:
            self._package_year(year)

    def _package_year(self, year: int) -> dict[date, str]:
        cached = self._package.get(year)
        if cached is None:
            cached = self._package[year] = package_holidays(self.settings, year)
        return cached

    def holiday_name(self, d: date) -> str | None:
        """The name of the holiday on `d` (admin's first), or None; None also for admin working days."""
        if d in self.extra_working_days:
            return None
        if d in self.extra_holidays:
            return self.extra_holidays[d]
        return self._package_year(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_working_days:
            return True
        if d.weekday() in self.settings.weekend:
            return False
        return self.holiday_name(d) is None

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (before it when n < 0); `d` itself when n == 0."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        current = d
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: how many working days `b` is after `a`; negative when b < a.

        The inverse of `add_working_days` from a working day: between(a, add(a, n)) == n.
        A deadline on `a` met on `b` is late by this many working days.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        current = a
        while current < b:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


# ---- the admin's overrides, stored ---------------------------------------------------------


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
    _deadlines_moved(session, day)
    return row


def _deadlines_moved(session: Session, day: date) -> None:
    """The KPI's kept deadlines that a change on `day` may move, recomputed in the same transaction."""
    from models import kpi_facts  # imported here: kpi_facts counts its deadlines with this module

    kpi_facts.recompute_around(session, day)


def remove_override(session: Session, day: date) -> bool:
    """Drop the override on `day` so the package decides again; False when there was none."""
    row = session.get(CalendarOverride, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    _deadlines_moved(session, day)
    return True
