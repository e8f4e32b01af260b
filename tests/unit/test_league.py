"""The league table's pure parts (kpi/league.py): reading the period, the median, the cache's age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kpi.league import BadPeriod, LeagueCache, LeaguePeriod, Share, Tally, months_of, read_period
from kpi.schemes import load_kpi32
from texts import SECTIONS

SCHEME = load_kpi32()
TODAY = date(2026, 12, 16)  # fiscal year 2570


def test_the_period_is_a_fiscal_year_or_one_of_its_months() -> None:
    assert read_period("", "", TODAY, SCHEME) == LeaguePeriod(2570)
    assert read_period("2569", "", TODAY, SCHEME) == LeaguePeriod(2569)
    assert read_period("", "2026-11", TODAY, SCHEME) == LeaguePeriod(2570, date(2026, 11, 1))
    assert read_period("", "2569-11", TODAY, SCHEME) == LeaguePeriod(2570, date(2026, 11, 1))  # BE
    assert read_period("", " 2026-9 ", TODAY, SCHEME) == LeaguePeriod(2569, date(2026, 9, 1))  # Sept: 2569
    assert LeaguePeriod(2570, date(2026, 11, 1)).query() == {"month": "2026-11"}
    assert LeaguePeriod(2570).query() == {"fy": "2570"}
    assert LeaguePeriod(2570, date(2026, 12, 1)).bounds(SCHEME) == (date(2026, 12, 1), date(2026, 12, 31))
    assert LeaguePeriod(2570).bounds(SCHEME) == (date(2026, 10, 1), date(2027, 9, 30))


@pytest.mark.parametrize(
    ("fy", "month", "key"),
    [
        ("abc", "", "league_bad_fy"),
        ("25700", "", "league_bad_fy"),
        ("2499", "", "league_bad_fy"),
        ("2571", "", "league_bad_future"),
        ("", "2026-13", "league_bad_month"),
        ("", "2026-00", "league_bad_month"),
        ("", "11/2026", "league_bad_month"),
        ("", "2027-01", "league_bad_future"),
        ("2569", "2026-11", "league_bad_month_of_fy"),
        ("", "1900-01", "league_bad_month"),
    ],
)
def test_a_bad_period_says_which_text_explains_it(fy: str, month: str, key: str) -> None:
    with pytest.raises(BadPeriod) as refused:
        read_period(fy, month, TODAY, SCHEME)
    assert refused.value.key == key and refused.value.value == (month or fy)
    assert key in SECTIONS["public"]["th"] and key in SECTIONS["public"]["en"]


def test_the_months_of_a_year_are_those_begun() -> None:
    assert months_of(SCHEME, 2570, TODAY) == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert len(months_of(SCHEME, 2569, TODAY)) == 12


def test_the_median_of_working_days_and_the_shares() -> None:
    def median(days: dict[int, int]) -> object:
        return Tally(Share(0, 0), Share(0, 0), Share(0, 0), days, {}).median_days

    assert median({}) is None
    assert str(median({4: 1, 5: 1})) == "4.5"
    assert str(median({0: 1, 2: 1, 9: 1})) == "2"
    assert str(median({1: 3, 7: 1})) == "1"
    assert Share(2, 3).percent is not None and str(Share(2, 3).percent) == "66.67"
    assert Share(0, 0).percent is None


def test_the_cache_keeps_figures_five_minutes_by_the_apps_clock() -> None:
    cache = LeagueCache(entries=2)
    at = datetime(2026, 12, 16, 3, tzinfo=UTC)
    made: list[int] = []

    def compute() -> int:
        made.append(1)
        return len(made)

    assert cache.get("a", at, compute) == 1
    assert cache.get("a", at + timedelta(minutes=4, seconds=59), compute) == 1
    assert cache.get("a", at + timedelta(minutes=5), compute) == 2  # five minutes old: read again
    assert cache.get("a", at - timedelta(minutes=1), compute) == 3  # a clock moved back: read again
    cache.get("b", at, compute)
    cache.get("c", at, compute)  # the oldest ("a") goes
    assert cache.get("a", at, compute) == 6
