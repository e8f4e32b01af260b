"""Scheme settings from TOML, and the other schemes (RULES.md §7): seed 001's figures reproduced exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpi.facts import ComplaintFacts, DistrictFacts
from kpi.other_schemes import (
    BELOW_STANDARD,
    BEST_PRACTICE,
    STANDARD,
    KpiScore,
    classify_unit,
    five_level_exact,
    five_level_score,
    handled_cutoffs,
    handled_row,
    percent_handled,
    quarterly_targets,
    report_rounds,
)
from kpi.schemes import (
    SCHEMES_DIR,
    FiveLevelScheme,
    Kpi32Scheme,
    PercentHandledScheme,
    QuarterlyTargetsScheme,
    SchemeError,
    UnitStandardScheme,
    available_schemes,
    load_kpi32,
    load_scheme,
    round_decimal,
)
from kpi.scoring import score_unit
from models.working_days import WorkingCalendar

BKK = ZoneInfo("Asia/Bangkok")


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=BKK)


# --- loading settings ---


def test_every_shipped_scheme_loads() -> None:
    assert {"kpi32", "percent_handled", "five_level", "unit_standard", "quarterly_targets"} <= set(
        available_schemes()
    )
    for name in available_schemes():
        assert load_scheme(name).name == name


def test_kpi32_settings_are_the_rules() -> None:
    s = load_kpi32("kpi32")
    assert isinstance(s, Kpi32Scheme)
    assert s.points.full == (1, 2, 2) and s.points.maximum == 5
    assert s.points.full_points_at_percent == 95 and s.points.empty == "full"
    assert (s.deadlines.ack_working_days, s.deadlines.first_progress_working_days) == (1, 3)
    assert s.deadlines.timezone == "Asia/Bangkok"
    assert s.audit.deduction == Decimal("0.05") and s.audit.pass_percent == 80
    assert s.reporting.deduction == Decimal("0.1") and s.reporting.due_day == 10
    assert s.window_bounds(2570) == (date(2026, 10, 1), date(2027, 9, 30))
    assert s.window_bounds(2562) == (date(2018, 10, 1), date(2019, 9, 30))
    # Seed 001 measured 1 Oct – 31 Aug.
    aug = replace(s, window=replace(s.window, end=(8, 31)))
    assert aug.window_bounds(2562) == (date(2018, 10, 1), date(2019, 8, 31))


def test_audit_sample_is_ten_percent_rounded_up() -> None:
    audit = load_kpi32().audit
    assert [audit.sample_size(n) for n in (0, 1, 9, 10, 11, 95, 100, 101)] == [0, 1, 1, 1, 2, 10, 10, 11]
    assert audit.passed(10, 8) and not audit.passed(10, 7) and audit.passed(0, 0)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _kpi32_with(tmp_path: Path, old: str, new: str) -> Kpi32Scheme:
    text = (SCHEMES_DIR / "kpi32.toml").read_text(encoding="utf-8")
    assert old in text
    return load_kpi32(_write(tmp_path, "next_year", text.replace(old, new)))


def test_a_changed_threshold_in_toml_changes_the_score(tmp_path: Path) -> None:
    cal = WorkingCalendar(years=[2026, 2027])
    as_of = at(2027, 10, 31)
    complaints = []
    for i in range(10):
        routed = at(2026, 11, 2) + timedelta(days=i)
        ack = routed + timedelta(hours=1 if i < 9 else 24 * 10)  # one of ten acknowledged late
        complaints.append(
            ComplaintFacts(
                f"T{i}", "1033", routed, ack, ack + timedelta(hours=1), ack + timedelta(hours=2), True
            )
        )
    facts = DistrictFacts("1033", "ทดสอบ", tuple(complaints))
    base = score_unit(facts, load_kpi32(), cal, as_of, 2570)
    assert base.step(1).percent == Decimal("90.00") and base.step(1).points == Decimal("0.9474")  # 90 / 95
    lower = _kpi32_with(tmp_path, "full_points_at_percent = 95", "full_points_at_percent = 90")
    assert score_unit(facts, lower, cal, as_of, 2570).step(1).points == 1
    weights = _kpi32_with(tmp_path, "full = [1, 2, 2]", "full = [2, 2, 1]")
    heavier = score_unit(facts, weights, cal, as_of, 2570)
    assert heavier.step(1).points == Decimal("1.8947") and heavier.maximum == 5
    # No monthly report at all: 12 × 0.1 from step 3 by default, 12 × 0.05 with a changed deduction.
    assert base.step(3).points == Decimal("0.8000")
    milder = _kpi32_with(tmp_path, "deduction = 0.1 ", "deduction = 0.05 ")
    assert score_unit(facts, milder, cal, as_of, 2570).step(3).points == Decimal("1.4000")
    longer = _kpi32_with(tmp_path, "ack_working_days = 1 ", "ack_working_days = 10 ")
    assert score_unit(facts, longer, cal, as_of, 2570).step(1).correct == 10


def test_unknown_keys_and_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match="points.ful"):
        _kpi32_with(tmp_path, "full = [1, 2, 2]", "ful = [1, 2, 2]")
    with pytest.raises(SchemeError, match="empty"):
        _kpi32_with(tmp_path, 'empty = "full"', 'empty = "half"')
    with pytest.raises(SchemeError, match="month-day"):
        _kpi32_with(tmp_path, 'end = "09-30"', 'end = "09-31"')
    with pytest.raises(SchemeError, match="kind"):
        load_scheme(_write(tmp_path, "odd", 'kind = "kpi99"\n'))
    with pytest.raises(SchemeError, match="no scheme file"):
        load_scheme("no_such_scheme")
    with pytest.raises(SchemeError, match="kpi32 scheme is required"):
        load_kpi32("five_level")


def test_rounding_is_exact_half_up() -> None:
    assert round_decimal(Fraction(1, 8), 2) == Decimal("0.13")
    assert round_decimal(Fraction(1, 8), 2, "half_even") == Decimal("0.12")
    assert round_decimal(Fraction(914 * 100, 915), 2) == Decimal("99.89")
    assert round_decimal(Fraction(-1, 8), 2) == Decimal("-0.12")  # half-up toward +∞ for negatives
    assert round_decimal(Decimal("2.345"), 2) == Decimal("2.35")


# --- seed 001: percent handled, reproduced exactly ---

CUTOFFS = (date(2019, 3, 31), date(2019, 6, 24), date(2019, 8, 30))


def seed001_complaints() -> list[ComplaintFacts]:
    """One district, FY 2562: 915/914 by 31 Mar, 1,335/1,301 by 24 Jun, 1,669/1,637 by 30 Aug 2019."""
    out: list[ComplaintFacts] = []

    def add(prefix: str, count: int, first: date, days: int, resolved: list[datetime | None]) -> None:
        for i in range(count):
            routed = datetime.combine(first + timedelta(days=i % days), datetime.min.time(), BKK)
            routed += timedelta(hours=8 + i % 9)
            out.append(
                ComplaintFacts(f"{prefix}{i:04d}", "1001", routed.astimezone(UTC), resolved_at=resolved[i])
            )

    def same_day(count: int, first: date, days: int) -> list[datetime | None]:
        return [
            datetime.combine(first + timedelta(days=i % days), datetime.max.time(), BKK) for i in range(count)
        ]

    # Received 1 Oct 2018 – 31 Mar 2019: 915; 914 resolved within the period, 1 on 10 Apr.
    q12 = same_day(914, date(2018, 10, 1), 182) + [at(2019, 4, 10)]
    add("A", 915, date(2018, 10, 1), 182, q12)
    # 1 Apr – 24 Jun: 420 more; 386 resolved by 24 Jun, 34 on 1 Jul.
    add("B", 420, date(2019, 4, 1), 85, same_day(386, date(2019, 4, 1), 85) + [at(2019, 7, 1)] * 34)
    # 25 Jun – 30 Aug: 334 more; 302 resolved by 30 Aug, 32 still open.
    add("C", 334, date(2019, 6, 25), 67, same_day(302, date(2019, 6, 25), 67) + [None] * 32)
    return out


@pytest.fixture(scope="module")
def handled_scheme() -> PercentHandledScheme:
    scheme = load_scheme("percent_handled")
    assert isinstance(scheme, PercentHandledScheme)
    return scheme


def test_seed_001_figures_are_reproduced_exactly(handled_scheme: PercentHandledScheme) -> None:
    noise = [
        ComplaintFacts("OLD", "1001", at(2018, 9, 30, 23), resolved_at=at(2018, 10, 1)),  # before FY 2562
        ComplaintFacts("LATER", "1001", at(2019, 8, 31)),  # after the last cut-off
        ComplaintFacts("OTHER", "1002", at(2019, 1, 5)),  # another district
    ]
    facts = DistrictFacts("1001", "เขตตัวอย่าง", iter(seed001_complaints() + noise))
    rows = percent_handled(facts, handled_scheme, 2562, cutoffs=CUTOFFS)
    assert [(r.until, r.received, r.resolved, r.pending) for r in rows] == [
        (date(2019, 3, 31), 915, 914, 1),
        (date(2019, 6, 24), 1335, 1301, 34),
        (date(2019, 8, 30), 1669, 1637, 32),
    ]
    assert [r.percent_text for r in rows] == ["99.89 %", "97.45 %", "98.08 %"]
    assert [r.pending_text for r in rows] == ["1 (0.11 %)", "34 (2.55 %)", "32 (1.92 %)"]
    assert [r.met_target for r in rows] == [True, True, True]  # target 90 %
    assert rows[1].line_en == (
        "2018-10-01 – 2019-06-24: received 1,335, resolved 1,301 = 97.45 %, pending 34 (2.55 %)"
    )
    assert rows[2].line_th == (
        "ระหว่างวันที่ 1 ต.ค. 2561 ถึงวันที่ 30 ส.ค. 2562 มีจำนวนเรื่องร้องเรียนทั้งสิ้น 1,669 เรื่อง "
        "ดำเนินการแก้ไขเรียบร้อยแล้ว 1,637 เรื่อง คิดเป็นร้อยละ 98.08 อยู่ระหว่างดำเนินการ 32 เรื่อง คิดเป็นร้อยละ 1.92"
    )


def test_seed_001_rows_from_counts(handled_scheme: PercentHandledScheme) -> None:
    start = date(2018, 10, 1)
    figures = [(915, 914), (1335, 1301), (1669, 1637)]
    rows = [
        handled_row(r, d, handled_scheme, start, until)
        for (r, d), until in zip(figures, CUTOFFS, strict=True)
    ]
    assert [(str(r.percent), str(r.pending_percent)) for r in rows] == [
        ("99.89", "0.11"),
        ("97.45", "2.55"),
        ("98.08", "1.92"),
    ]
    assert rows[0].as_dict()["percent"] == 99.89
    with pytest.raises(ValueError):
        handled_row(1, 2, handled_scheme, start, start)


def test_default_cutoffs_are_quarter_ends_inside_the_window(
    handled_scheme: PercentHandledScheme, tmp_path: Path
) -> None:
    assert handled_cutoffs(handled_scheme, 2562) == (
        date(2018, 10, 1),
        [date(2018, 12, 31), date(2019, 3, 31), date(2019, 6, 30), date(2019, 9, 30)],
    )
    text = (
        (SCHEMES_DIR / "percent_handled.toml")
        .read_text(encoding="utf-8")
        .replace('end = "09-30"', 'end = "08-31"')
    )
    seed = load_scheme(_write(tmp_path, "seed001", text))
    assert isinstance(seed, PercentHandledScheme)
    _, days = handled_cutoffs(seed, 2562)
    assert days[-1] == date(2019, 8, 31)
    assert handled_cutoffs(seed, 2562, as_of=date(2019, 6, 24))[1] == [
        date(2018, 12, 31),
        date(2019, 3, 31),
        date(2019, 6, 24),
    ]
    rows = percent_handled(seed001_complaints(), seed, 2562, as_of=date(2019, 6, 24))
    assert [(r.received, r.resolved) for r in rows[1:]] == [(915, 914), (1335, 1301)]


# --- seed 004: five-level scale ---


def test_five_level_interpolation() -> None:
    s = load_scheme("five_level")
    assert isinstance(s, FiveLevelScheme)
    cases = {
        "79.99": "0.00",
        "80": "1.00",
        "82.5": "1.50",
        "85": "2.00",
        "93": "3.60",
        "97": "4.40",
        "99.99": "5.00",  # 4.998 rounded
        "100": "5.00",
        "120": "5.00",
    }
    assert {p: str(five_level_score(p, s)) for p in cases} == cases
    assert five_level_exact("99.99", s) == Fraction(4998, 1000)
    assert five_level_score(Decimal("98.08"), s) == Decimal("4.62")


def test_five_level_thresholds_are_settings(tmp_path: Path) -> None:
    text = (SCHEMES_DIR / "five_level.toml").read_text(encoding="utf-8")
    lower_is_better = text.replace("thresholds = [80, 85, 90, 95, 100]", "thresholds = [10, 8, 6, 4, 2]")
    s = load_scheme(_write(tmp_path, "days", lower_is_better))
    assert isinstance(s, FiveLevelScheme)
    assert [str(five_level_score(v, s)) for v in (12, 10, 7, 2, 1)] == [
        "0.00",
        "1.00",
        "2.50",
        "5.00",
        "5.00",
    ]
    below = load_scheme(_write(tmp_path, "below", text.replace("below_first = 0", "below_first = 0.5")))
    assert isinstance(below, FiveLevelScheme)
    assert five_level_score(50, below) == Decimal("0.50")


# --- seed 002: unit standard ---


@pytest.fixture(scope="module")
def standard() -> UnitStandardScheme:
    s = load_scheme("unit_standard")
    assert isinstance(s, UnitStandardScheme)
    return s


def kpis(*scores: str) -> list[KpiScore]:
    dims = ("effectiveness", "service_quality", "efficiency", "development")
    return [KpiScore(f"K{i + 1}", dims[i % 4], s) for i, s in enumerate(scores)]


def test_unit_standard_levels(standard: UnitStandardScheme) -> None:
    best = classify_unit(kpis("4.50", "4.60", "4.40", "4.80"), standard)
    # (15 × 4.5 + 35 × 4.6 + 30 × 4.4 + 20 × 4.8) / 100 = 4.565, shown half-up as 4.57
    assert best.weighted_average_exact == Fraction("4.565")
    assert (best.level, str(best.weighted_average)) == (BEST_PRACTICE, "4.57")
    assert best.level_th == "ระดับต้นแบบ (Best Practice)"
    all_four_but_low_average = classify_unit(kpis("5.00", "4.00", "4.50", "4.00"), standard)
    assert all_four_but_low_average.weighted_average_exact == Fraction("4.30")  # (75 + 140 + 135 + 80) / 100
    assert all_four_but_low_average.level == STANDARD
    one_under_four = classify_unit(kpis("5", "5", "5", "3.99"), standard)
    assert (one_under_four.level, one_under_four.below_best) == (STANDARD, ("K4",))
    below = classify_unit(kpis("5", "2.99", "5", "5"), standard)
    assert (below.level, below.below_standard, below.level_th) == (
        BELOW_STANDARD,
        ("K2",),
        "ต่ำกว่าระดับมาตรฐาน",
    )


def test_unit_standard_weights_are_shared_within_a_dimension(standard: UnitStandardScheme) -> None:
    items = [
        KpiScore("a", "effectiveness", 4),
        KpiScore("b", "service_quality", 5),
        KpiScore("c", "service_quality", 3),  # 17.5 each
        KpiScore("d", "efficiency", 4),
        KpiScore("e", "development", 5),
    ]
    result = classify_unit(items, standard)
    assert dict(result.weights)["c"] == Fraction(35, 2)
    assert result.weighted_average_exact == Fraction(15 * 4 + 35 * 4 + 30 * 4 + 20 * 5, 100)
    with pytest.raises(SchemeError, match="unknown dimension"):
        classify_unit([KpiScore("x", "happiness", 5)], standard)


def test_unit_standard_report_rounds(standard: UnitStandardScheme) -> None:
    # Seed 002, FY 2558: 6 months to 31 Mar 2015 due 10 Apr, 9 months to 30 Jun due 10 Jul, 12 to 30 Sep.
    assert report_rounds(standard, 2558) == [
        (6, date(2015, 3, 31), date(2015, 4, 10)),
        (9, date(2015, 6, 30), date(2015, 7, 10)),
        (12, date(2015, 9, 30), date(2015, 10, 10)),
    ]


# --- seed 003: quarterly targets ---


def test_quarterly_targets() -> None:
    s = load_scheme("quarterly_targets")
    assert isinstance(s, QuarterlyTargetsScheme)
    seed = quarterly_targets(["30.00", "60.00", "75.00", "100.00"], s)
    assert [(q.quarter, q.met, str(q.percent_of_target)) for q in seed] == [
        (1, True, "100.00"),
        (2, True, "100.00"),
        (3, True, "100.00"),
        (4, True, "100.00"),
    ]
    partial = quarterly_targets([25, 62.5], s)
    assert [(q.met, q.percent_of_target, q.gap) for q in partial] == [
        (False, Decimal("83.33"), Decimal("-5.00")),
        (True, Decimal("104.17"), Decimal("2.50")),
        (None, None, None),
        (None, None, None),
    ]
    assert partial[0].as_dict()["achieved"] == 25.0
    with pytest.raises(ValueError):
        quarterly_targets([1, 2, 3, 4, 5], s)
