"""The league table's pure parts (kpi/league.py): the period, the median, the cache (age, one build)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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


def _in_threads(count: int, call: Callable[[], object]) -> tuple[list[threading.Thread], list[object]]:
    results: list[object] = []

    def run() -> None:
        results.append(call())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def test_visitors_of_a_cold_worker_wait_for_one_build_instead_of_each_building() -> None:
    cache = LeagueCache()
    at = datetime(2026, 12, 16, 3, tzinfo=UTC)
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def slow_build() -> str:
        builds.append(1)
        started.set()
        assert release.wait(10)
        return "figures"

    threads, results = _in_threads(8, lambda: cache.get("fy", at, slow_build))
    assert started.wait(10)
    time.sleep(0.05)  # the other seven reach the cache while the build runs
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == ["figures"] * 8
    assert len(builds) == 1


def test_stale_figures_are_served_while_another_request_rebuilds_them() -> None:
    cache = LeagueCache()
    at = datetime(2026, 12, 16, 3, tzinfo=UTC)
    cache.get("fy", at, lambda: "old")
    later = at + timedelta(minutes=6)
    started, release = threading.Event(), threading.Event()

    def slow_build() -> str:
        started.set()
        assert release.wait(10)
        return "new"

    threads, results = _in_threads(1, lambda: cache.get("fy", later, slow_build))
    assert started.wait(10)
    assert cache.get("fy", later, lambda: "not built") == "old"  # at once, not after the build
    release.set()
    threads[0].join(10)
    assert results == ["new"]
    assert cache.get("fy", later, lambda: "not built") == "new"
    # Figures older than an hour are not served even while a rebuild runs: the visitor waits for it.
    much_later = at + timedelta(hours=2)
    started.clear()
    release.clear()
    threads, results = _in_threads(1, lambda: cache.get("fy", much_later, slow_build))
    assert started.wait(10)
    waiting, answer = _in_threads(1, lambda: cache.get("fy", much_later, lambda: "not built"))
    time.sleep(0.05)
    assert answer == []  # still waiting
    release.set()
    for thread in threads + waiting:
        thread.join(10)
    assert answer == ["new"]


def test_a_failed_build_leaves_the_figures_to_the_next_request() -> None:
    cache = LeagueCache()
    at = datetime(2026, 12, 16, 3, tzinfo=UTC)

    def broken() -> str:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cache.get("fy", at, broken)
    assert cache.get("fy", at, lambda: "figures") == "figures"
