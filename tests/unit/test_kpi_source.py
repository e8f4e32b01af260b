"""The months a KPI window touches, in Bangkok time (the database adapter is in tests/integration)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from kpi.source import window_months

BKK = ZoneInfo("Asia/Bangkok")
START = datetime(2026, 10, 1, tzinfo=BKK)  # FY 2570, both ends included
END = datetime(2027, 9, 30, 23, 59, 59, 999999, tzinfo=BKK)


def test_window_months_are_the_bangkok_months_it_touches() -> None:
    assert window_months(START, END)[0] == date(2026, 10, 1)
    assert window_months(START, END)[-1] == date(2027, 9, 1)
    assert len(window_months(START, END)) == 12
    # Seed 001 measured 1 Oct - 31 Aug.
    assert len(window_months(START, datetime(2027, 8, 31, 23, 59, 59, tzinfo=BKK))) == 11
    # 30 Sep 17:00 UTC is already 1 Oct in Bangkok.
    assert window_months(datetime(2026, 9, 30, 17, 0, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)) == [
        date(2026, 10, 1)
    ]
