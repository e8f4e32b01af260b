"""Counting the KPI's verdicts in SQL over the kept facts (issue 19): every district at once.

`models.kpi_facts` keeps, per complaint, its moments and the deadlines and checkpoints that decide its
verdicts, and the moment from which they cannot change any more (`settled_at`: resolved or rejected,
every deadline passed) with those verdicts. A district's step 1 and step 2 counts — correct, failing,
pending, the reasons per rule, the resolutions per month — are then two GROUP BYs (`tallies`): the
complaints settled by `as_of` added up by kind, plain columns; the others, mostly the year's open ones,
with their verdicts at `as_of` worked out in SQL. `kpi.scoring.unit_score` turns the tally into the
same `UnitScore` the scorer's loop over every complaint gives. That loop stays the reference: the tests
compare the two on randomised histories, and it still scores whenever this cannot:

- the scheme reads the rules otherwise than the kept deadlines were counted (`supports`): other
  working-day counts or end of day, "correct" while not yet due, no first-progress clock without an
  acknowledgement, checkpoints met only on the day or due from the first-progress day, a complaint open
  until the start of the day, rejected complaints counted as resolved;
- explanations are asked for (`max_failures` other than 0): they come from the loop, over the kept
  moments of the district (`kpi.source.stream_kept_moments`);
- a complaint has more checkpoints due than its mask holds (open for years): its district is scored
  by the loop.

How an unsettled complaint's verdict reads in SQL (T is `as_of`; see `ComplaintEvaluator.evaluate`):

- acknowledged by T ("acked"): else ACK_MISSING once its deadline has passed, ACK_PENDING before;
- acked: ACK_LATE after its deadline; the first progress by T — or the resolution by T when earlier,
  a resolution being the first report — after the first-progress deadline: FIRST_PROGRESS_LATE; none by
  T: FIRST_PROGRESS_MISSING once due, FIRST_PROGRESS_PENDING before;
- step 2: NOT_RESOLVED by T, or resolved without a result text; and every checkpoint due — from the
  first one (counted from the acknowledgement when acked by T, else from its deadline) up to the last
  one wholly past at T and not after the resolution's day — served by a progress update: the bits of
  `served_mask` in that range, counted (`bit_count`).

Progress after T never serves a checkpoint due by T: the last checkpoint due by T has ended by T, and an
update after T is on a later day (the kept deadlines end at the day's last microsecond). So the mask of
every update the complaint had answers for any T.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import BIT
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from kpi.schemes import Kpi32Scheme
from kpi.scoring import (
    ACK_LATE,
    ACK_MISSING,
    ACK_PENDING,
    CHECKPOINT_MISSED,
    FIRST_PROGRESS_LATE,
    FIRST_PROGRESS_MISSING,
    FIRST_PROGRESS_PENDING,
    NO_RESULT_TEXT,
    NOT_RESOLVED,
    ComplaintEvaluator,
    Tally,
)
from models.base import UtcDateTime
from models.deadlines import DEFAULT_DEADLINES, checkpoint_index, next_checkpoint
from models.kpi_facts import (
    MASK_BITS,
    REPORT_LATE,
    REPORT_MISSED,
    REPORT_ON_TIME,
    STEP1_ACK_LATE,
    STEP1_ACK_MISSED,
    STEP1_ACKED,
    STEP1_REJECTED,
    STEP2_RESOLVED_WITHOUT_TEXT,
    ComplaintKpiFacts,
)

ONE_DAY = timedelta(days=1)


def supports(scheme: Kpi32Scheme) -> bool:
    """Whether the kept deadlines were counted as this scheme reads the rules (see the docstring)."""
    cp, intake = scheme.checkpoints, scheme.intake
    return (
        scheme.deadlines == DEFAULT_DEADLINES
        and DEFAULT_DEADLINES.end_of_day == time.max
        and intake.not_yet_due == "not_correct"
        and intake.first_progress_without_ack == "ack_due"
        and intake.resolution_counts_as_first_progress
        and cp.met == "since_previous_checkpoint"
        and cp.due_from == "after_first_progress_due"
        and cp.open_at == "end_of_day"
        and scheme.rejected == "exclude"
    )


def checkpoints_end(ev: ComplaintEvaluator) -> int:
    """The first checkpoint not yet due at the evaluator's as_of (one after the last wholly past)."""
    return checkpoint_index(next_checkpoint(ev.closed_until + ONE_DAY))


def tallies(
    session: Session,
    ev: ComplaintEvaluator,
    window: tuple[datetime, datetime],
    codes: Sequence[str],
    judge_pending: bool,
) -> tuple[dict[str, Tally], set[str]]:
    """Each district's tally at `ev.as_of` over its complaints routed in `window` (both ends included),
    and the districts this cannot count (a complaint with more checkpoints due than its mask holds).

    Two queries: the complaints settled by T (their verdicts kept: added up by kind) and the others
    (their verdicts at T worked out in SQL)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    params = {
        "as_of": ev.as_of,
        "checkpoints_end": checkpoints_end(ev),
        "window_start": window[0].astimezone(UTC),
        "window_end": window[1].astimezone(UTC),
        "codes": list(codes),
    }
    found: dict[str, Tally] = {
        code: Tally(0, 0, 0, [0, 0], [[], []], [0, 0], [[], []], [0, 0], [Counter(), Counter()], Counter())
        for code in codes
    }
    wide: set[str] = set()
    if postgres:
        session.execute(text("SET LOCAL jit = off"))  # compiling costs more than these queries' run
    for district, step1, step2, month, missed, count in session.execute(_settled_statement(), params):
        _add_settled(found[district], step1, step2, month, int(count), missed)
    for row in session.execute(_open_statement(postgres), params).mappings():
        if row["wide"]:
            wide.add(row["district_code"])
        _add_open(found[row["district_code"]], row, judge_pending)
    return found, wide


def _month_ordinal(month: int) -> int:
    """A `resolved_month` as the ordinal of its first day (the tally's resolutions count by month)."""
    year, index = divmod(month, 12)
    return date(year, index + 1, 1).toordinal()


def _add_settled(tally: Tally, step1: int, step2: int, month: int | None, count: int, missed: int) -> None:
    """`count` settled complaints of one kind (the same verdicts; `missed`: each one's checkpoints missed)."""
    if step1 == STEP1_REJECTED:
        tally.rejected += count
        return
    tally.n += count
    if month is not None:
        tally.resolved_by_day[_month_ordinal(month)] += count
    c1, c2 = tally.counts
    if step1 == STEP1_ACK_MISSED:
        tally.failing[0] += count
        c1[ACK_MISSING] += count
    else:
        late, report = divmod(step1 - STEP1_ACKED, STEP1_ACK_LATE)
        if late or report != REPORT_ON_TIME:
            tally.failing[0] += count
            if late:
                c1[ACK_LATE] += count
            if report == REPORT_MISSED:
                c1[FIRST_PROGRESS_MISSING] += count
            elif report == REPORT_LATE:
                c1[FIRST_PROGRESS_LATE] += count
    if step2 == STEP2_RESOLVED_WITHOUT_TEXT or missed:
        tally.failing[1] += count
        if step2 == STEP2_RESOLVED_WITHOUT_TEXT:
            c2[NO_RESULT_TEXT] += count
        if missed:
            c2[CHECKPOINT_MISSED] += missed * count


def _add_open(tally: Tally, row: Any, judge_pending: bool) -> None:
    """One row of `_open_statement` (a district's unsettled complaints resolved in one month by T, or
    not resolved by T) into the tally."""
    n = {k: int(v or 0) for k, v in row.items() if k not in ("district_code", "resolved_month")}
    tally.rejected += n["rejected"]
    tally.n += n["counted"]
    if row["resolved_month"] is not None and n["counted"]:
        tally.resolved_by_day[_month_ordinal(row["resolved_month"])] += n["counted"]
    c1, c2 = tally.counts
    # Step 1. Pending: not acknowledged and not yet due; or acknowledged on time and the first report
    # not yet due. Each pending complaint has that one reason.
    ack_pending = n["not_acked"] - n["ack_missing"]
    report_pending_alone = n["report_pending"] - n["report_pending_late_ack"]
    pending = ack_pending + report_pending_alone if judge_pending else 0
    acked_with_reason = n["counted"] - n["not_acked"] - n["acked_clean"]
    tally.pending[0] += pending
    tally.pending_reasons[0] += pending
    tally.failing[0] += n["not_acked"] + acked_with_reason - pending
    for rule, count in (
        (ACK_MISSING, n["ack_missing"]),
        (ACK_PENDING, 0 if judge_pending else ack_pending),
        (ACK_LATE, n["ack_late"]),
        (FIRST_PROGRESS_MISSING, n["report_missing"]),
        (FIRST_PROGRESS_PENDING, n["report_pending_late_ack"] if judge_pending else n["report_pending"]),
        (FIRST_PROGRESS_LATE, n["report_late"]),
    ):
        if count:
            c1[rule] += count
    # Step 2. Pending: open with every checkpoint met so far.
    pending = n["open_none_missed"] if judge_pending else 0
    tally.pending[1] += pending
    tally.pending_reasons[1] += pending
    tally.failing[1] += n["step2_reason"] - pending
    for rule, count in (
        (NOT_RESOLVED, n["open"] - pending),
        (NO_RESULT_TEXT, n["no_text"]),
        (CHECKPOINT_MISSED, n["missed"]),
    ):
        if count:
            c2[rule] += count


def _window() -> ColumnElement[bool]:
    f = ComplaintKpiFacts.__table__.c
    return and_(
        f.district_code.in_(bindparam("codes", expanding=True)),
        f.routed_at >= bindparam("window_start", type_=UtcDateTime()),
        f.routed_at <= bindparam("window_end", type_=UtcDateTime()),
    )


@functools.cache
def _settled_statement() -> Any:
    """The complaints settled by T, added up by kind: plain columns, no condition to work out per row."""
    f = ComplaintKpiFacts.__table__.c
    kind = (f.district_code, f.settled_step1, f.settled_step2, f.resolved_month, f.settled_missed)
    return (
        select(*kind, func.count())
        .where(_window(), f.settled_at <= bindparam("as_of", type_=UtcDateTime()))
        .group_by(*kind)
    )


@functools.cache
def _open_statement(postgres: bool) -> Any:
    """Per district and month of resolution by T (NULL: not resolved by T), the numbers `_add_open`
    reads, over the complaints not settled by T.

    Grouped by district and month only, with conditional sums: PostgreSQL adds up in parallel, and no
    row is sorted."""
    f = ComplaintKpiFacts.__table__.c
    as_of = bindparam("as_of", type_=UtcDateTime())
    end = bindparam("checkpoints_end", type_=Integer())
    acked = f.acknowledged_at <= as_of  # NULL (never) counts as not
    not_acked = or_(f.acknowledged_at.is_(None), f.acknowledged_at > as_of)
    rejected = f.rejected_at <= as_of
    counted = or_(f.rejected_at.is_(None), f.rejected_at > as_of)
    resolved = f.resolved_at <= as_of
    # The first report: the first progress update, or the resolution when it came first. The first of
    # those by T is the first of all when that one is by T, so it needs no T of its own.
    report_at = case(
        (f.first_progress_at.is_(None), f.resolved_at),
        (or_(f.resolved_at.is_(None), f.first_progress_at <= f.resolved_at), f.first_progress_at),
        else_=f.resolved_at,
    )
    reported = report_at <= as_of
    not_reported = or_(report_at.is_(None), report_at > as_of)
    ack_late = f.acknowledged_at > f.ack_due_at

    first = case((acked, f.first_checkpoint), else_=f.first_checkpoint_unacked)
    last = case((and_(resolved, f.resolved_checkpoint_end < end), f.resolved_checkpoint_end), else_=end)
    due = last - first
    offset = first - f.served_base
    window_bits = cast(literal(1), BigInteger()).op("<<")(due) - 1
    bits = f.served_mask.op(">>")(offset).op("&")(window_bits)
    served = func.bit_count(cast(bits, BIT(64))) if postgres else func.rongtook_bit_count(bits)
    missed = case((and_(due > 0, offset + due <= MASK_BITS), due - served), else_=literal(0))
    open_ = or_(f.resolved_at.is_(None), f.resolved_at > as_of)

    def number(*conditions: ColumnElement[bool]) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    month = case((resolved, f.resolved_month)).label("resolved_month")
    return (
        select(
            f.district_code,
            month,
            number(rejected).label("rejected"),
            number(counted).label("counted"),
            number(counted, not_acked).label("not_acked"),
            number(counted, not_acked, f.ack_due_at <= as_of).label("ack_missing"),
            number(counted, acked, ack_late).label("ack_late"),
            number(counted, acked, reported, report_at > f.first_progress_due_at).label("report_late"),
            number(counted, acked, not_reported, f.first_progress_due_at <= as_of).label("report_missing"),
            number(counted, acked, not_reported, f.first_progress_due_at > as_of).label("report_pending"),
            number(counted, acked, not_reported, f.first_progress_due_at > as_of, ack_late).label(
                "report_pending_late_ack"
            ),
            number(counted, acked, not_(ack_late), reported, report_at <= f.first_progress_due_at).label(
                "acked_clean"
            ),
            number(counted, open_).label("open"),
            number(counted, resolved, not_(f.result_text)).label("no_text"),
            func.sum(case((counted, missed), else_=0)).label("missed"),
            number(counted, open_, missed == 0).label("open_none_missed"),
            number(counted, or_(open_, not_(f.result_text), missed > 0)).label("step2_reason"),
            number(counted, due > 0, offset + due > MASK_BITS).label("wide"),
        )
        .where(_window(), or_(f.settled_at.is_(None), f.settled_at > as_of))
        .group_by(f.district_code, month)
    )
