"""KPI 3.2 scoring (RULES.md §2, §3, §6): hand-computed scenarios, explanations, streaming, output."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from kpi import scoring
from kpi.facts import AuditResult, ComplaintFacts, DistrictFacts, MonthlySubmission
from kpi.output import display_width, explain, to_csv, to_json, to_table
from kpi.schemes import CheckpointSettings, IntakeSettings, Kpi32Scheme, load_kpi32
from kpi.scoring import (
    ACK_LATE,
    ACK_MISSING,
    ACK_PENDING,
    CHECKPOINT_MISSED,
    FIRST_PROGRESS_LATE,
    FIRST_PROGRESS_MISSING,
    NO_RESULT_TEXT,
    NOT_RESOLVED,
    REPORT_LATE,
    REPORT_MISSING,
    ComplaintEvaluator,
    evaluate_complaint,
    score_unit,
    score_units,
    step_points,
)
from models.working_days import WorkingCalendar

BKK = ZoneInfo("Asia/Bangkok")
FY = 2570  # 2026-10-01 .. 2027-09-30
AS_OF = datetime(2027, 10, 31, 12, 0, tzinfo=BKK)  # every month's report of FY 2570 is due
D = "1033"
NAME = "เขตทดสอบ"


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(years=[2026, 2027])


@pytest.fixture(scope="module")
def scheme() -> Kpi32Scheme:
    return load_kpi32()


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BKK)


def good(code: str, routed: datetime, district: str = D, **changes: object) -> ComplaintFacts:
    """Correct in steps 1 and 2: acknowledged, reported and resolved with a result text within hours."""
    fp = routed + timedelta(hours=2)
    c = ComplaintFacts(
        code=code,
        district=district,
        routed_at=routed,
        acknowledged_at=routed + timedelta(hours=1),
        first_progress_at=fp,
        resolved_at=routed + timedelta(hours=3),
        result_text=True,
        progress_at=(fp,),
    )
    return c._replace(**changes)


def months_of_fy() -> list[date]:
    return [date(2026, m, 1) for m in (10, 11, 12)] + [date(2027, m, 1) for m in range(1, 10)]


def on_time_reports(district: str = D, skip: tuple[date, ...] = ()) -> tuple[MonthlySubmission, ...]:
    subs = []
    for m in months_of_fy():
        if m in skip:
            continue
        nxt = date(m.year + 1, 1, 5) if m.month == 12 else date(m.year, m.month + 1, 5)
        subs.append(MonthlySubmission(district, m, at(nxt.year, nxt.month, nxt.day)))
    return tuple(subs)


def unit(complaints: object, **kw: object) -> DistrictFacts:
    kw.setdefault("submissions", on_time_reports())
    return DistrictFacts(D, NAME, complaints, **kw)  # type: ignore[arg-type]


def day_in_fy(i: int) -> datetime:
    """Spread complaints over October–November 2026 working hours (no checkpoint becomes due)."""
    return at(2026, 10, 1) + timedelta(days=i % 60, minutes=i % 400)


# --- one complaint, one reason ---


def test_all_correct_scores_full_points(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    u = score_unit(unit((good("A1", at(2026, 12, 4)), good("A2", at(2027, 3, 1)))), scheme, cal, AS_OF, FY)
    assert u.n == 2
    assert [(s.step, s.correct, s.percent, s.points) for s in u.steps] == [
        (1, 2, Decimal("100.00"), Decimal("1.0000")),
        (2, 2, Decimal("100.00"), Decimal("2.0000")),
        (3, 12, Decimal("100.00"), Decimal("2.0000")),
    ]
    assert u.total == Decimal("5.0000") and u.total_exact == 5 and u.maximum == 5
    assert u.failures == () and u.month_reasons == ()


def test_late_ack_by_two_working_days_across_a_holiday(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    # Routed Fri 4 Dec 2026: Sat 5, Sun 6, Mon 7 (in lieu) off → ack due Tue 8 Dec.
    # Acknowledged Fri 11 Dec: Wed 9 (1), Thu 10 Constitution Day, Fri 11 (2) → 2 working days late.
    c = good("BKK-1", at(2026, 12, 4), acknowledged_at=at(2026, 12, 11, 9))
    c = c._replace(first_progress_at=at(2026, 12, 11, 11), progress_at=(at(2026, 12, 11, 11),))
    c = c._replace(resolved_at=at(2026, 12, 11, 12))
    u = score_unit(unit((c,)), scheme, cal, AS_OF, FY)
    step1 = u.step(1)
    assert (step1.correct, step1.failing, step1.points) == (0, 1, Decimal("0.0000"))
    (reason,) = step1.failures
    assert (reason.code, reason.step, reason.rule, reason.days) == ("BKK-1", 1, ACK_LATE, 2)
    assert reason.due == date(2026, 12, 8) and reason.on == date(2026, 12, 11)
    assert reason.text_th.startswith("รับเรื่องช้า 2 วันทำการ")
    assert "8 ธ.ค. 2569" in reason.text_th
    assert reason.text_en.startswith("acknowledged 2 working days late")
    assert "due 2026-12-08" in reason.text_en
    assert u.step(2).correct == 1  # step 2 is judged on its own


def test_first_progress_one_working_day_late(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    # Acknowledged Tue 8 Dec → Wed 9, (Thu 10 off), Fri 11, Mon 14: due Mon 14; reported Tue 15.
    c = good(
        "FP-1",
        at(2026, 12, 7, 15),
        acknowledged_at=at(2026, 12, 8, 9),
        first_progress_at=at(2026, 12, 15, 9),
        progress_at=(at(2026, 12, 15, 9),),
        resolved_at=at(2026, 12, 15, 10),
    )
    (reason,) = score_unit(unit((c,)), scheme, cal, AS_OF, FY).step(1).failures
    assert (reason.rule, reason.due, reason.days) == (FIRST_PROGRESS_LATE, date(2026, 12, 14), 1)
    assert reason.text_en.startswith("first progress report 1 working day late")
    assert reason.text_th.startswith("รายงานความก้าวหน้าครั้งที่ 1 ช้า 1 วันทำการ")


def test_ack_late_on_a_non_working_day_is_still_late(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    c = good("SAT", at(2026, 11, 26), acknowledged_at=at(2026, 11, 28, 9))  # due Fri 27, acked Sat 28
    (reason,) = score_unit(unit((c,)), scheme, cal, AS_OF, FY).step(1).failures
    assert (reason.rule, reason.days) == (ACK_LATE, 0)
    assert "non-working day" in reason.text_en


def test_last_microsecond_of_the_due_day_is_on_time_and_the_next_is_late(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    due_end = datetime(2026, 12, 8, 23, 59, 59, 999999, tzinfo=BKK)
    ok = good("EDGE-OK", at(2026, 12, 4), acknowledged_at=due_end)
    late = good("EDGE-LATE", at(2026, 12, 4), acknowledged_at=due_end + timedelta(microseconds=1))
    # The same moments given in UTC (as the database returns them) are judged on Bangkok days.
    utc = good("EDGE-UTC", at(2026, 12, 4).astimezone(UTC), acknowledged_at=due_end.astimezone(UTC))
    u = score_unit(unit((ok, late, utc)), scheme, cal, AS_OF, FY)
    assert [r.code for r in u.step(1).failures] == ["EDGE-LATE"]
    assert u.step(1).failures[0].days == 1  # Wed 9 Dec


def test_not_acknowledged_and_no_first_progress(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    c = good("NOACK", at(2026, 11, 2), acknowledged_at=None, first_progress_at=None, progress_at=())
    step1 = score_unit(unit((c,)), scheme, cal, AS_OF, FY).step(1)
    assert [(r.rule, r.due) for r in step1.failures] == [(ACK_MISSING, date(2026, 11, 3))]
    assert step1.failures[0].text_en == "not acknowledged (due 2026-11-03)"


def test_missed_checkpoint_2027_01_15(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    # Routed and acknowledged Mon 21 Dec 2026 → first progress due Thu 24 Dec (reported Tue 22).
    # Checkpoints due after 24 Dec while open: 30 Dec (met by the 22 Dec update, which falls after
    # 15 Dec), 15 Jan (nothing between 31 Dec and 15 Jan: missed), 30 Jan (met by 20 Jan).
    # Resolved 5 Feb, so 15 Feb is not due.
    c = good(
        "CP-1",
        at(2026, 12, 21, 9),
        acknowledged_at=at(2026, 12, 21, 11),
        first_progress_at=at(2026, 12, 22, 10),
        progress_at=(at(2026, 12, 22, 10), at(2027, 1, 20, 10)),
        resolved_at=at(2027, 2, 5, 10),
    )
    u = score_unit(unit((c,)), scheme, cal, AS_OF, FY)
    assert u.step(1).correct == 1
    step2 = u.step(2)
    assert step2.correct == 0
    (reason,) = step2.failures
    assert (reason.code, reason.step, reason.rule, reason.due) == (
        "CP-1",
        2,
        CHECKPOINT_MISSED,
        date(2027, 1, 15),
    )
    assert reason.text_en == "checkpoint 2027-01-15 missed"
    assert "15 ม.ค. 2570" in reason.text_th
    # An update on 31 Dec (after the 30 Dec checkpoint) meets 15 Jan; one on 30 Dec does not.
    met = c._replace(progress_at=(*c.progress_at, at(2026, 12, 31, 8)))
    assert score_unit(unit((met,)), scheme, cal, AS_OF, FY).step(2).correct == 1
    not_met = c._replace(progress_at=(*c.progress_at, at(2026, 12, 30, 23, 59)))
    assert score_unit(unit((not_met,)), scheme, cal, AS_OF, FY).step(2).correct == 0


def test_checkpoint_on_the_resolution_day_is_not_due(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    c = good(
        "CP-2",
        at(2026, 12, 21, 9),
        acknowledged_at=at(2026, 12, 21, 11),
        first_progress_at=at(2026, 12, 22, 10),
        progress_at=(at(2026, 12, 22, 10),),
        resolved_at=at(2027, 1, 15, 16),  # resolved on the 15th itself: open at its end? no
    )
    assert score_unit(unit((c,)), scheme, cal, AS_OF, FY).step(2).correct == 1
    # Reading "start_of_day": the 15th is due for a complaint still open when the 15th began.
    strict = replace(scheme, checkpoints=CheckpointSettings(open_at="start_of_day"))
    (reason,) = score_unit(unit((c,)), strict, cal, AS_OF, FY).step(2).failures
    assert reason.due == date(2027, 1, 15)


def test_february_checkpoint_is_the_last_day(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    c = good(
        "FEB",
        at(2027, 2, 1, 9),
        acknowledged_at=at(2027, 2, 1, 10),
        first_progress_at=at(2027, 2, 2, 10),
        progress_at=(at(2027, 2, 2, 10),),  # serves 15 Feb
        resolved_at=at(2027, 3, 3, 10),
    )
    (reason,) = score_unit(unit((c,)), scheme, cal, AS_OF, FY).step(2).failures
    assert reason.due == date(2027, 2, 28)


def test_resolved_without_a_result_text(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    u = score_unit(unit((good("NOTEXT", at(2026, 11, 2), result_text=False),)), scheme, cal, AS_OF, FY)
    assert u.step(1).correct == 1
    (reason,) = u.step(2).failures
    assert (reason.rule, reason.text_en) == (NO_RESULT_TEXT, "resolved without a result text")
    assert reason.text_th


def test_not_resolved_by_as_of_lists_the_missed_checkpoints_too(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    as_of = at(2027, 1, 31, 12)
    c = good(
        "OPEN",
        at(2026, 12, 21, 9),
        acknowledged_at=at(2026, 12, 21, 11),
        first_progress_at=at(2026, 12, 22, 10),
        progress_at=(at(2026, 12, 22, 10), at(2027, 1, 10, 10)),
        resolved_at=at(2027, 2, 3, 10),  # after as_of: open as of then
    )
    reasons = score_unit(unit((c,)), scheme, cal, as_of, FY).step(2).failures
    assert [(r.rule, r.due, r.on) for r in reasons] == [
        (NOT_RESOLVED, None, date(2027, 1, 31)),
        (CHECKPOINT_MISSED, date(2027, 1, 30), None),
    ]
    assert reasons[0].text_en == "not resolved by 2027-01-31"


def test_transferred_complaint_counts_for_the_new_unit_from_the_transfer(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    # First routed to 1001 on 1 Dec; transferred to 1033 on Fri 4 Dec: the facts carry the new unit
    # and the transfer moment, so the ack clock runs from 4 Dec (due Tue 8 Dec), and it is on time.
    moved = good("TR-1", at(2026, 12, 4, 16), acknowledged_at=at(2026, 12, 8, 9))
    new_unit = score_unit(unit((moved,)), scheme, cal, AS_OF, FY)
    assert (new_unit.n, new_unit.step(1).correct) == (1, 1)
    old = DistrictFacts("1001", "เขตเดิม", (moved,), submissions=on_time_reports("1001"))
    old_unit = score_unit(old, scheme, cal, AS_OF, FY)
    assert (old_unit.n, old_unit.other_district) == (0, 1)


def test_only_complaints_routed_in_the_window_and_by_as_of_count(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    complaints = (
        good("BEFORE", datetime(2026, 9, 30, 23, 59, tzinfo=BKK)),
        good("FIRST", datetime(2026, 10, 1, 0, 0, tzinfo=BKK)),
        good("UTC-FIRST", datetime(2026, 9, 30, 17, 0, tzinfo=UTC)),  # 00:00 1 Oct in Bangkok
        good("LAST", datetime(2027, 9, 30, 20, 0, tzinfo=BKK)),
        good("AFTER", datetime(2027, 10, 1, 0, 0, tzinfo=BKK)),
    )
    u = score_unit(unit(complaints), scheme, cal, AS_OF, FY)
    assert u.n == 3
    early = score_unit(unit(complaints), scheme, cal, at(2027, 3, 1), FY)
    assert early.n == 2  # LAST was not yet routed
    seed001 = replace(scheme, window=replace(scheme.window, end=(8, 31)))
    assert score_unit(unit(complaints), seed001, cal, AS_OF, FY).n == 2


# --- step points: the 95 % rule ---


def test_step_points_formula() -> None:
    full = Fraction(2)
    assert step_points(95, 100, full, Fraction(95), "full") == 2
    assert step_points(949, 1000, full, Fraction(95), "full") == Fraction(949, 1000) * 100 * 2 / 95
    assert step_points(0, 0, full, Fraction(95), "full") == 2
    assert step_points(0, 0, full, Fraction(95), "zero") == 0


def test_exactly_95_percent_gets_full_points(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    complaints = [good(f"C{i}", day_in_fy(i)) for i in range(19)]
    complaints.append(good("LATE", day_in_fy(19), acknowledged_at=day_in_fy(19) + timedelta(days=10)))
    complaints[0] = complaints[0]._replace(result_text=False)  # 19 of 20 correct in each step
    u = score_unit(unit(complaints), scheme, cal, AS_OF, FY)
    assert u.n == 20
    assert (u.step(1).correct, u.step(1).percent, u.step(1).points) == (
        19,
        Decimal("95.00"),
        Decimal("1.0000"),
    )
    assert (u.step(2).correct, u.step(2).percent, u.step(2).points) == (
        19,
        Decimal("95.00"),
        Decimal("2.0000"),
    )
    assert u.total == Decimal("5.0000")


def test_just_below_95_percent_is_scaled_exactly(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    # 949 of 1,000 correct: p = 94.9 → step 1 = 94.9 × 1 / 95, step 2 = 94.9 × 2 / 95.
    complaints = []
    for i in range(1000):
        c = good(f"C{i:04d}", day_in_fy(i))
        if i < 51:
            c = c._replace(acknowledged_at=c.routed_at + timedelta(days=10), result_text=False)
        complaints.append(c)
    u = score_unit(unit(complaints), scheme, cal, AS_OF, FY)
    for number, full in ((1, 1), (2, 2)):
        s = u.step(number)
        assert (s.correct, s.of, s.percent) == (949, 1000, Decimal("94.90"))
        assert s.points_exact == Fraction(949, 10) * full / 95
        assert s.base_points == s.points_exact
    assert u.step(1).points == Decimal("0.9989")  # 0.998947…
    assert u.step(2).points == Decimal("1.9979")  # 1.997894…
    assert u.total_exact == Fraction(949, 950) * 3 + 2
    assert u.total == Decimal("4.9968")  # 4.996842…: rounded once, from the exact sum


def test_no_complaints_full_points_with_a_note_or_zero_by_setting(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    u = score_unit(unit(()), scheme, cal, AS_OF, FY)
    assert u.n == 0
    assert [(s.percent, s.points) for s in u.steps[:2]] == [
        (None, Decimal("1.0000")),
        (None, Decimal("2.0000")),
    ]
    assert u.total == 5
    assert any("N = 0" in note for note in u.notes)
    zero = replace(scheme, points=replace(scheme.points, empty="zero"))
    assert score_unit(unit(()), zero, cal, AS_OF, FY).total == 2  # step 3 only


# --- month-level deductions ---


def test_audit_failures_in_two_months_cost_step_2_ten_hundredths(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    audits = (
        AuditResult(D, date(2026, 11, 1), drawn=3, consistent=2),  # 66.67 % < 80 %: −0.05
        AuditResult(D, date(2026, 12, 1), drawn=10, consistent=8),  # exactly 80 %: passes
        AuditResult(D, date(2027, 1, 1), drawn=2, consistent=0),  # 0 %: −0.05
        AuditResult(D, date(2027, 2, 1), drawn=0, consistent=0),  # nothing drawn: passes
        AuditResult("1001", date(2027, 3, 1), drawn=2, consistent=0),  # another unit's
        AuditResult(D, date(2026, 9, 1), drawn=2, consistent=0),  # before the window
    )
    u = score_unit(unit((good("A", at(2026, 11, 2)),), audits=audits), scheme, cal, AS_OF, FY)
    step2 = u.step(2)
    assert step2.deductions == Decimal("0.10")
    assert step2.points_exact == 2 - Fraction(1, 10) and step2.points == Decimal("1.9000")
    assert u.total == Decimal("4.9000")
    failed = [r for r in u.month_reasons if r.step == 2]
    assert [(r.month, r.drawn, r.consistent) for r in failed] == [
        (date(2026, 11, 1), 3, 2),
        (date(2027, 1, 1), 2, 0),
    ]
    assert failed[0].text_en == "audit of 2026-11: 2 of 3 drawn consistent (66.67 % < 80 %): -0.05"
    assert "พ.ย. 2569" in failed[0].text_th
    assert step2.rule_counts == {"audit_failed": 2}


def test_audit_deduction_never_takes_step_2_below_zero(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    late = good("L", at(2026, 11, 2), result_text=False)
    audits = tuple(AuditResult(D, m, drawn=1, consistent=0) for m in months_of_fy())
    u = score_unit(unit((late,), audits=audits), scheme, cal, AS_OF, FY)
    assert u.step(2).deductions == Decimal("0.60") and u.step(2).points_exact == 0


def test_three_late_or_missing_monthly_reports_cost_three_tenths(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    subs = list(on_time_reports(skip=(date(2026, 10, 1), date(2027, 2, 1), date(2027, 5, 1))))
    subs.append(MonthlySubmission(D, date(2026, 10, 1), datetime(2026, 11, 11, 0, 0, tzinfo=BKK)))  # late
    subs.append(MonthlySubmission(D, date(2027, 2, 1), None))  # never
    # May: nothing at all. March: submitted at the last microsecond of 10 April (on time), plus a later copy.
    subs = [s for s in subs if s.month != date(2027, 3, 1)]
    subs.append(MonthlySubmission(D, date(2027, 3, 1), datetime(2027, 4, 10, 23, 59, 59, 999999, tzinfo=BKK)))
    subs.append(MonthlySubmission(D, date(2027, 3, 1), at(2027, 4, 20)))
    u = score_unit(unit((good("A", at(2026, 11, 2)),), submissions=tuple(subs)), scheme, cal, AS_OF, FY)
    step3 = u.step(3)
    assert (step3.correct, step3.of, step3.deductions) == (9, 12, Decimal("0.3"))
    assert step3.points_exact == Fraction(17, 10) and step3.points == Decimal("1.7000")
    assert u.total == Decimal("4.7000")
    reasons = [(r.month, r.rule, r.due, r.on) for r in u.month_reasons]
    assert reasons == [
        (date(2026, 10, 1), REPORT_LATE, date(2026, 11, 10), date(2026, 11, 11)),
        (date(2027, 2, 1), REPORT_MISSING, date(2027, 3, 10), None),
        (date(2027, 5, 1), REPORT_MISSING, date(2027, 6, 10), None),
    ]
    assert u.month_reasons[0].text_en == (
        "monthly report for 2026-10 submitted late (2026-11-11, due 2026-11-10): -0.1"
    )
    assert "ต.ค. 2569" in u.month_reasons[0].text_th


def test_only_months_whose_report_is_due_by_as_of_count(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    facts = DistrictFacts(D, NAME, (), submissions=())
    # As of 10 Jan 2027 at noon: October and November are due; December's is due at the end of today.
    u = score_unit(facts, scheme, cal, at(2027, 1, 10, 12), FY)
    assert (u.step(3).of, u.step(3).deductions) == (2, Decimal("0.2"))
    u = score_unit(facts, scheme, cal, datetime(2027, 1, 11, 0, 0, tzinfo=BKK), FY)
    assert u.step(3).of == 3
    # A submission made after as_of does not exist yet.
    late_sub = DistrictFacts(
        D, NAME, (), submissions=(MonthlySubmission(D, date(2026, 10, 1), at(2026, 11, 5)),)
    )
    assert score_unit(late_sub, scheme, cal, at(2026, 11, 4), FY).step(3).of == 0
    assert score_unit(late_sub, scheme, cal, at(2026, 11, 11), FY).step(3).correct == 1


def test_step_3_never_below_its_floor(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    harsh = replace(scheme, reporting=replace(scheme.reporting, deduction=Decimal("0.5")))
    u = score_unit(DistrictFacts(D, NAME, ()), harsh, cal, AS_OF, FY)
    assert u.step(3).deductions == Decimal("6.0") and u.step(3).points_exact == 0


# --- readings as settings ---


def test_step_1_not_yet_due_reading(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    fresh = good("NEW", at(2027, 3, 31, 9), acknowledged_at=None, first_progress_at=None, progress_at=())
    fresh = fresh._replace(resolved_at=None)
    as_of = at(2027, 3, 31, 18)
    # Before the window closes the step is pending: counted, explained, and not in N (issue point 12).
    step1 = score_unit(unit((fresh,)), scheme, cal, as_of, FY).step(1)
    assert (step1.failures, step1.pending, step1.of) == ((), 1, 0)
    (reason,) = step1.pending_reasons
    assert (reason.rule, reason.due) == (ACK_PENDING, date(2027, 4, 1))
    (reason,) = score_unit(unit((fresh,)), scheme, cal, as_of, FY, literal=True).step(1).failures
    assert (reason.rule, reason.due) == (ACK_PENDING, date(2027, 4, 1))
    lenient = replace(scheme, intake=IntakeSettings(not_yet_due="correct"))
    assert score_unit(unit((fresh,)), lenient, cal, as_of, FY).step(1).correct == 1


def test_a_resolution_before_any_progress_update_is_the_first_report(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    quick = good("QUICK", at(2026, 11, 2), first_progress_at=None, progress_at=())
    assert score_unit(unit((quick,)), scheme, cal, AS_OF, FY).step(1).correct == 1
    strict = replace(scheme, intake=replace(scheme.intake, resolution_counts_as_first_progress=False))
    (reason,) = score_unit(unit((quick,)), strict, cal, AS_OF, FY).step(1).failures
    assert (reason.rule, reason.due) == (FIRST_PROGRESS_MISSING, date(2026, 11, 5))


def test_rejected_complaints_are_left_out_or_count_as_resolved(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    rejected = good(
        "REJ", at(2026, 11, 2), resolved_at=None, result_text=False, rejected_at=at(2026, 11, 2, 15)
    )
    u = score_unit(unit((rejected, good("OK", at(2026, 11, 3)))), scheme, cal, AS_OF, FY)
    assert (u.n, u.rejected_excluded) == (1, 1)
    counted = replace(scheme, rejected="as_resolved")
    u = score_unit(unit((rejected,)), counted, cal, AS_OF, FY)
    assert (u.n, u.step(2).correct) == (1, 1)
    # Rejected after as_of: still open then, and counted.
    assert score_unit(unit((rejected,)), scheme, cal, at(2026, 11, 2, 12), FY).n == 1


def test_checkpoint_met_on_the_day_reading(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    c = good(
        "DAY",
        at(2026, 12, 21, 9),
        acknowledged_at=at(2026, 12, 21, 11),
        first_progress_at=at(2026, 12, 22, 10),
        progress_at=(at(2026, 12, 22, 10), at(2027, 1, 14, 10)),
        resolved_at=at(2027, 1, 16, 10),
    )
    assert score_unit(unit((c,)), scheme, cal, AS_OF, FY).step(2).correct == 1
    on_the_day = replace(scheme, checkpoints=CheckpointSettings(met="on_the_day"))
    reasons = score_unit(unit((c,)), on_the_day, cal, AS_OF, FY).step(2).failures
    assert [r.due for r in reasons] == [date(2026, 12, 30), date(2027, 1, 15)]


def test_moments_after_as_of_have_not_happened(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    c = good("FUTURE", at(2026, 11, 2), acknowledged_at=at(2026, 11, 20))
    (reason,) = score_unit(unit((c,)), scheme, cal, at(2026, 11, 10), FY).step(1).failures
    assert reason.rule == ACK_MISSING


def test_evaluate_complaint_for_reports(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    v = evaluate_complaint(good("V", at(2026, 11, 2), result_text=False), scheme, cal, AS_OF)
    assert (v.counted, v.step1, v.step2, [r.rule for r in v.reasons]) == (True, True, False, [NO_RESULT_TEXT])
    with pytest.raises(ValueError):
        ComplaintEvaluator(scheme, cal, datetime(2027, 1, 1))


# --- streaming: one pass, bounded memory ---


class Watched(ComplaintFacts):
    """A ComplaintFacts that says when it is freed (tuples take no weak references)."""

    gone: Callable[[], None]

    def __del__(self) -> None:
        self.gone()


class OncePerIteration:
    """An iterable that counts its iterations, what it yielded, and the most yielded items alive at once."""

    def __init__(self, n: int, every: int) -> None:
        self.n, self.every, self.iterations, self.yielded = n, every, 0, 0
        self.alive = self.most_alive = 0

    def _gone(self) -> None:
        self.alive -= 1

    def __iter__(self) -> Iterator[ComplaintFacts]:
        self.iterations += 1
        start = at(2026, 10, 1, 8)
        for i in range(self.n):
            routed = start + timedelta(minutes=7 * i)  # 50,000 × 7 min ≈ 243 days
            c = good(f"G{i:05d}", routed.astimezone(UTC))
            if i % self.every == 0:
                c = c._replace(acknowledged_at=routed + timedelta(days=9))
            self.yielded += 1
            self.alive += 1
            self.most_alive = max(self.most_alive, self.alive)
            c = Watched._make(c)
            c.gone = self._gone
            yield c
            del c


def test_fifty_thousand_complaints_from_a_generator_in_one_pass(
    cal: WorkingCalendar, scheme: Kpi32Scheme
) -> None:
    source = OncePerIteration(50_000, every=100)
    u = score_unit(unit(source), scheme, cal, AS_OF, FY)
    assert (source.iterations, source.yielded) == (1, 50_000)
    assert source.most_alive <= 2  # no complaint is held after it was scored: memory stays bounded
    assert u.n == 50_000
    step1 = u.step(1)
    assert (step1.correct, step1.failing) == (49_500, 500)
    # Only the failing ones are explained: one reason each, small records naming the tracking code.
    assert len(step1.failures) == 500 == len({r.code for r in step1.failures})
    assert all(isinstance(r, scoring.Reason) for r in step1.failures)
    assert u.step(2).failures == () and u.step(2).correct == 50_000
    assert step1.percent == Decimal("99.00") and step1.points == 1


def test_failure_cap_keeps_counts_exact(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    u = score_unit(unit(OncePerIteration(2_000, every=10)), scheme, cal, AS_OF, FY, max_failures=5)
    step1 = u.step(1)
    assert (step1.failing, len(step1.failures), step1.rule_counts) == (200, 5, {ACK_LATE: 200})
    assert any("capped" in note for note in u.notes)


def test_score_units_in_order_each_from_its_own_facts(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    def units() -> Iterator[DistrictFacts]:
        yield DistrictFacts("1001", "พระนคร", (good("P", at(2026, 11, 2), district="1001"),))
        yield DistrictFacts(D, NAME, (good("T", at(2026, 11, 2), result_text=False),), on_time_reports())

    results = score_units(units(), scheme, cal, AS_OF, FY)
    assert [(u.district, u.n, u.step(2).correct) for u in results] == [("1001", 1, 1), (D, 1, 0)]
    assert results[0].step(3).deductions == Decimal("1.2")  # no monthly report at all: 12 × 0.1


# --- output ---


def _sample(cal: WorkingCalendar, scheme: Kpi32Scheme) -> list[scoring.UnitScore]:
    complaints = (
        good("BKK-1", at(2026, 12, 4), acknowledged_at=at(2026, 12, 11, 9)),
        good("BKK-2", at(2026, 12, 7), result_text=False),
        good("BKK-3", at(2026, 12, 8)),
    )
    facts = DistrictFacts(
        D,
        "บางกอกน้อย",
        complaints,
        submissions=on_time_reports(skip=(date(2027, 1, 1),)),
        audits=(AuditResult(D, date(2026, 12, 1), drawn=1, consistent=0),),
    )
    return [score_unit(facts, scheme, cal, AS_OF, FY)]


def test_json_has_the_stable_shape(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    doc = to_json(_sample(cal, scheme), FY, scheme, AS_OF)
    json.dumps(doc, ensure_ascii=False)  # serialisable as is
    assert (doc["fiscal_year"], doc["scheme"], doc["as_of"]) == (2570, "kpi32", "2027-10-31T12:00:00+07:00")
    (u,) = doc["units"]
    assert (u["district"], u["name_th"], u["n"]) == ("1033", "บางกอกน้อย", 3)
    first = {k: u["steps"][0][k] for k in ("step", "correct", "percent", "full", "points", "deductions")}
    assert first == {
        "step": 1,
        "correct": 2,
        "percent": 66.67,
        "full": 1.0,
        "points": 0.7018,
        "deductions": 0.0,
    }
    second = u["steps"][1]
    assert (second["correct"], second["points"], second["deductions"]) == (2, 1.3535, 0.05)
    third = u["steps"][2]
    assert (third["correct"], third["points"], third["deductions"]) == (11, 1.9, 0.1)
    assert u["total"] == 3.9553  # 2/3/0.95 + (2·2/3/0.95 − 0.05) + 1.9 = 3.95526…
    assert [r["rule"] for r in u["month_reasons"]] == ["audit_failed", "report_missing"]
    assert "failures" not in second
    with_failures = to_json(_sample(cal, scheme), FY, "kpi32", AS_OF, failures=True)
    assert [f["code"] for f in with_failures["units"][0]["steps"][1]["failures"]] == ["BKK-2"]


def test_table_aligns_thai_names(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    results = _sample(cal, scheme) + [score_unit(DistrictFacts("1001", "พระนคร", ()), scheme, cal, AS_OF, FY)]
    text = to_table(results, FY, scheme, AS_OF)
    lines = text.splitlines()
    assert "FY 2570" in lines[0]
    header, _, row1, row2 = lines[1:5]
    assert "บางกอกน้อย" in row1 and "พระนคร" in row2
    assert display_width("บางกอกน้อย") == 9  # the mark above ก takes no column
    assert display_width(header) == display_width(row1) == display_width(row2)
    assert row1.endswith("3.9553")


def test_csv_one_row_per_unit(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_sample(cal, scheme), FY, scheme, AS_OF))))
    assert len(rows) == 1
    r = rows[0]
    assert (r["district"], r["name_th"], r["n"], r["step1_percent"], r["total"]) == (
        "1033",
        "บางกอกน้อย",
        "3",
        "66.67",
        "3.9553",
    )


def test_explain_lists_every_point_lost(cal: WorkingCalendar, scheme: Kpi32Scheme) -> None:
    text = explain(_sample(cal, scheme), FY, scheme, AS_OF)
    assert "1033 บางกอกน้อย" in text
    assert "BKK-1: รับเรื่องช้า 2 วันทำการ" in text and "acknowledged 2 working days late" in text
    assert "BKK-2: " in text and "resolved without a result text" in text
    assert "BKK-3" not in text
    assert "2026-12: " in text and "audit of 2026-12: 0 of 1 drawn consistent" in text
    assert "2027-01: " in text and "monthly report for 2027-01 not submitted" in text
    step1_at, step2_at = text.index("step 1"), text.index("step 2")
    assert step1_at < text.index("BKK-1:") < step2_at < text.index("BKK-2:") < text.index("step 3")
    english = explain(_sample(cal, scheme), lang="en")
    assert "รับเรื่อง" not in english.split("\n", 2)[2]
