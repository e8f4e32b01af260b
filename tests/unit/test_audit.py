"""The step 2 audit's arithmetic: 10 % rounded up, and an unmarked item counts as not consistent."""

from __future__ import annotations

from kpi.audit import (
    costs_deduction,
    sample_size,
)


def test_ceil_ten_percent():
    assert [sample_size(n) for n in (0, 1, 9, 10, 11, 25, 30, 31)] == [0, 1, 1, 1, 2, 3, 3, 4]


def test_unmarked_counts_as_not_consistent():
    assert costs_deduction(3, 2) is True  # 66.67 %
    assert costs_deduction(5, 4) is False  # exactly 80 %
    assert costs_deduction(10, 7) is True
    assert costs_deduction(0, 0) is False
