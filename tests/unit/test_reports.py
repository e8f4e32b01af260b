"""The monthly reports' file names and months (BE or CE); the reports themselves are in tests/integration."""

from __future__ import annotations

from datetime import date

import pytest

from kpi.reports import display_width
from kpi.submissions import (
    be_month,
    fiscal_months,
    month_bounds,
    parse_month,
    thai_month,
)
from tests.reports_common import NOV, bkk


def test_file_names_and_thai_month_names():
    assert thai_month(NOV) == "พฤศจิกายน 2569"
    assert be_month(NOV) == "2569-11"
    assert display_width("ความคืบหน้า") == 9  # the marks above and below take no column


# ---- months and submissions -----------------------------------------------------------------------------


def test_months_in_be_or_ce():
    assert parse_month("2569-11") == parse_month("2026-11") == date(2026, 11, 1)
    assert parse_month("2570-1") == date(2027, 1, 1)
    for bad in ("2569-13", "พ.ย. 2569", "2569/11", ""):
        with pytest.raises(ValueError):
            parse_month(bad)
    assert fiscal_months(2570)[0] == date(2026, 10, 1) and fiscal_months(2570)[-1] == date(2027, 9, 1)
    assert fiscal_months(2027) == fiscal_months(2570)
    assert month_bounds(NOV) == (bkk(2026, 11, 1, 0), bkk(2026, 12, 1, 0))
