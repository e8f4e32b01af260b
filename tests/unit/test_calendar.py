"""The working-day calendar from the `holidays` package and admin overrides, and Thai dates (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from models.thai_dates import THAI_MONTHS_SHORT, thai_date
from models.working_days import CalendarSettings, WorkingCalendar

# --- the real `holidays` package (RULES §1 and its examples) ---


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(years=[2026, 2027])


def test_rules_december_2026_example_comes_from_the_package(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 12, 5))  # Sat, King Bhumibol's birthday
    assert not cal.is_working_day(date(2026, 12, 6))  # Sun
    assert not cal.is_working_day(date(2026, 12, 7))  # Mon, in lieu of Sat 5 Dec
    assert "in lieu" in (cal.holiday_name(date(2026, 12, 7)) or "")
    assert cal.is_working_day(date(2026, 12, 8))
    assert cal.is_working_day(date(2026, 12, 9))
    assert cal.holiday_name(date(2026, 12, 10)) == "Constitution Day"
    assert not cal.is_working_day(date(2026, 12, 10))
    assert cal.is_working_day(date(2026, 12, 11))


def test_weekends_are_not_working_days(cal: WorkingCalendar) -> None:
    assert [cal.is_working_day(date(2026, 11, d)) for d in range(23, 30)] == [True] * 5 + [False] * 2
    assert cal.holiday_name(date(2026, 11, 28)) is None  # a weekend is not a holiday, just not a working day
    assert cal.next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)  # Fri -> Mon
    assert cal.next_working_day(date(2026, 11, 28)) == date(2026, 11, 30)  # Sat -> Mon


def test_songkran_2027(cal: WorkingCalendar) -> None:
    for day in (13, 14, 15):  # Tue–Thu
        assert cal.holiday_name(date(2027, 4, day)) == "Songkran Festival"
        assert not cal.is_working_day(date(2027, 4, day))
    assert cal.next_working_day(date(2027, 4, 12)) == date(2027, 4, 16)
    assert cal.add_working_days(date(2027, 4, 9), 3) == date(2027, 4, 19)  # Mon 12, Fri 16, Mon 19


def test_government_only_holiday_counts_and_labour_day_does_not(cal: WorkingCalendar) -> None:
    assert cal.holiday_name(date(2026, 5, 13)) == "Royal Ploughing Ceremony"  # "government" category
    assert not cal.is_working_day(date(2026, 5, 13))
    # The package says only the financial and private sectors observe Labour Day; offices are open.
    assert cal.is_working_day(date(2026, 5, 1))
    assert cal.is_working_day(date(2027, 5, 3))  # its in-lieu day goes with it
    with_labour_day = WorkingCalendar(settings=CalendarSettings(ignored_package_holidays=()))
    assert with_labour_day.holiday_name(date(2026, 5, 1)) == "National Labor Day"
    assert not with_labour_day.is_working_day(date(2027, 5, 3))


def test_years_not_preloaded_are_computed_on_demand() -> None:
    cal = WorkingCalendar(years=[2026])
    assert cal.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)  # 31 Dec, 1 Jan, weekend
    assert not cal.is_working_day(date(2028, 4, 13))


def test_add_working_days_and_counting_between(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2026, 12, 8), 3) == date(2026, 12, 14)
    assert cal.add_working_days(date(2026, 12, 8), 0) == date(2026, 12, 8)
    assert cal.add_working_days(date(2026, 12, 14), -3) == date(2026, 12, 8)
    assert cal.working_days_between(date(2026, 12, 8), date(2026, 12, 14)) == 3
    assert cal.working_days_between(date(2026, 12, 14), date(2026, 12, 8)) == -3
    assert cal.working_days_between(date(2026, 12, 4), date(2026, 12, 7)) == 0  # nothing but days off
    assert cal.working_days_between(date(2026, 12, 4), date(2026, 12, 4)) == 0
    for n in range(0, 30):
        assert cal.working_days_between(date(2026, 12, 1), cal.add_working_days(date(2026, 12, 1), n)) == n


def test_admin_overrides_win_over_the_package() -> None:
    cal = WorkingCalendar(
        years=[2026],
        extra_holidays={date(2026, 12, 8): "Special holiday (cabinet)"},
        extra_working_days={date(2026, 12, 7), date(2026, 11, 28)},
    )
    assert cal.holiday_name(date(2026, 12, 8)) == "Special holiday (cabinet)"
    assert not cal.is_working_day(date(2026, 12, 8))
    assert cal.is_working_day(date(2026, 12, 7)) and cal.holiday_name(date(2026, 12, 7)) is None
    assert cal.is_working_day(date(2026, 11, 28))  # a Saturday
    assert cal.next_working_day(date(2026, 11, 27)) == date(2026, 11, 28)


# --- Thai dates ---


def test_thai_date_uses_the_buddhist_era() -> None:
    assert thai_date(date(2026, 12, 8)) == "8 ธ.ค. 2569"
    assert thai_date(date(2027, 1, 1)) == "1 ม.ค. 2570"
    assert [thai_date(date(2026, m, 15)).split()[1] for m in range(1, 13)] == list(THAI_MONTHS_SHORT)
    assert THAI_MONTHS_SHORT[3] == "เม.ย." and THAI_MONTHS_SHORT[5] == "มิ.ย."
