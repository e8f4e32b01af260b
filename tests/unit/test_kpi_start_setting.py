"""KPI_START_DATE: the day the districts started using Rongtook (issue point 13), read at start-up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.settings import ConfigError, settings_from_env
from tests.unit.test_settings import base


def test_unset_means_every_month_counts(tmp_path: Path) -> None:
    assert settings_from_env(base(tmp_path)).kpi_start_date is None
    assert settings_from_env(base(tmp_path, KPI_START_DATE="  ")).kpi_start_date is None


def test_an_iso_date_is_read(tmp_path: Path) -> None:
    assert settings_from_env(base(tmp_path, KPI_START_DATE="2027-03-15")).kpi_start_date == date(2027, 3, 15)


@pytest.mark.parametrize("value", ["15/03/2027", "2027-02-30", "next month", "2570-03-15", "1999-12-31"])
def test_a_bad_date_is_refused_in_one_line_naming_the_setting(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_env(base(tmp_path, KPI_START_DATE=value))
    assert info.value.setting == "KPI_START_DATE"
    message = str(info.value)
    assert message.startswith(f"setting KPI_START_DATE: '{value}' is not a date such as 2027-03-01")
    assert "\n" not in message
