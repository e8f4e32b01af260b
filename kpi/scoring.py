"""The KPI 3.2 score of one unit for one fiscal year (RULES.md §2, §3, §6): pure, streaming, explained.

`score_unit(facts, scheme, calendar, as_of, fiscal_year)` reads `facts.complaints` once, as an iterable
(a generator of a district's whole year is fine): it keeps counts, and a `Reason` only for what failed.
Deadlines are recomputed from `routed_at` / `acknowledged_at` with the working calendar; nothing the
database says about deadlines is trusted. Every lost point is explained: per complaint and step by
`Reason` (tracking code, step, rule key, Thai and English text), per month by `MonthReason`.

Arithmetic is exact (`Fraction`, settings as `Decimal`); only the outputs are rounded: percentages to
`points.percent_decimals` (2) and points to `points.points_decimals` (4), half-up. The total is the sum
of the exact step points, rounded once (not the sum of rounded step points).

Moments later than `as_of` are treated as not having happened yet, so facts read "now" can be scored
as of any earlier moment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kpi.facts import ComplaintFacts, DistrictFacts
from kpi.schemes import Kpi32Scheme, round_decimal
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import next_checkpoint
from scheduler.thai_dates import THAI_MONTHS_SHORT, thai_date

# --- rule keys (stable: tools may group by them) ---
ACK_LATE = "ack_late"
ACK_MISSING = "ack_missing"
ACK_PENDING = "ack_pending"
FIRST_PROGRESS_LATE = "first_progress_late"
FIRST_PROGRESS_MISSING = "first_progress_missing"
FIRST_PROGRESS_PENDING = "first_progress_pending"
NOT_RESOLVED = "not_resolved"
NO_RESULT_TEXT = "no_result_text"
CHECKPOINT_MISSED = "checkpoint_missed"
REPORT_LATE = "report_late"
REPORT_MISSING = "report_missing"
AUDIT_FAILED = "audit_failed"

ONE_DAY = timedelta(days=1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def thai_month(month: date) -> str:
    """`ต.ค. 2569` for October 2026."""
    return f"{THAI_MONTHS_SHORT[month.month - 1]} {month.year + 543}"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one complaint was not correct in one step. `code` is the complaint's tracking code."""

    code: str
    step: int
    rule: str
    due: date | None = None  # the deadline day, or the checkpoint day
    on: date | None = None  # when it was done (late), or the as-of day (not resolved)
    days: int | None = None  # working days late

    @property
    def text_en(self) -> str:
        r, due, on, days = self.rule, self.due, self.on, self.days
        if r == ACK_LATE:
            if days == 0:
                return f"acknowledged late, on a non-working day (due {due}, acknowledged {on})"
            return f"acknowledged {_plural(days or 0, 'working day')} late (due {due}, acknowledged {on})"
        if r == ACK_MISSING:
            return f"not acknowledged (due {due})"
        if r == ACK_PENDING:
            return f"not acknowledged yet (due {due})"
        if r == FIRST_PROGRESS_LATE:
            if days == 0:
                return f"first progress report late, on a non-working day (due {due}, reported {on})"
            late = _plural(days or 0, "working day")
            return f"first progress report {late} late (due {due}, reported {on})"
        if r == FIRST_PROGRESS_MISSING:
            return f"no first progress report (due {due})"
        if r == FIRST_PROGRESS_PENDING:
            return f"no first progress report yet (due {due})"
        if r == NOT_RESOLVED:
            return f"not resolved by {on}"
        if r == NO_RESULT_TEXT:
            return "resolved without a result text"
        if r == CHECKPOINT_MISSED:
            return f"checkpoint {due} missed"
        return r

    @property
    def text_th(self) -> str:
        r, days = self.rule, self.days
        due = thai_date(self.due) if self.due else ""
        on = thai_date(self.on) if self.on else ""
        if r == ACK_LATE:
            if days == 0:
                return f"รับเรื่องช้า ในวันที่ไม่ใช่วันทำการ (กำหนด {due} รับเรื่อง {on})"
            return f"รับเรื่องช้า {days} วันทำการ (กำหนด {due} รับเรื่อง {on})"
        if r == ACK_MISSING:
            return f"ไม่ได้ตอบรับเรื่อง (กำหนด {due})"
        if r == ACK_PENDING:
            return f"ยังไม่ได้ตอบรับเรื่อง (ครบกำหนด {due})"
        if r == FIRST_PROGRESS_LATE:
            if days == 0:
                return f"รายงานความก้าวหน้าครั้งที่ 1 ช้า ในวันที่ไม่ใช่วันทำการ (กำหนด {due} รายงาน {on})"
            return f"รายงานความก้าวหน้าครั้งที่ 1 ช้า {days} วันทำการ (กำหนด {due} รายงาน {on})"
        if r == FIRST_PROGRESS_MISSING:
            return f"ไม่ได้รายงานความก้าวหน้าครั้งที่ 1 (กำหนด {due})"
        if r == FIRST_PROGRESS_PENDING:
            return f"ยังไม่ได้รายงานความก้าวหน้าครั้งที่ 1 (ครบกำหนด {due})"
        if r == NOT_RESOLVED:
            return f"ยังดำเนินการไม่แล้วเสร็จ ณ {on}"
        if r == NO_RESULT_TEXT:
            return "ดำเนินการแล้วเสร็จโดยไม่ได้บันทึกผลการดำเนินการที่ตอบชี้แจงผู้ร้องได้"
        if r == CHECKPOINT_MISSED:
            return f"ไม่ได้รายงานความคืบหน้าตามกำหนดวันที่ {due}"
        return r

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "step": self.step,
            "rule": self.rule,
            "due": self.due.isoformat() if self.due else None,
            "on": self.on.isoformat() if self.on else None,
            "days": self.days,
            "text_th": self.text_th,
            "text_en": self.text_en,
        }


@dataclass(frozen=True)
class MonthReason:
    """A month that cost points: a late or missing monthly summary (step 3) or a failed audit (step 2)."""

    month: date  # the first day of the month concerned
    step: int
    rule: str
    deduction: Decimal
    due: date | None = None
    on: date | None = None  # submitted on (late)
    drawn: int | None = None
    consistent: int | None = None
    pass_percent: Decimal | None = None

    @property
    def percent(self) -> Decimal | None:
        if not self.drawn or self.consistent is None:
            return None
        return round_decimal(Fraction(self.consistent * 100, self.drawn), 2)

    @property
    def text_en(self) -> str:
        m = f"{self.month:%Y-%m}"
        if self.rule == REPORT_LATE:
            return f"monthly report for {m} submitted late ({self.on}, due {self.due}): -{self.deduction}"
        if self.rule == REPORT_MISSING:
            return f"monthly report for {m} not submitted (due {self.due}): -{self.deduction}"
        if self.rule == AUDIT_FAILED:
            return (
                f"audit of {m}: {self.consistent} of {self.drawn} drawn consistent "
                f"({self.percent} % < {self.pass_percent} %): -{self.deduction}"
            )
        return self.rule

    @property
    def text_th(self) -> str:
        m = thai_month(self.month)
        due = thai_date(self.due) if self.due else ""
        if self.rule == REPORT_LATE:
            on = thai_date(self.on) if self.on else ""
            return f"ส่งรายงานสรุปเรื่องร้องเรียนประจำเดือน {m} ล่าช้า (ส่ง {on} กำหนด {due}) หัก {self.deduction}"
        if self.rule == REPORT_MISSING:
            return f"ไม่ได้ส่งรายงานสรุปเรื่องร้องเรียนประจำเดือน {m} (กำหนด {due}) หัก {self.deduction}"
        if self.rule == AUDIT_FAILED:
            return (
                f"สุ่มตรวจเรื่องที่แล้วเสร็จเดือน {m}: สอดคล้อง {self.consistent} จาก {self.drawn} เรื่อง "
                f"(ร้อยละ {self.percent} ต่ำกว่า {self.pass_percent}) หัก {self.deduction}"
            )
        return self.rule

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": f"{self.month:%Y-%m}",
            "step": self.step,
            "rule": self.rule,
            "deduction": float(self.deduction),
            "due": self.due.isoformat() if self.due else None,
            "on": self.on.isoformat() if self.on else None,
            "drawn": self.drawn,
            "consistent": self.consistent,
            "text_th": self.text_th,
            "text_en": self.text_en,
        }


@dataclass(frozen=True)
class StepScore:
    step: int
    correct: int  # complaints correct (steps 1, 2) or months on time (step 3)
    of: int  # N (steps 1, 2) or the months whose report was due (step 3)
    percent: Decimal | None  # correct × 100 / of, rounded for display; None when of == 0
    full: Decimal
    base_points: Fraction  # by the 95 % rule (step 3: the full points), before deductions
    deductions: Decimal  # audit (step 2) or late reports (step 3), nominal (before the floor)
    points_exact: Fraction  # after deductions and the floor
    points: Decimal  # rounded for output
    failing: int = 0  # complaints (or months) not correct
    failures: tuple[Reason, ...] = ()  # kept explanations (all of them unless a cap was given)
    rule_counts: dict[str, int] = field(default_factory=dict)  # reasons per rule key, never capped

    @property
    def percent_exact(self) -> Fraction | None:
        return Fraction(self.correct * 100, self.of) if self.of else None


@dataclass(frozen=True)
class UnitScore:
    district: str
    name_th: str
    n: int
    steps: tuple[StepScore, ...]
    total_exact: Fraction
    total: Decimal
    maximum: Decimal
    window: tuple[date, date]
    month_reasons: tuple[MonthReason, ...] = ()
    notes: tuple[str, ...] = ()
    resolved_by_month: dict[date, int] = field(default_factory=dict)  # for the audit draw size
    other_district: int = 0  # complaints in the input held by another unit (not counted)
    rejected_excluded: int = 0

    def step(self, number: int) -> StepScore:
        return next(s for s in self.steps if s.step == number)

    @property
    def failures(self) -> tuple[Reason, ...]:
        return tuple(r for s in self.steps for r in s.failures)


@dataclass(frozen=True)
class ComplaintVerdict:
    """One complaint's verdict per step (None: not counted in N)."""

    code: str
    counted: bool
    step1: bool
    step2: bool
    reasons: tuple[Reason, ...]
    resolved_on: date | None = None


# --- the per-complaint evaluator, with the calendar work cached by date ---


class ComplaintEvaluator:
    """Verdicts on single complaints under one scheme, calendar and as-of moment.

    Calendar answers are cached per date, so a year of complaints costs a few dictionary look-ups each.
    """

    def __init__(self, scheme: Kpi32Scheme, calendar: WorkingCalendar, as_of: datetime) -> None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError(f"a timezone-aware as_of is required, got {as_of!r}")
        self.scheme = scheme
        self.cal = calendar
        # Moments are compared in UTC: the database returns UTC, and datetimes sharing a tzinfo compare
        # without asking the zone for offsets.
        self.as_of = as_of.astimezone(UTC)
        dl = scheme.deadlines
        self.zone = dl.zone
        self.eod_time = dl.end_of_day
        self._ack: dict[date, tuple[date, datetime]] = {}
        self._fp: dict[date, tuple[date, datetime]] = {}
        self._first_cp: dict[date, date] = {}
        self._next_cp: dict[date, date] = {}
        self._eod: dict[date, datetime] = {}
        self._late: dict[tuple[date, date], int] = {}
        self.as_of_date = as_of.astimezone(self.zone).date()
        # The last checkpoint day wholly past at as_of.
        self.closed_until = (
            self.as_of_date if as_of >= self.eod(self.as_of_date) else self.as_of_date - ONE_DAY
        )
        cp = scheme.checkpoints
        self.on_the_day = cp.met == "on_the_day"
        self.due_on_fp_day = cp.due_from == "on_first_progress_due"
        self.open_at_start = cp.open_at == "start_of_day"
        self.pending_ok = scheme.intake.not_yet_due == "correct"
        self.fp_from_ack_due = scheme.intake.first_progress_without_ack == "ack_due"
        self.rejected_as_resolved = scheme.rejected == "as_resolved"
        self.resolution_is_progress = scheme.intake.resolution_counts_as_first_progress

    # cached calendar answers
    def eod(self, d: date) -> datetime:
        """The end of Bangkok day `d` (the deadline moment), in UTC."""
        v = self._eod.get(d)
        if v is None:
            v = self._eod[d] = datetime.combine(d, self.eod_time, tzinfo=self.zone).astimezone(UTC)
        return v

    def local(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def ack_due(self, routed_day: date) -> tuple[date, datetime]:
        v = self._ack.get(routed_day)
        if v is None:
            d = self.cal.add_working_days(routed_day, self.scheme.deadlines.ack_working_days)
            v = self._ack[routed_day] = (d, self.eod(d))
        return v

    def first_progress_due(self, ack_day: date) -> tuple[date, datetime]:
        v = self._fp.get(ack_day)
        if v is None:
            d = self.cal.add_working_days(ack_day, self.scheme.deadlines.first_progress_working_days)
            v = self._fp[ack_day] = (d, self.eod(d))
        return v

    def next_cp(self, d: date) -> date:
        """The checkpoint an update on day `d` serves: the first 15th/30th on or after `d`."""
        v = self._next_cp.get(d)
        if v is None:
            v = self._next_cp[d] = next_checkpoint(d)
        return v

    def first_due_checkpoint(self, fp_due_day: date) -> date:
        v = self._first_cp.get(fp_due_day)
        if v is None:
            start = fp_due_day if self.due_on_fp_day else fp_due_day + ONE_DAY
            v = self._first_cp[fp_due_day] = next_checkpoint(start)
        return v

    def late_days(self, due: date, done: date) -> int:
        """Working days from the deadline day to the day it was done (RULES §1 calendar)."""
        key = (due, done)
        v = self._late.get(key)
        if v is None:
            v = self._late[key] = self.cal.working_days_between(due, done)
        return v

    def counted(self, c: ComplaintFacts) -> bool:
        """Whether a complaint (already in the window) counts in N: "exclude" drops rejected ones."""
        return self.rejected_as_resolved or c.rejected_at is None or c.rejected_at > self.as_of

    def evaluate(self, c: ComplaintFacts) -> tuple[list[Reason] | None, list[Reason] | None, date | None]:
        """(step-1 reasons or None when correct, step-2 reasons or None, the resolution day or None)."""
        as_of = self.as_of
        zone = self.zone
        code = c.code
        routed_day = c.routed_at.astimezone(zone).date()
        ack_due_day, ack_due_at = self._ack.get(routed_day) or self.ack_due(routed_day)
        r1: list[Reason] | None = None

        # Step 1: acknowledged by its deadline AND first progress by its deadline.
        ack = c.acknowledged_at
        if ack is not None and ack > as_of:
            ack = None
        fp_due_day: date | None
        if ack is None:
            if ack_due_at <= as_of:
                r1 = [Reason(code, 1, ACK_MISSING, due=ack_due_day)]
            elif not self.pending_ok:
                r1 = [Reason(code, 1, ACK_PENDING, due=ack_due_day)]
            fp_due_day = self.first_progress_due(ack_due_day)[0] if self.fp_from_ack_due else None
        else:
            ack_day = ack.astimezone(zone).date()
            if ack > ack_due_at:
                late = self.late_days(ack_due_day, ack_day)
                r1 = [Reason(code, 1, ACK_LATE, due=ack_due_day, on=ack_day, days=late)]
            fp_due_day, fp_due_at = self._fp.get(ack_day) or self.first_progress_due(ack_day)
            fp = c.first_progress_at
            if fp is not None and fp > as_of:
                fp = None
            if self.resolution_is_progress:
                closed = c.resolved_at
                if closed is None and self.rejected_as_resolved:
                    closed = c.rejected_at
                if closed is not None and closed <= as_of and (fp is None or closed < fp):
                    fp = closed
            reason = None
            if fp is None:
                if fp_due_at <= as_of:
                    reason = Reason(code, 1, FIRST_PROGRESS_MISSING, due=fp_due_day)
                elif not self.pending_ok:
                    reason = Reason(code, 1, FIRST_PROGRESS_PENDING, due=fp_due_day)
            elif fp > fp_due_at:
                fp_day = fp.astimezone(zone).date()
                late = self.late_days(fp_due_day, fp_day)
                reason = Reason(code, 1, FIRST_PROGRESS_LATE, due=fp_due_day, on=fp_day, days=late)
            if reason is not None:
                if r1 is None:
                    r1 = [reason]
                else:
                    r1.append(reason)

        # Step 2: resolved with a result text AND every due checkpoint met.
        r2: list[Reason] | None = None
        resolved = c.resolved_at
        has_text = c.result_text
        if resolved is not None and resolved > as_of:
            resolved = None
        rejected = c.rejected_at
        if resolved is None and self.rejected_as_resolved and rejected is not None and rejected <= as_of:
            resolved, has_text = rejected, True
        limit = self.closed_until
        resolved_day = None
        if resolved is None:
            r2 = [Reason(code, 2, NOT_RESOLVED, on=self.as_of_date)]
        else:
            resolved_day = resolved.astimezone(zone).date()
            if not has_text:
                r2 = [Reason(code, 2, NO_RESULT_TEXT, on=resolved_day)]
            open_until = resolved_day if self.open_at_start else resolved_day - ONE_DAY
            limit = min(limit, open_until)
        if fp_due_day is not None:
            checkpoint = self._first_cp.get(fp_due_day) or self.first_due_checkpoint(fp_due_day)
            if checkpoint <= limit:
                missed = self._missed(c, checkpoint, limit)
                if missed:
                    reasons = [Reason(code, 2, CHECKPOINT_MISSED, due=d) for d in missed]
                    if r2 is None:
                        r2 = reasons
                    else:
                        r2.extend(reasons)
        return r1, r2, resolved_day

    def _missed(self, c: ComplaintFacts, first: date, last: date) -> list[date]:
        as_of = self.as_of
        served: set[date] = set()
        updates = c.progress_at
        if c.first_progress_at is not None and c.first_progress_at not in updates:
            updates = (*updates, c.first_progress_at)
        for u in updates:
            if u <= as_of:
                day = self.local(u)
                served.add(day if self.on_the_day else self.next_cp(day))
        missed = []
        d = first
        while d <= last:
            if d not in served:
                missed.append(d)
            d = self.next_cp(d + ONE_DAY)
        return missed

    def verdict(self, c: ComplaintFacts) -> ComplaintVerdict:
        counted = self.counted(c)
        r1, r2, resolved_day = self.evaluate(c)
        return ComplaintVerdict(
            code=c.code,
            counted=counted,
            step1=r1 is None,
            step2=r2 is None,
            reasons=tuple((r1 or []) + (r2 or [])),
            resolved_on=resolved_day,
        )


def evaluate_complaint(
    complaint: ComplaintFacts, scheme: Kpi32Scheme, calendar: WorkingCalendar, as_of: datetime
) -> ComplaintVerdict:
    """One complaint's verdict and reasons (for reports such as CPL_R001); window membership not checked."""
    return ComplaintEvaluator(scheme, calendar, as_of).verdict(complaint)


# --- step points ---


def step_points(correct: int, n: int, full: Fraction, threshold: Fraction, empty: str) -> Fraction:
    """p = correct × 100 / n; p ≥ threshold → full; else p × full / threshold. n = 0 → by `empty`."""
    if n == 0:
        return full if empty == "full" else Fraction(0)
    percent = Fraction(correct * 100, n)
    if percent >= threshold:
        return full
    return percent * full / threshold


def month_starts(first: date, last: date) -> Iterator[date]:
    """The first day of every month that overlaps [first, last]."""
    m = first.replace(day=1)
    while m <= last:
        yield m
        m = date(m.year + 1, 1, 1) if m.month == 12 else date(m.year, m.month + 1, 1)


def report_due_day(month: date, due_day: int) -> date:
    """The day the summary of `month` is due: `due_day` of the following month."""
    if month.month == 12:
        return date(month.year + 1, 1, due_day)
    return date(month.year, month.month + 1, due_day)


# --- scoring a unit ---


def _reasons_of_months(
    facts: DistrictFacts,
    scheme: Kpi32Scheme,
    ev: ComplaintEvaluator,
    months: list[date],
) -> tuple[list[MonthReason], int, list[MonthReason], int]:
    """(step-3 reasons, months due, audit reasons, audits counted)."""
    rep = scheme.reporting
    as_of = ev.as_of
    submitted: dict[date, datetime] = {}
    for s in facts.submissions:
        if s.district != facts.district or s.submitted_at is None or s.submitted_at > as_of:
            continue
        month = s.month.replace(day=1)
        if month not in submitted or s.submitted_at < submitted[month]:
            submitted[month] = s.submitted_at
    report_reasons: list[MonthReason] = []
    due_months = 0
    for month in months:
        due = report_due_day(month, rep.due_day)
        if ev.eod(due) > as_of:
            continue  # not due yet
        due_months += 1
        at = submitted.get(month)
        if at is None:
            report_reasons.append(MonthReason(month, rep.step, REPORT_MISSING, rep.deduction, due=due))
        elif at > ev.eod(due):
            report_reasons.append(
                MonthReason(month, rep.step, REPORT_LATE, rep.deduction, due=due, on=ev.local(at))
            )

    audit = scheme.audit
    merged: dict[date, list[int]] = {}
    month_set = set(months)
    for a in facts.audits:
        month = a.month.replace(day=1)
        if a.district != facts.district or month not in month_set or month > ev.as_of_date:
            continue
        counts = merged.setdefault(month, [0, 0])
        counts[0] += a.drawn
        counts[1] += a.consistent
    audit_reasons = []
    for month in sorted(merged):
        drawn, consistent = merged[month]
        if not audit.passed(drawn, consistent):
            audit_reasons.append(
                MonthReason(
                    month,
                    audit.step,
                    AUDIT_FAILED,
                    audit.deduction,
                    drawn=drawn,
                    consistent=consistent,
                    pass_percent=audit.pass_percent,
                )
            )
    return report_reasons, due_months, audit_reasons, len(merged)


def score_unit(
    facts: DistrictFacts,
    scheme: Kpi32Scheme,
    calendar: WorkingCalendar,
    as_of: datetime,
    fiscal_year: int,
    *,
    max_failures: int | None = None,
    evaluator: ComplaintEvaluator | None = None,
) -> UnitScore:
    """Score one unit. `facts.complaints` is iterated exactly once; only failing explanations are kept.

    `max_failures` caps the explanations kept per step (the counts stay exact); None keeps them all.
    """
    ev = evaluator or ComplaintEvaluator(scheme, calendar, as_of)
    pts = scheme.points
    first_day, last_day = scheme.window_bounds(fiscal_year)
    window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=ev.zone).astimezone(UTC)
    window_end = min(ev.eod(last_day), ev.as_of)

    district = facts.district
    n = other = rejected = 0
    failing = [0, 0]
    kept: list[list[Reason]] = [[], []]
    counts: list[Counter[str]] = [Counter(), Counter()]
    resolved_by_day: Counter[date] = Counter()
    cap = max_failures
    evaluate = ev.evaluate
    as_resolved = ev.rejected_as_resolved
    box1, box2 = kept
    counts1, counts2 = counts

    for c in facts.complaints:
        if c.district != district:
            other += 1
            continue
        routed = c.routed_at
        if routed < window_start or routed > window_end:
            continue
        if not as_resolved and c.rejected_at is not None and c.rejected_at <= ev.as_of:
            rejected += 1
            continue
        n += 1
        r1, r2, resolved_day = evaluate(c)
        if resolved_day is not None:
            resolved_by_day[resolved_day] += 1
        if r1 is not None:
            failing[0] += 1
            for r in r1:
                counts1[r.rule] += 1
            if cap is None:
                box1.extend(r1)
            elif len(box1) < cap:
                box1.extend(r1[: cap - len(box1)])
        if r2 is not None:
            failing[1] += 1
            for r in r2:
                counts2[r.rule] += 1
            if cap is None:
                box2.extend(r2)
            elif len(box2) < cap:
                box2.extend(r2[: cap - len(box2)])

    months = [m for m in month_starts(first_day, last_day) if m <= ev.as_of_date]
    report_reasons, due_months, audit_reasons, _ = _reasons_of_months(facts, scheme, ev, months)

    threshold = Fraction(pts.full_points_at_percent)
    notes: list[str] = []
    deductions: dict[int, Decimal] = {1: Decimal(0), 2: Decimal(0), 3: Decimal(0)}
    for r in audit_reasons:
        deductions[r.step] = deductions.get(r.step, Decimal(0)) + r.deduction
    for r in report_reasons:
        deductions[r.step] = deductions.get(r.step, Decimal(0)) + r.deduction
    if n == 0:
        notes.append(
            "N = 0: no complaint was routed to the unit in the window; steps 1-2 get "
            + ("full points" if pts.empty == "full" else "0 points")
            + " (setting points.empty)"
        )

    steps = []
    for number in (1, 2, 3):
        full = pts.full[number - 1]
        if number < 3:
            correct, of = n - failing[number - 1], n
            base = step_points(correct, of, Fraction(full), threshold, pts.empty)
            failures = tuple(kept[number - 1])
            rule_counts = dict(counts[number - 1])
            fail_count = failing[number - 1]
        else:
            correct, of = due_months - len(report_reasons), due_months
            base = Fraction(full)
            failures = ()
            rule_counts = dict(Counter(r.rule for r in report_reasons))
            fail_count = len(report_reasons)
        ded = deductions.get(number, Decimal(0))
        floor = Fraction(scheme.reporting.floor) if number == scheme.reporting.step else Fraction(0)
        exact = max(floor, base - Fraction(ded)) if ded else base
        if number != 3:
            rule_counts.update(Counter(r.rule for r in audit_reasons if r.step == number))
        steps.append(
            StepScore(
                step=number,
                correct=correct,
                of=of,
                percent=round_decimal(Fraction(correct * 100, of), pts.percent_decimals, pts.rounding)
                if of
                else None,
                full=full,
                base_points=base,
                deductions=ded,
                points_exact=exact,
                points=round_decimal(exact, pts.points_decimals, pts.rounding),
                failing=fail_count,
                failures=failures,
                rule_counts=rule_counts,
            )
        )
    if cap is not None and any(len(kept[i]) < sum(counts[i].values()) for i in (0, 1)):
        notes.append(f"explanations capped at {cap} per step; the counts are complete")
    total = sum((s.points_exact for s in steps), Fraction(0))
    resolved_by_month: dict[date, int] = {}
    for day, count in sorted(resolved_by_day.items()):
        month = day.replace(day=1)
        resolved_by_month[month] = resolved_by_month.get(month, 0) + count
    month_reasons = sorted(report_reasons + audit_reasons, key=lambda r: (r.month, r.step, r.rule))
    return UnitScore(
        district=district,
        name_th=facts.name_th,
        n=n,
        steps=tuple(steps),
        total_exact=total,
        total=round_decimal(total, pts.points_decimals, pts.rounding),
        maximum=pts.maximum,
        window=(first_day, last_day),
        month_reasons=tuple(month_reasons),
        notes=tuple(notes),
        resolved_by_month=resolved_by_month,
        other_district=other,
        rejected_excluded=rejected,
    )


def score_units(
    units: Iterable[DistrictFacts],
    scheme: Kpi32Scheme,
    calendar: WorkingCalendar,
    as_of: datetime,
    fiscal_year: int,
    *,
    max_failures: int | None = None,
) -> list[UnitScore]:
    """Score every unit (in the order given); the calendar caches are shared between units."""
    ev = ComplaintEvaluator(scheme, calendar, as_of)
    return [
        score_unit(u, scheme, calendar, as_of, fiscal_year, max_failures=max_failures, evaluator=ev)
        for u in units
    ]
