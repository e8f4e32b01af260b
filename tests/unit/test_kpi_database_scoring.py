"""Scoring from the database: in one process, or in several sharing one PostgreSQL snapshot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kpi.database_scoring import window
from kpi.schemes import load_kpi32

BKK = ZoneInfo("Asia/Bangkok")
AS_OF = datetime(2027, 12, 31, 23, 59, 59, tzinfo=BKK)
FY = 2570  # 1 Oct 2026 – 30 Sep 2027


def test_the_window_is_the_fiscal_year_so_far() -> None:
    scheme = load_kpi32("kpi32")
    start, end = window(scheme, FY, datetime(2027, 3, 31, 12, tzinfo=BKK))
    assert start == datetime(2026, 10, 1, tzinfo=BKK)
    assert end == datetime(2027, 3, 31, 12, tzinfo=BKK)  # not past the as-of moment
    start, end = window(scheme, FY, AS_OF)
    assert end == datetime(2027, 9, 30, 23, 59, 59, 999999, tzinfo=BKK)
    early = window(scheme, FY, datetime(2026, 9, 1, tzinfo=BKK))
    assert early[0] == early[1]  # before the year began: an empty window, not a reversed one
