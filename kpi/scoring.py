"""The KPI 3.2 score of one unit for one fiscal year (RULES.md §2, §3, §6): pure, streaming, explained.

`score_unit(facts, scheme, calendar, as_of, fiscal_year)` reads `facts.complaints` once, as an iterable
(a generator of a district's whole year is fine): it keeps counts, and a `Reason` only for what failed.
Deadlines are recomputed from `routed_at` / `acknowledged_at` with the working calendar; nothing the
database says about deadlines is trusted. Every lost point is explained: per complaint and step by
`Reason` (tracking code, step, rule key, Thai and English text), per month by `MonthReason`; the texts
are templates of the `KPI` catalogues (`texts`), one per reason kind (`REASON_TEMPLATES`).

Arithmetic is exact (`Fraction`, settings as `Decimal`); only the outputs are rounded: percentages to
`points.percent_decimals` (2) and points to `points.points_decimals` (4), half-up. The total is the sum
of the exact step points, rounded once (not the sum of rounded step points).

Moments later than `as_of` are treated as not having happened yet, so facts read "now" can be scored
as of any earlier moment.

Pending (RULES §6, reading): scored as of a moment before the measured window closes (the end of its last
day), a step whose verdict could still become correct is *pending*: every reason it is not correct is a
"not yet" one (`PENDING_RULES`: acknowledgement or first report not done, its deadline still ahead; or
open, with every checkpoint due so far met). A pending step is counted (`StepScore.pending`, explained
by `pending_reasons`) and left out of that step's N. From the window's close on every verdict is final,
and the literal view (`literal=True`, "if the window ended today") counts pending as not correct.

Start date (RULES §6, reading): `DistrictFacts.kpi_start_on` is the day the unit started using the
system; no monthly summary (step 3) is due for a month before the one that day falls in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from kpi.facts import EPOCH, MICROSECOND, ComplaintFacts, DistrictFacts, Moments, from_micros, to_micros
from kpi.schemes import Kpi32Scheme, round_decimal
from kpi.wording import OPERATOR, day_text, kpi_text, month_text, said_in
from models.deadlines import checkpoint_day, checkpoint_index, next_checkpoint
from models.working_days import WorkingCalendar

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
# The reasons a step could still become correct (its deadline is ahead, or it is open): a step with no
# other reason is pending before the window closes.
PENDING_RULES = frozenset({ACK_PENDING, FIRST_PROGRESS_PENDING, NOT_RESOLVED})
# A late step done on a day that is not a working day (0 working days late) is said apart.
LATE_RULES = (ACK_LATE, FIRST_PROGRESS_LATE)
ON_NON_WORKING_DAY = "_on_non_working_day"

# Reason kind (a rule key, or a late rule's kind on a non-working day) -> its template, "kpi.<key>" in the
# `KPI` catalogues of texts/th.py and texts/en.py. The values a template may use: per complaint `due`,
# `on` (days) and `late` (working days); per month `month`, `due`, `on`, `deduction`, `drawn`,
# `consistent`, `percent` and `pass_percent`.
REASON_TEMPLATES: dict[str, str] = {
    ACK_LATE: "reason_ack_late",
    ACK_LATE + ON_NON_WORKING_DAY: "reason_ack_late_on_non_working_day",
    ACK_MISSING: "reason_ack_missing",
    ACK_PENDING: "reason_ack_pending",
    FIRST_PROGRESS_LATE: "reason_first_progress_late",
    FIRST_PROGRESS_LATE + ON_NON_WORKING_DAY: "reason_first_progress_late_on_non_working_day",
    FIRST_PROGRESS_MISSING: "reason_first_progress_missing",
    FIRST_PROGRESS_PENDING: "reason_first_progress_pending",
    NOT_RESOLVED: "reason_not_resolved",
    NO_RESULT_TEXT: "reason_no_result_text",
    CHECKPOINT_MISSED: "reason_checkpoint_missed",
    REPORT_LATE: "reason_report_late",
    REPORT_MISSING: "reason_report_missing",
    AUDIT_FAILED: "reason_audit_failed",
}

ONE_DAY = timedelta(days=1)


def only_pending(reasons: Iterable[Reason]) -> bool:
    """Whether a step not correct for these reasons could still become correct: each is a "not yet" one."""
    return all(r.rule in PENDING_RULES for r in reasons)


def reason_text(kind: str, lang: str, **values: object) -> str:
    """A reason of `kind` in `lang` (th, en; Thai for any other), its template filled with `values`;
    a kind without a template is said as itself."""
    key = REASON_TEMPLATES.get(kind)
    return kind if key is None else kpi_text(key, lang, **values)


class Reason(NamedTuple):
    """Why one complaint was not correct in one step. `code` is the complaint's tracking code.

    A tuple: a year's scoring may make hundreds of thousands of them.
    """

    code: str
    step: int
    rule: str
    due: date | None = None  # the deadline day, or the checkpoint day
    on: date | None = None  # when it was done (late), or the as-of day (not resolved)
    days: int | None = None  # working days late

    @property
    def kind(self) -> str:
        """The key of its text in `REASON_TEMPLATES`."""
        return self.rule + ON_NON_WORKING_DAY if self.rule in LATE_RULES and self.days == 0 else self.rule

    def text(self, lang: str) -> str:
        days = self.days or 0
        late = kpi_text("working_day" if days == 1 else "working_days", lang, days=days)
        return reason_text(
            self.kind, lang, due=day_text(self.due, lang), on=day_text(self.on, lang), late=late
        )

    text_en = said_in("en")
    text_th = said_in("th")

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

    def text(self, lang: str) -> str:
        return reason_text(
            self.rule,
            lang,
            month=month_text(self.month, lang),
            due=day_text(self.due, lang),
            on=day_text(self.on, lang),
            deduction=self.deduction,
            drawn=self.drawn,
            consistent=self.consistent,
            percent=self.percent,
            pass_percent=self.pass_percent,
        )

    text_en = said_in("en")
    text_th = said_in("th")

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
    of: int  # N less the pending (steps 1, 2) or the months whose report was due (step 3)
    percent: Decimal | None  # correct × 100 / of, rounded for display; None when of == 0
    full: Decimal
    base_points: Fraction  # by the 95 % rule (step 3: the full points), before deductions
    deductions: Decimal  # audit (step 2) or late reports (step 3), nominal (before the floor)
    points_exact: Fraction  # after deductions and the floor
    points: Decimal  # rounded for output
    failing: int = 0  # complaints (or months) not correct
    failures: tuple[Reason, ...] = ()  # kept explanations (all of them unless a cap was given)
    rule_counts: dict[str, int] = field(default_factory=dict)  # reasons per rule key, never capped
    pending: int = 0  # complaints whose verdict could still become correct: counted, not in `of`
    pending_reasons: tuple[Reason, ...] = ()  # why each is not correct yet (capped as `failures`)

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
    literal: bool = False  # the literal view: "if the window ended today", pending counts as not correct
    window_closed: bool = False  # scored as of the window's close or later: every verdict is final
    kpi_start_on: date | None = None  # the start date step 3 was scored with (no summary due before it)

    def step(self, number: int) -> StepScore:
        return next(s for s in self.steps if s.step == number)

    @property
    def view(self) -> str:
        """How it was scored: "pending" (before the window closes: pending left out of N), "literal" or
        "final" (at or after the window's close)."""
        if self.window_closed:
            return "final"
        return "literal" if self.literal else "pending"

    @property
    def pending(self) -> int:
        """Pending steps over all steps (a complaint pending in steps 1 and 2 counts twice)."""
        return sum(s.pending for s in self.steps)

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

    Built for a year of a million complaints: it works on `Moments` (integers, microseconds since
    2000 UTC), days as ordinals, 15th/30th checkpoints as consecutive integers (`checkpoint_index`),
    and caches every calendar answer, so a complaint costs some arithmetic and a few look-ups. In a
    zone without daylight saving (Bangkok) the local day of a moment is its offset added and a
    division; any other zone is converted moment by moment, with the same answers.
    """

    def __init__(self, scheme: Kpi32Scheme, calendar: WorkingCalendar, as_of: datetime) -> None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError(f"a timezone-aware as_of is required, got {as_of!r}")
        self.scheme = scheme
        self.cal = calendar
        self.as_of = as_of.astimezone(UTC)
        self.as_of_micros = to_micros(as_of)
        dl = scheme.deadlines
        self.zone = dl.zone
        self.eod_time = dl.end_of_day
        offset = fixed_offset(self.zone, until=self.as_of + timedelta(days=366))
        self.offset = None if offset is None else offset // MICROSECOND
        self._eod: dict[date, datetime] = {}
        # routed day (ordinal) -> (ack due day, its deadline in micros, its ordinal)
        self._ack = _Memo(self._ack_due)
        # acknowledgement day (ordinal) -> (first-progress due day, its deadline, first checkpoint due)
        self._fp = _Memo(self._first_progress_due)
        # day ordinal -> the checkpoint an update that day serves (index)
        self._next = _Memo(lambda day: checkpoint_index(next_checkpoint(date.fromordinal(day))))
        self._late: dict[tuple[date, date], int] = {}
        self.as_of_date = as_of.astimezone(self.zone).date()
        # The last checkpoint day wholly past at as_of.
        self.closed_until = (
            self.as_of_date if as_of >= self.eod(self.as_of_date) else self.as_of_date - ONE_DAY
        )
        self.closed_until_ordinal = self.closed_until.toordinal()
        cp = scheme.checkpoints
        self.on_the_day = cp.met == "on_the_day"
        self.due_on_fp_day = cp.due_from == "on_first_progress_due"
        self.open_at_start = cp.open_at == "start_of_day"
        self.pending_ok = scheme.intake.not_yet_due == "correct"
        self.fp_from_ack_due = scheme.intake.first_progress_without_ack == "ack_due"
        self.rejected_as_resolved = scheme.rejected == "as_resolved"
        self.resolution_is_progress = scheme.intake.resolution_counts_as_first_progress
        # The same, as one tuple `evaluate` unpacks into locals (a million calls a year).
        self._settings = (
            self.as_of_micros,
            self.offset,
            self.pending_ok,
            self.fp_from_ack_due,
            self.resolution_is_progress,
            self.rejected_as_resolved,
            self.open_at_start,
        )

    # --- days and cached calendar answers ---

    def eod(self, d: date) -> datetime:
        """The end of Bangkok day `d` (the deadline moment), in UTC."""
        v = self._eod.get(d)
        if v is None:
            v = self._eod[d] = datetime.combine(d, self.eod_time, tzinfo=self.zone).astimezone(UTC)
        return v

    def local(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def local_ordinal(self, micros: int) -> int:
        """The ordinal of the local (Bangkok) day of a moment in micros (inlined in `evaluate`)."""
        if self.offset is not None:
            return (micros + self.offset) // DAY_MICROS + EPOCH_ORDINAL
        return from_micros(micros).astimezone(self.zone).toordinal()

    def _ack_due(self, routed: int) -> tuple[date, int, int]:
        d = self.cal.add_working_days(date.fromordinal(routed), self.scheme.deadlines.ack_working_days)
        return d, to_micros(self.eod(d)), d.toordinal()

    def _first_progress_due(self, acknowledged: int) -> tuple[date, int, int]:
        start = date.fromordinal(acknowledged)
        d = self.cal.add_working_days(start, self.scheme.deadlines.first_progress_working_days)
        first_checkpoint = self._next[(d if self.due_on_fp_day else d + ONE_DAY).toordinal()]
        return d, to_micros(self.eod(d)), first_checkpoint

    def _serves(self, micros: int) -> int | None:
        """The checkpoint an update at `micros` meets (None: none, under "on_the_day")."""
        day = self.local_ordinal(micros)
        k: int = self._next[day]
        if self.on_the_day and checkpoint_day(k).toordinal() != day:
            return None
        return k

    def late_days(self, due: date, done: date) -> int:
        """Working days from the deadline day to the day it was done (RULES §1 calendar)."""
        key = (due, done)
        v = self._late.get(key)
        if v is None:
            v = self._late[key] = self.cal.working_days_between(due, done)
        return v

    # --- verdicts ---

    def counted(self, c: ComplaintFacts | Moments) -> bool:
        """Whether a complaint (already in the window) counts in N: "exclude" drops rejected ones."""
        m = c.moments() if isinstance(c, ComplaintFacts) else c
        return self.rejected_as_resolved or m.rejected is None or m.rejected > self.as_of_micros

    def evaluate(self, m: Moments) -> Evaluation:
        """(step-1 reasons or None when correct, step-2 reasons or None, missed checkpoints, resolution day).

        The missed checkpoints (step 2) come as indices, to be counted; `checkpoint_reasons` turns
        them into reasons for the ones kept. The resolution day is an ordinal, or None. This runs a
        million times for a year of a large city: settings are read once into locals, and the local
        day of a moment is computed inline (`local_ordinal`) where the zone has a fixed offset.
        """
        code, _, routed, ack, first_progress, resolved, has_text, rejected, progress, _ = m
        as_of, offset, pending_ok, fp_from_ack_due, resolution_is_progress, as_resolved, open_at_start = (
            self._settings
        )
        local = self.local_ordinal
        day = (routed + offset) // DAY_MICROS + EPOCH_ORDINAL if offset is not None else local(routed)
        ack_due_day, ack_due_at, ack_due = self._ack[day]
        r1: list[Reason] | None = None

        # Step 1: acknowledged by its deadline AND first progress by its deadline.
        if ack is not None and ack > as_of:
            ack = None
        first_checkpoint: int | None = None
        if ack is None:
            if ack_due_at <= as_of:
                r1 = [Reason(code, 1, ACK_MISSING, ack_due_day)]
            elif not pending_ok:
                r1 = [Reason(code, 1, ACK_PENDING, ack_due_day)]
            if fp_from_ack_due:
                first_checkpoint = self._fp[ack_due][2]
        else:
            day = (ack + offset) // DAY_MICROS + EPOCH_ORDINAL if offset is not None else local(ack)
            if ack > ack_due_at:
                on = date.fromordinal(day)
                r1 = [Reason(code, 1, ACK_LATE, ack_due_day, on, self.late_days(ack_due_day, on))]
            fp_due_day, fp_due_at, first_checkpoint = self._fp[day]
            fp = first_progress
            if fp is not None and fp > as_of:
                fp = None
            if resolution_is_progress:
                closed = resolved
                if closed is None and as_resolved:
                    closed = rejected
                if closed is not None and closed <= as_of and (fp is None or closed < fp):
                    fp = closed
            if fp is None:
                if fp_due_at <= as_of:
                    reason = Reason(code, 1, FIRST_PROGRESS_MISSING, fp_due_day)
                    r1 = [reason] if r1 is None else [*r1, reason]
                elif not pending_ok:
                    reason = Reason(code, 1, FIRST_PROGRESS_PENDING, fp_due_day)
                    r1 = [reason] if r1 is None else [*r1, reason]
            elif fp > fp_due_at:
                on = date.fromordinal(local(fp))
                late = self.late_days(fp_due_day, on)
                reason = Reason(code, 1, FIRST_PROGRESS_LATE, fp_due_day, on, late)
                r1 = [reason] if r1 is None else [*r1, reason]

        # Step 2: resolved with a result text AND every due checkpoint met.
        r2: list[Reason] | None = None
        if resolved is not None and resolved > as_of:
            resolved = None
        if resolved is None and as_resolved and rejected is not None and rejected <= as_of:
            resolved, has_text = rejected, True
        limit = self.closed_until_ordinal
        resolved_day = None
        if resolved is None:
            r2 = [Reason(code, 2, NOT_RESOLVED, None, self.as_of_date)]
        else:
            if offset is not None:
                resolved_day = (resolved + offset) // DAY_MICROS + EPOCH_ORDINAL
            else:
                resolved_day = local(resolved)
            if not has_text:
                r2 = [Reason(code, 2, NO_RESULT_TEXT, None, date.fromordinal(resolved_day))]
            open_until = resolved_day if open_at_start else resolved_day - 1
            if open_until < limit:
                limit = open_until
        if first_checkpoint is None:
            return r1, r2, _NONE_MISSED, resolved_day
        # The checkpoints due are first_checkpoint .. end - 1: every one on or before `limit`.
        due = range(first_checkpoint, self._next[limit + 1])
        if not due:
            return r1, r2, _NONE_MISSED, resolved_day
        if offset is None or self.on_the_day:
            serves = self._serves
            served = {serves(u) for u in progress if u <= as_of}
        else:
            nxt = self._next
            served = {nxt[(u + offset) // DAY_MICROS + EPOCH_ORDINAL] for u in progress if u <= as_of}
        if first_progress is not None and first_progress <= as_of and first_progress not in progress:
            served.add(self._serves(first_progress))
        if served.issuperset(due):
            return r1, r2, _NONE_MISSED, resolved_day
        return r1, r2, [k for k in due if k not in served], resolved_day

    def checkpoint_reasons(self, code: str, missed: Iterable[int]) -> list[Reason]:
        return [Reason(code, 2, CHECKPOINT_MISSED, due=checkpoint_day(k)) for k in missed]

    def verdict(self, c: ComplaintFacts | Moments) -> ComplaintVerdict:
        m = c.moments() if isinstance(c, ComplaintFacts) else c
        r1, r2, missed, resolved_day = self.evaluate(m)
        step2 = (r2 or []) + self.checkpoint_reasons(m.code, missed)
        return ComplaintVerdict(
            code=m.code,
            counted=self.counted(m),
            step1=r1 is None,
            step2=not step2,
            reasons=tuple((r1 or []) + step2),
            resolved_on=None if resolved_day is None else date.fromordinal(resolved_day),
        )


Evaluation = tuple[list[Reason] | None, list[Reason] | None, Sequence[int], int | None]
_NONE_MISSED: tuple[int, ...] = ()
DAY_MICROS = 86_400_000_000
EPOCH_ORDINAL = EPOCH.toordinal()  # the ordinal of 2000-01-01, the day `Moments` count from


class _Memo(dict[Any, Any]):
    """A dict that computes a missing value once, on `memo[key]` (cheaper than .get() and a call)."""

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.compute(key)
        return value


def fixed_offset(zone: tzinfo, until: datetime) -> timedelta | None:
    """The zone's UTC offset when it is the same from 1970 until `until` (sampled twice a month), else None.

    Daylight saving shows as different offsets in summer and winter, a change of standard time as
    different offsets before and after; either way the zone is converted moment by moment.
    """
    day = datetime(1970, 1, 1, tzinfo=UTC)
    offset = day.astimezone(zone).utcoffset()
    while day <= until:
        for moment in (day, day + timedelta(days=14)):
            if moment.astimezone(zone).utcoffset() != offset:
                return None
        day = (day + timedelta(days=32)).replace(day=1)
    return offset


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
    first_due = None if facts.kpi_start_on is None else facts.kpi_start_on.replace(day=1)
    for month in months:
        if first_due is not None and month < first_due:
            continue  # before the unit started using the system: nothing due
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


def moments_of(complaints: Iterable[ComplaintFacts | Moments]) -> Iterator[Moments]:
    """The complaints as `Moments`: straight from a source that has them (`kpi.source`), else converted."""
    direct = getattr(complaints, "moments", None)
    if callable(direct):
        return direct()  # type: ignore[no-any-return]
    return (c.moments() if isinstance(c, ComplaintFacts) else c for c in complaints)


def score_unit(
    facts: DistrictFacts,
    scheme: Kpi32Scheme,
    calendar: WorkingCalendar,
    as_of: datetime,
    fiscal_year: int,
    *,
    max_failures: int | None = None,
    evaluator: ComplaintEvaluator | None = None,
    literal: bool = False,
) -> UnitScore:
    """Score one unit. `facts.complaints` is iterated exactly once; only failing explanations are kept.

    `max_failures` caps the explanations kept per step (the counts stay exact); None keeps them all.
    Before the window closes a step that could still become correct is pending (left out of its N);
    `literal` counts it as not correct instead ("if the window ended today").
    """
    ev = evaluator or ComplaintEvaluator(scheme, calendar, as_of)
    first_day, last_day = scheme.window_bounds(fiscal_year)
    window_closed = ev.as_of >= ev.eod(last_day)
    judge_pending = not literal and not window_closed
    window_start = to_micros(datetime.combine(first_day, datetime.min.time(), tzinfo=ev.zone))
    window_end = min(to_micros(ev.eod(last_day)), ev.as_of_micros)

    district = facts.district
    n = other = rejected = 0
    failing = [0, 0]
    kept: list[list[Reason]] = [[], []]
    pending = [0, 0]
    pending_kept: list[list[Reason]] = [[], []]
    pending_reasons = [0, 0]  # reasons of the pending, never capped (to say when the list was)
    counts: list[Counter[str]] = [Counter(), Counter()]
    resolved_by_day: Counter[int] = Counter()  # by day ordinal
    cap = max_failures
    evaluate = ev.evaluate
    as_resolved = ev.rejected_as_resolved
    box1, box2 = kept
    counts1, counts2 = counts

    as_of = ev.as_of_micros
    checkpoint_reasons = ev.checkpoint_reasons
    for c in moments_of(facts.complaints):
        if c[1] != district:  # c.district (tuple indexing: this loop runs a million times a year)
            other += 1
            continue
        routed = c[2]
        if routed < window_start or routed > window_end:
            continue
        if not as_resolved and c[7] is not None and c[7] <= as_of:  # rejected
            rejected += 1
            continue
        n += 1
        r1, r2, missed, resolved_day = evaluate(c)
        if resolved_day is not None:
            resolved_by_day[resolved_day] += 1
        if r1 is not None and judge_pending and only_pending(r1):
            pending[0] += 1
            pending_reasons[0] += len(r1)
            _keep(pending_kept[0], r1, cap)
        elif r1 is not None:
            failing[0] += 1
            for r in r1:
                counts1[r.rule] += 1
            if cap is None:
                box1.extend(r1)
            elif len(box1) < cap:
                box1.extend(r1[: cap - len(box1)])
        if judge_pending and not missed and r2 is not None and only_pending(r2):
            pending[1] += 1
            pending_reasons[1] += len(r2)
            _keep(pending_kept[1], r2, cap)
        elif r2 is not None or missed:
            failing[1] += 1
            if r2 is not None:
                for r in r2:
                    counts2[r.rule] += 1
                if cap is None:
                    box2.extend(r2)
                elif len(box2) < cap:
                    box2.extend(r2[: cap - len(box2)])
            if missed:
                counts2[CHECKPOINT_MISSED] += len(missed)
                if cap is None:
                    box2.extend(checkpoint_reasons(c[0], missed))
                elif len(box2) < cap:
                    box2.extend(checkpoint_reasons(c[0], missed[: cap - len(box2)]))

    tally = Tally(
        n, other, rejected, failing, kept, pending, pending_kept, pending_reasons, counts, resolved_by_day
    )
    return unit_score(facts, scheme, ev, fiscal_year, tally, cap, literal)


@dataclass
class Tally:
    """A unit's complaints added up for steps 1 and 2 (index 0: step 1, 1: step 2), by whichever reader
    made it: the loop of `score_unit` over every complaint, or SQL over the kept facts."""

    n: int
    other: int
    rejected: int
    failing: list[int]
    kept: list[list[Reason]]  # failing explanations kept (capped)
    pending: list[int]
    pending_kept: list[list[Reason]]
    pending_reasons: list[int]  # reasons of the pending, never capped
    counts: list[Counter[str]]  # failing reasons per rule, never capped
    resolved_by_day: Counter[int]  # by day ordinal


def unit_score(
    facts: DistrictFacts,
    scheme: Kpi32Scheme,
    ev: ComplaintEvaluator,
    fiscal_year: int,
    tally: Tally,
    cap: int | None,
    literal: bool,
) -> UnitScore:
    """The unit's score from its tally, its monthly reports and its audits."""
    pts = scheme.points
    first_day, last_day = scheme.window_bounds(fiscal_year)
    window_closed = ev.as_of >= ev.eod(last_day)
    district = facts.district
    n, other, rejected = tally.n, tally.other, tally.rejected
    failing, kept, pending = tally.failing, tally.kept, tally.pending
    pending_kept, pending_reasons, counts = tally.pending_kept, tally.pending_reasons, tally.counts
    resolved_by_day = tally.resolved_by_day
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
            kpi_text(
                "note_no_complaints_full" if pts.empty == "full" else "note_no_complaints_zero", OPERATOR
            )
        )

    steps = []
    for number in (1, 2, 3):
        full = pts.full[number - 1]
        waiting: tuple[Reason, ...] = ()
        if number < 3:
            of = n - pending[number - 1]
            correct = of - failing[number - 1]
            base = step_points(correct, of, Fraction(full), threshold, pts.empty)
            failures = tuple(kept[number - 1])
            rule_counts = dict(counts[number - 1])
            fail_count = failing[number - 1]
            waiting = tuple(pending_kept[number - 1])
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
                pending=pending[number - 1] if number < 3 else 0,
                pending_reasons=waiting,
            )
        )
    if cap is not None and any(
        len(kept[i]) < sum(counts[i].values()) or len(pending_kept[i]) < pending_reasons[i] for i in (0, 1)
    ):
        notes.append(kpi_text("note_capped", OPERATOR, cap=cap))
    total = sum((s.points_exact for s in steps), Fraction(0))
    resolved_by_month: dict[date, int] = {}
    for ordinal, count in sorted(resolved_by_day.items()):
        month = date.fromordinal(ordinal).replace(day=1)
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
        literal=literal,
        window_closed=window_closed,
        kpi_start_on=facts.kpi_start_on,
    )


def _keep(box: list[Reason], reasons: list[Reason], cap: int | None) -> None:
    """Keep a complaint's reasons in `box`, up to `cap` reasons in all (None: every one)."""
    if cap is None:
        box.extend(reasons)
    elif len(box) < cap:
        box.extend(reasons[: cap - len(box)])


def score_units(
    units: Iterable[DistrictFacts],
    scheme: Kpi32Scheme,
    calendar: WorkingCalendar,
    as_of: datetime,
    fiscal_year: int,
    *,
    max_failures: int | None = None,
    literal: bool = False,
) -> list[UnitScore]:
    """Score every unit (in the order given); the calendar caches are shared between units."""
    ev = ComplaintEvaluator(scheme, calendar, as_of)
    return [
        score_unit(
            u, scheme, calendar, as_of, fiscal_year, max_failures=max_failures, evaluator=ev, literal=literal
        )
        for u in units
    ]
