"""A fair KPI in the middle of the year (issue "What people hit on their first day", points 12 and 13).

12. Before the measured window closes, a step whose verdict could still become correct (its deadline is
    ahead, or the complaint is open with every checkpoint met so far) is pending: counted, explained, and
    left out of that step's N. The literal view ("if the year ended today") counts it as not correct; from
    the window's close on every verdict is final.
13. No monthly summary (step 3) is due for a month before the district started using the system.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from kpi.facts import ComplaintFacts, DistrictFacts, MonthlySubmission
from kpi.output import explain, to_csv, to_json, to_table
from kpi.schemes import load_kpi32
from kpi.scoring import (
    ACK_LATE,
    ACK_MISSING,
    ACK_PENDING,
    CHECKPOINT_MISSED,
    FIRST_PROGRESS_PENDING,
    NO_RESULT_TEXT,
    NOT_RESOLVED,
    UnitScore,
    only_pending,
    score_unit,
)
from models.working_days import WorkingCalendar
from tests.unit.test_kpi_scoring import BKK, FY, NAME, D, at, good, on_time_reports

MID_YEAR = at(2027, 3, 31, 18)  # Wed 31 Mar 2027, 18:00: the window (1 Oct 2026 – 30 Sep 2027) is open
WINDOW_CLOSE = datetime(2027, 9, 30, 23, 59, 59, 999999, tzinfo=BKK)
AFTER = at(2027, 10, 31, 12)
DECEMBER = date(2026, 12, 1)


CAL = WorkingCalendar(years=[2026, 2027])
SCHEME = load_kpi32()


FRESH = at(2027, 3, 31, 14)  # a few hours before MID_YEAR


def new(code: str = "NEW", routed: datetime = FRESH) -> ComplaintFacts:
    """Filed (by default a few hours before MID_YEAR): not acknowledged, nothing done yet."""
    return ComplaintFacts(code, D, routed)


def on_time(n: int = 3) -> list[ComplaintFacts]:
    return [good(f"G{i}", at(2026, 10, 5) + timedelta(days=21 * i)) for i in range(n)]


def district(complaints: list[ComplaintFacts], **kw: object) -> DistrictFacts:
    """December's monthly report missing: step 3 is 1.9 whatever happens to the complaints."""
    kw.setdefault("submissions", on_time_reports(skip=(DECEMBER,)))
    return DistrictFacts(D, NAME, tuple(complaints), **kw)  # type: ignore[arg-type]


def numbers(u: UnitScore) -> list[tuple[int, int, int, int, Decimal]]:
    return [(s.step, s.correct, s.of, s.pending, s.points) for s in u.steps]


# --- 12: pending before the window closes ---


def test_a_complaint_a_few_hours_old_keeps_the_score_and_is_shown_pending() -> None:
    facts = district([*on_time(), new()])
    before = score_unit(district(on_time()), SCHEME, CAL, MID_YEAR, FY)
    assert before.total == Decimal("4.9000")

    u = score_unit(facts, SCHEME, CAL, MID_YEAR, FY)
    assert (u.view, u.n, u.total) == ("pending", 4, Decimal("4.9000"))
    assert numbers(u)[:2] == [(1, 3, 3, 1, Decimal("1.0000")), (2, 3, 3, 1, Decimal("2.0000"))]
    assert u.failures == () and u.pending == 2
    (ack,) = u.step(1).pending_reasons
    assert (ack.code, ack.rule, ack.due) == ("NEW", ACK_PENDING, date(2027, 4, 1))
    (open_,) = u.step(2).pending_reasons
    assert (open_.code, open_.rule, open_.on) == ("NEW", NOT_RESOLVED, date(2027, 3, 31))
    assert u.step(1).rule_counts == {} and u.step(2).rule_counts == {}

    literal = score_unit(facts, SCHEME, CAL, MID_YEAR, FY, literal=True)
    assert (literal.view, literal.n) == ("literal", 4)
    assert numbers(literal)[:2] == [(1, 3, 4, 0, Decimal("0.7895")), (2, 3, 4, 0, Decimal("1.5789"))]
    assert literal.total_exact == Fraction(75, 95) * 3 + Fraction(19, 10)  # 4.2684…
    assert [(r.code, r.rule) for r in literal.failures] == [("NEW", ACK_PENDING), ("NEW", NOT_RESOLVED)]
    assert literal.pending == 0


def test_the_first_day_story_four_point_nine_is_not_one_point_nine() -> None:
    """The issue's district: its first complaint, a few hours old; December's report missing."""
    u = score_unit(district([new()]), SCHEME, CAL, MID_YEAR, FY)
    assert (u.total, u.step(1).of, u.step(1).pending) == (Decimal("4.9000"), 0, 1)
    assert u.notes == ()  # N is 1, not 0: no "N = 0" note; the steps' N is what is due so far
    assert score_unit(district([new()]), SCHEME, CAL, MID_YEAR, FY, literal=True).total == Decimal("1.9000")


def test_after_the_window_closes_the_same_complaint_fails() -> None:
    facts = district([*on_time(), new()])
    for as_of in (WINDOW_CLOSE, AFTER):
        final = score_unit(facts, SCHEME, CAL, as_of, FY)
        literal = score_unit(facts, SCHEME, CAL, as_of, FY, literal=True)
        assert final.view == literal.view == "final"
        assert numbers(final) == numbers(literal)
        assert final.pending == 0 and final.step(1).of == 4
        rules = [(r.code, r.step, r.rule) for r in final.failures]
        assert ("NEW", 1, ACK_MISSING) in rules and ("NEW", 2, NOT_RESOLVED) in rules
        assert ("NEW", 2, CHECKPOINT_MISSED) in rules  # 15 Apr onwards, with no update at all


def test_on_the_last_day_pending_until_the_window_closes_then_final() -> None:
    # Routed Thu 30 Sep 2027, the window's last day: its ack is due Fri 1 Oct, after the window.
    late_comer = new("LAST", at(2027, 9, 30, 10))
    facts = district([*on_time(), late_comer])
    noon = score_unit(facts, SCHEME, CAL, at(2027, 9, 30, 12), FY)
    assert (noon.view, noon.step(1).pending, noon.step(1).failing) == ("pending", 1, 0)
    closed = score_unit(facts, SCHEME, CAL, WINDOW_CLOSE, FY)
    assert (closed.view, closed.step(1).pending, closed.step(1).failing) == ("final", 0, 1)
    (reason,) = closed.step(1).failures  # final as the rule says: not done counts as not correct
    assert (reason.rule, reason.due) == (ACK_PENDING, date(2027, 10, 1))


def test_first_progress_not_yet_due_is_pending_but_not_after_a_late_ack() -> None:
    # Acknowledged on time Mon 29 Mar: first progress due Thu 1 Apr, not done yet at MID_YEAR.
    waiting = ComplaintFacts("FP", D, at(2027, 3, 29, 10), acknowledged_at=at(2027, 3, 29, 11))
    # Routed Fri 26 Mar, ack due Mon 29, acknowledged Tue 30: failed, whatever comes of the first report.
    late = ComplaintFacts("LATE", D, at(2027, 3, 26, 10), acknowledged_at=at(2027, 3, 30, 9))
    u = score_unit(district([waiting, late]), SCHEME, CAL, MID_YEAR, FY)
    step1 = u.step(1)
    assert (step1.correct, step1.of, step1.pending, step1.failing) == (0, 1, 1, 1)
    assert [(r.code, r.rule) for r in step1.pending_reasons] == [("FP", FIRST_PROGRESS_PENDING)]
    assert [(r.code, r.rule) for r in step1.failures] == [
        ("LATE", ACK_LATE),
        ("LATE", FIRST_PROGRESS_PENDING),
    ]
    assert step1.rule_counts == {ACK_LATE: 1, FIRST_PROGRESS_PENDING: 1}
    assert u.step(2).pending == 2  # both open, no checkpoint due yet


def test_open_with_every_checkpoint_met_is_pending_a_missed_one_or_no_result_text_fails() -> None:
    # Routed Mon 1 Mar: first progress due Thu 4 Mar; the 15th and the 30th came and were met.
    kept_up = good(
        "OPEN-OK",
        at(2027, 3, 1, 9),
        progress_at=(at(2027, 3, 1, 11), at(2027, 3, 10, 10), at(2027, 3, 20, 10)),
        first_progress_at=at(2027, 3, 1, 11),
        resolved_at=None,
        result_text=False,
    )
    behind = kept_up._replace(code="OPEN-MISSED", progress_at=(at(2027, 3, 1, 11), at(2027, 3, 10, 10)))
    no_text = good("NO-TEXT", at(2027, 3, 1, 9), result_text=False)
    u = score_unit(district([kept_up, behind, no_text]), SCHEME, CAL, MID_YEAR, FY)
    step2 = u.step(2)
    assert (step2.correct, step2.of, step2.pending, step2.failing) == (0, 2, 1, 2)
    assert [r.code for r in step2.pending_reasons] == ["OPEN-OK"]
    assert [(r.code, r.rule) for r in step2.failures] == [
        ("OPEN-MISSED", NOT_RESOLVED),
        ("OPEN-MISSED", CHECKPOINT_MISSED),
        ("NO-TEXT", NO_RESULT_TEXT),
    ]
    assert u.step(1).pending == 0  # all three acknowledged and reported in time


def test_only_not_yet_reasons_make_a_step_pending() -> None:
    from kpi.scoring import Reason

    assert only_pending([Reason("X", 1, ACK_PENDING)])
    assert only_pending([Reason("X", 2, NOT_RESOLVED)])
    assert not only_pending([Reason("X", 1, ACK_LATE), Reason("X", 1, FIRST_PROGRESS_PENDING)])
    assert not only_pending([Reason("X", 2, NOT_RESOLVED), Reason("X", 2, CHECKPOINT_MISSED)])


def test_the_cap_keeps_the_pending_counts_exact() -> None:
    fresh = [new(f"N{i}", at(2027, 3, 31, 9) + timedelta(minutes=i)) for i in range(5)]
    u = score_unit(district(fresh), SCHEME, CAL, MID_YEAR, FY, max_failures=2)
    assert (u.step(1).pending, len(u.step(1).pending_reasons)) == (5, 2)
    assert any("capped" in note for note in u.notes)
    assert score_unit(district(fresh), SCHEME, CAL, MID_YEAR, FY, max_failures=0).step(2).pending == 5


def test_both_views_explain_the_pending_complaint() -> None:
    facts = district([*on_time(), new()])
    default = explain([score_unit(facts, SCHEME, CAL, MID_YEAR, FY)], FY, SCHEME, MID_YEAR)
    head, body = default.split("\n", 1)
    assert "not in N until the window closes" in head
    assert "1 pending (not in N)" in body
    said = "      NEW: ยังไม่ได้ตอบรับเรื่อง (ครบกำหนด 1 เม.ย. 2570) / not acknowledged yet (due 2027-04-01)"
    assert body.index("pending (not yet due, could still become correct):") < body.index(said)
    assert "not resolved by 2027-03-31" in body

    literal = explain([score_unit(facts, SCHEME, CAL, MID_YEAR, FY, literal=True)], FY, SCHEME, MID_YEAR)
    assert "literal view: as if the window ended today" in literal.split("\n", 1)[0]
    assert "    NEW: " in literal and "not acknowledged yet (due 2027-04-01)" in literal
    assert "pending (not yet due" not in literal and "not resolved by 2027-03-31" in literal


def test_the_outputs_carry_the_pending_counts_and_the_view() -> None:
    results = [score_unit(district([*on_time(), new()]), SCHEME, CAL, MID_YEAR, FY)]
    doc = to_json(results, FY, SCHEME, MID_YEAR, failures=True)
    (unit,) = doc["units"]
    assert (unit["view"], unit["kpi_start_on"]) == ("pending", None)
    step1 = unit["steps"][0]
    assert (step1["correct"], step1["of"], step1["pending"], step1["failures"]) == (3, 3, 1, [])
    assert [r["rule"] for r in step1["pending_reasons"]] == [ACK_PENDING]
    (row,) = csv.DictReader(io.StringIO(to_csv(results, FY, SCHEME, MID_YEAR)))
    assert (row["step1_pending"], row["step2_pending"], row["view"], row["total"]) == (
        "1",
        "1",
        "pending",
        "4.9000",
    )
    table = to_table(results, FY, SCHEME, MID_YEAR).splitlines()
    assert "not in N until the window closes" in table[0]
    assert "s1 pend" in table[1] and "s2 pend" in table[1]


# --- 13: the start date of step 3 ---


@pytest.mark.parametrize(
    ("start", "due", "deduction"),
    [
        (None, 12, Decimal("1.2")),  # unset: every month of the window, as before
        (date(2026, 9, 1), 12, Decimal("1.2")),  # before the window
        (date(2027, 3, 15), 7, Decimal("0.7")),  # March (the month it falls in) to September
        (date(2027, 3, 1), 7, Decimal("0.7")),
        (date(2027, 2, 28), 8, Decimal("0.8")),
        (date(2027, 12, 1), 0, Decimal("0")),  # after the window: nothing due
    ],
)
def test_months_before_the_start_date_owe_no_monthly_report(
    start: date | None, due: int, deduction: Decimal
) -> None:
    facts = DistrictFacts(D, NAME, (), submissions=(), kpi_start_on=start)
    step3 = score_unit(facts, SCHEME, CAL, AFTER, FY).step(3)
    assert (step3.correct, step3.of, step3.deductions) == (0, due, deduction)
    assert step3.points == Decimal(2) - deduction


def test_a_late_report_after_the_start_date_still_costs() -> None:
    subs = (
        MonthlySubmission(D, date(2027, 3, 1), at(2027, 4, 12)),  # late
        *(s for s in on_time_reports() if s.month >= date(2027, 4, 1)),
    )
    facts = DistrictFacts(D, NAME, (), submissions=subs, kpi_start_on=date(2027, 3, 15))
    u = score_unit(facts, SCHEME, CAL, AFTER, FY)
    assert (u.step(3).correct, u.step(3).of, u.step(3).points) == (6, 7, Decimal("1.9000"))
    assert [(r.month, r.rule) for r in u.month_reasons] == [(date(2027, 3, 1), "report_late")]
    assert u.kpi_start_on == date(2027, 3, 15)
    text = explain([u], FY, SCHEME, AFTER)
    assert "no monthly report due before 2027-03 (start date 2027-03-15)" in text
    assert to_json([u], FY, SCHEME, AFTER)["units"][0]["kpi_start_on"] == "2027-03-15"
