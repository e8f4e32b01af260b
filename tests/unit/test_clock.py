"""The app's one clock: frozen, started at a moment, advanced, given back; RONGTOOK_CLOCK_START."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.settings import ConfigError, settings_from_env
from models.clock import START_ENV, Clock, clock, parse_start

BANGKOK = ZoneInfo("Asia/Bangkok")
SONGKRAN = datetime(2027, 4, 14, 9, 0, tzinfo=BANGKOK)


def test_a_frozen_clock_stands_still_until_moved() -> None:
    c = Clock()
    c.freeze(SONGKRAN)
    first = c.now()
    time.sleep(0.01)
    assert c.now() == first == SONGKRAN and first.tzinfo == UTC
    c.advance(timedelta(days=1, hours=2))
    assert c.now().astimezone(BANGKOK) == datetime(2027, 4, 15, 11, 0, tzinfo=BANGKOK)


def test_a_started_clock_runs_on_from_its_moment() -> None:
    c = Clock()
    c.start_at(SONGKRAN)
    first = c.now()
    time.sleep(0.02)
    second = c.now()
    assert timedelta(0) <= first - SONGKRAN < timedelta(seconds=1)
    assert second - first >= timedelta(seconds=0.015)


def test_reset_gives_the_real_clock_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(START_ENV, raising=False)
    c = Clock()
    c.freeze(SONGKRAN)
    c.reset()
    assert c.is_real
    assert abs(c.now() - clock.now()) < timedelta(seconds=1)  # the suite's clock is the real one here


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Clock().freeze(datetime(2027, 4, 14, 9, 0))


def test_a_process_can_be_started_on_a_chosen_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_ENV, "2028-02-29T09:00")  # no zone: Bangkok time
    c = Clock()
    c.reset()
    assert c.now().astimezone(BANGKOK).date().isoformat() == "2028-02-29"
    assert parse_start("2028-02-29T02:00+00:00") == datetime(2028, 2, 29, 9, 0, tzinfo=BANGKOK)


def test_a_bad_start_is_named_at_start_up_and_the_clock_stays_real(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_ENV, "next Tuesday")
    c = Clock()
    c.reset()
    assert c.is_real
    with pytest.raises(ConfigError) as refused:
        settings_from_env({START_ENV: "next Tuesday"})
    assert START_ENV in str(refused.value)
