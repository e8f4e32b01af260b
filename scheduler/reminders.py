"""Reminders to district officers (RULES §4): what is due at a moment, and sending each exactly once.

`plan(session, at, cal)` reads what is due at the moment `at`; `record(...)` inserts each item's
`ReminderSent` row with insert-or-ignore (ON CONFLICT DO NOTHING) on its key (kind, subject, due
date). `handlers.reminder_notices.sweep` does both and queues the pushes in the same transaction, so
a reminder goes out once across restarts and several workers (a second sweep's insert is ignored and
it sends nothing). Each officer with a LINE account gets one push per sweep listing all their items.

What is due (all readings are `ReminderSettings`):

- acknowledgement (complaints "routed") and first progress (complaints "acknowledged"): "before" at
  09:00 on the working day before the due day, "due" at 09:00 on the due day, "overdue" at 09:00 on
  the working day after it (to the district heads too). After a pause only the latest stage still
  meaningful goes out: never "before" once the due day has begun, never "due" once the deadline
  has passed. A stage whose moment came before the clock started (a complaint routed at 15:00 on
  the day of its "before" reminder) is not sent, nor one whose moment is not later than the last
  reminder of the same clock (a holiday added afterwards moves moments into the past: nothing is sent
  again for them), nor anything after an "overdue" of the same clock (the officers were told).
- the 15th/30th checkpoints (RULES §3): on the working day before each checkpoint D and at 09:00 on D,
  one item per district listing its open complaints whose checkpoint D is due and not yet met.
- the monthly report: at 09:00 on the 5th and the 9th, each district without a report for the
  previous month.

Candidates are found by indexed range conditions on the deadline columns (a window around `at`),
with the reminders already sent for them joined through the unique key's index, so a sweep costs in
proportion to the complaints with deadlines near `at`, not to all complaints. The checkpoint lists
read the open complaints (by the status index), and only until every district has had that stage.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Select, String, and_, cast, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.complaints import Complaint, ComplaintStatus
from models.deadlines import (
    DEFAULT_DEADLINES,
    DeadlineSettings,
    end_of_day,
    is_overdue,
    local_date,
    next_checkpoint,
    previous_checkpoint,
)
from models.districts import District
from models.monthly_reports import MonthlyReport
from models.people import Officer
from models.reminders_sent import ReminderSent
from models.working_days import WorkingCalendar

log = logging.getLogger(__name__)

S = ComplaintStatus
BEFORE, DUE, OVERDUE, DAY = "before", "due", "overdue", "day"
DEADLINE_STAGES = (BEFORE, DUE, OVERDUE)  # in the order they come
CHECKPOINT_STAGES = (BEFORE, DAY)
ACK, FIRST_PROGRESS, CHECKPOINT, MONTHLY_REPORT = "ack", "first_progress", "checkpoint", "monthly_report"
HEAD = "head"
LOOKUP_CHUNK = 500  # ids per IN list


@dataclass(frozen=True)
class ReminderSettings:
    """When reminders go out and to whom (RULES §4; each a reading, so a setting)."""

    send_at: time = time(9, 0)  # local time of every stage
    deadline_stages: tuple[str, ...] = DEADLINE_STAGES  # which of before/due/overdue are sent
    before_working_days: int = 1  # "before" = on the n-th working day before the due day
    overdue_working_days: int = 1  # "overdue" = on the n-th working day after the due day
    overdue_to_heads: bool = True
    checkpoint_stages: tuple[str, ...] = CHECKPOINT_STAGES
    checkpoint_before_working_days: int = 1
    report_days: tuple[int, ...] = (5, 9)  # days of the month (at most 28)
    # Shown in the text: the report for month M is due by this day of M+1. A copy of the KPI scheme's
    # reporting.due_day (kpi32.toml), which this layer cannot read: tests/unit/test_scheme_copies.py.
    report_due_day: int = 10
    report_to_heads: bool = True
    # Candidates: deadlines from `at - lookback` (how late an "overdue" may still go out after the worker
    # was down) to the end of the day whose "before" moment may have come (the next working day).
    lookback: timedelta = timedelta(days=15)
    skip_stages_before_start: bool = True  # no "before" for a complaint routed after that moment
    max_items_per_message: int = 30  # complaint lines in one push; then "and N more"
    max_chars: int = 4900  # LINE's limit for one text is 5,000
    enabled: frozenset[str] = frozenset({ACK, FIRST_PROGRESS, CHECKPOINT, MONTHLY_REPORT})
    language: str = "th"  # officers have no language of their own yet
    deadlines: DeadlineSettings = DEFAULT_DEADLINES  # time zone and end of day


DEFAULT_REMINDERS = ReminderSettings()


@dataclass(frozen=True)
class DueComplaint:
    """One line of a reminder: a complaint and the deadline it is listed for."""

    id: int
    tracking_code: str
    category: str | None
    deadline: date


@dataclass(frozen=True)
class Due:
    """One reminder item: its key (kind, subject, due_on), whom it is for and what it lists."""

    kind: str  # ack_before, ack_due, ack_overdue, first_progress_*, checkpoint_before|day, monthly_report_5|9
    subject: str  # "complaint:123" or "district:1001"
    due_on: date  # the deadline's day, the checkpoint, or the first day of the reported month
    district_code: str
    to_heads: bool
    stage_at: datetime  # the moment this stage was meant for
    complaints: tuple[DueComplaint, ...] = ()
    count: int = 1  # complaints concerned (a checkpoint list shows at most max_items_per_message)
    complaint_id: int | None = None

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.kind, self.subject, self.due_on)


@dataclass(frozen=True)
class Push:
    """One push to one officer, listing all their items of the sweep."""

    to: str
    officer_id: int
    officer_name: str
    district_code: str
    role: str
    counts: dict[str, int]  # kind -> complaints concerned (1 for a monthly report)
    text: str


@dataclass
class SweepReport:
    at: datetime
    dry_run: bool
    planned: list[Due] = field(default_factory=list)
    sent: list[Due] = field(default_factory=list)  # recorded now (in a dry run: would be)
    taken: list[Due] = field(default_factory=list)  # recorded by another sweep first: not sent by this one
    unreachable: list[Due] = field(default_factory=list)  # recorded with nobody to tell
    pushes: list[Push] = field(default_factory=list)


# ---- stage moments -------------------------------------------------------------------------


class _Clock:
    """Stage moments for one sweep at `at`, each computed once (thousands of complaints share a due day)."""

    def __init__(self, at: datetime, cal: WorkingCalendar, settings: ReminderSettings) -> None:
        self.at, self.cal, self.s = at, cal, settings
        self._stages: dict[datetime, tuple[str, date, datetime] | None] = {}

    def moment(self, day: date) -> datetime:
        return datetime.combine(day, self.s.send_at, tzinfo=self.s.deadlines.zone)

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.s.deadlines.zone)

    def deadline_moments(self, due_day: date) -> dict[str, datetime]:
        return {
            BEFORE: self.moment(self.cal.add_working_days(due_day, -self.s.before_working_days)),
            DUE: self.moment(due_day),
            OVERDUE: self.moment(self.cal.add_working_days(due_day, self.s.overdue_working_days)),
        }

    def deadline_stage(self, due_at: datetime, start: datetime | None) -> tuple[str, date, datetime] | None:
        """The latest stage whose moment has come, if it still means something: (stage, due day, moment)."""
        if due_at not in self._stages:
            self._stages[due_at] = self._stage(due_at)
        hit = self._stages[due_at]
        if hit is not None and self.s.skip_stages_before_start and start is not None and hit[2] < start:
            return None  # the clock started after this moment: nothing was missed
        return hit

    def _stage(self, due_at: datetime) -> tuple[str, date, datetime] | None:
        at = self.at
        due_day = local_date(due_at, self.s.deadlines)
        moments = self.deadline_moments(due_day)
        reached = [st for st in DEADLINE_STAGES if st in self.s.deadline_stages and moments[st] <= at]
        if not reached:
            return None
        stage = reached[-1]
        if stage == BEFORE and at >= self.day_start(due_day):
            return None  # the due day has begun: "before" is over, "due" was not asked for
        # A candidate is still in its clock's status (not done): once overdue, "due" is over, and "overdue"
        # is told at its own moment, on the working day after.
        if stage == DUE and is_overdue(due_at, at):
            return None
        return stage, due_day, moments[stage]


# ---- what is due ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clockwork:
    """A deadline clock on complaints: the status it runs in, its due column and its start."""

    name: str
    status: str
    due: Any
    start: Any


_CLOCKS = (
    _Clockwork(ACK, S.ROUTED.value, Complaint.ack_due_at, Complaint.routed_at),
    _Clockwork(
        FIRST_PROGRESS, S.ACKNOWLEDGED.value, Complaint.first_progress_due_at, Complaint.acknowledged_at
    ),
)


def plan(
    session: Session, at: datetime, cal: WorkingCalendar, settings: ReminderSettings = DEFAULT_REMINDERS
) -> list[Due]:
    """Every reminder item due at `at` that has not been sent yet. Reads only."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {at!r}")
    clock = _Clock(at, cal, settings)
    items: list[Due] = []
    for clockwork in _CLOCKS:
        if clockwork.name in settings.enabled:
            items += _deadline_items(session, at, clock, clockwork)
    if CHECKPOINT in settings.enabled:
        items += _checkpoint_items(session, at, clock)
    if MONTHLY_REPORT in settings.enabled:
        items += _report_items(session, at, clock)
    items.sort(key=lambda i: (kind_rank(i.kind), i.district_code, i.due_on, i.subject))
    return items


def candidate_window(
    at: datetime, cal: WorkingCalendar, settings: ReminderSettings = DEFAULT_REMINDERS
) -> tuple[datetime, datetime]:
    """The deadlines a sweep at `at` looks at: from `at - lookback` to the end of the last due day whose
    "before" moment may have come (no working day lies between that moment's day and the due day)."""
    today = local_date(at, settings.deadlines)
    last = today
    if BEFORE in settings.deadline_stages:
        last = cal.add_working_days(today, settings.before_working_days)
    return at - settings.lookback, end_of_day(last, settings.deadlines)


def deadline_candidates(
    clock_name: str, at: datetime, cal: WorkingCalendar, settings: ReminderSettings = DEFAULT_REMINDERS
) -> Select[Any]:
    """Complaints whose `clock_name` ("ack" or "first_progress") deadline is near `at` and still running,
    each with the reminders of that clock already sent for it (one row per reminder, or one with NULLs).

    A range on the indexed deadline column narrowed by status; the reminders come through the unique
    key's index (kind, subject), so a sweep reads in proportion to the deadlines near `at`.
    """
    cw = next(c for c in _CLOCKS if c.name == clock_name)
    lo, hi = candidate_window(at, cal, settings)
    kinds = [f"{cw.name}_{st}" for st in DEADLINE_STAGES]
    subject = literal("complaint:") + cast(Complaint.id, String)
    return (
        select(
            Complaint.id,
            Complaint.tracking_code,
            Complaint.category,
            Complaint.district_code,
            cw.due,
            cw.start,
            ReminderSent.kind,
            ReminderSent.due_on,
            ReminderSent.sent_at,
        )
        .outerjoin(ReminderSent, and_(ReminderSent.kind.in_(kinds), ReminderSent.subject == subject))
        .where(
            cw.due >= lo,
            cw.due <= hi,
            Complaint.status == cw.status,
            Complaint.district_code.is_not(None),
        )
        .order_by(cw.due, Complaint.id)
    )


def _deadline_items(session: Session, at: datetime, clock: _Clock, cw: _Clockwork) -> list[Due]:
    s = clock.s
    overdue = f"{cw.name}_{OVERDUE}"
    items = []
    rows = session.execute(deadline_candidates(cw.name, at, clock.cal, s)).all()
    for (cid, code, category, district, due_at, start), group in groupby(rows, key=lambda r: tuple(r[:6])):
        hit = clock.deadline_stage(due_at, start)
        if hit is None:
            continue
        stage, due_day, moment = hit
        kind = f"{cw.name}_{stage}"
        earlier = [row[6:] for row in group if row[6] is not None]  # (kind, due_on, sent_at) already sent
        if earlier and not _still_to_send(earlier, kind, due_day, moment, start, overdue):
            continue
        items.append(
            Due(
                kind=kind,
                subject=f"complaint:{cid}",
                due_on=due_day,
                district_code=district,
                to_heads=stage == OVERDUE and s.overdue_to_heads,
                stage_at=moment,
                complaints=(DueComplaint(cid, code, category, due_day),),
                complaint_id=cid,
            )
        )
    return items


def _still_to_send(
    earlier: list[Any], kind: str, due_day: date, moment: datetime, start: datetime | None, overdue: str
) -> bool:
    """Whether a stage is still to be sent, given the reminders of its clock already sent."""
    if any((k, d) == (kind, due_day) for k, d, _ in earlier):
        return False  # sent already
    this_clock = [(k, sent_at) for k, _, sent_at in earlier if start is None or sent_at >= start]
    if any(k == overdue for k, _ in this_clock):
        return False  # the officers were told it is late; a moved deadline does not start it over
    # A moment already behind what was sent (a holiday added afterwards moved it) is not sent again.
    return not this_clock or moment > max(sent_at for _, sent_at in this_clock)


def _sent_subjects(session: Session, kind: str, due_on: date) -> set[str]:
    return set(
        session.scalars(
            select(ReminderSent.subject).where(ReminderSent.kind == kind, ReminderSent.due_on == due_on)
        )
    )


def _checkpoint_items(session: Session, at: datetime, clock: _Clock) -> list[Due]:
    s = clock.s
    today = local_date(at, s.deadlines)
    items: list[Due] = []
    for day in sorted({next_checkpoint(today), next_checkpoint(today + timedelta(days=1))}):
        if day == today:
            stage, moment = DAY, clock.moment(day)
        else:
            stage, moment = (
                BEFORE,
                clock.moment(clock.cal.add_working_days(day, -s.checkpoint_before_working_days)),
            )
        if stage not in s.checkpoint_stages or at < moment:
            continue
        kind = f"{CHECKPOINT}_{stage}"
        done = {subject.removeprefix("district:") for subject in _sent_subjects(session, kind, day)}
        if done and done >= set(session.scalars(select(District.code))):
            continue  # every district has had this one: no need to read the open complaints again
        for district, (total, listed) in checkpoint_lists(session, day, s, skip_districts=done).items():
            items.append(
                Due(
                    kind=kind,
                    subject=f"district:{district}",
                    due_on=day,
                    district_code=district,
                    to_heads=False,
                    stage_at=moment,
                    complaints=tuple(listed),
                    count=total,
                )
            )
    return items


def checkpoint_query(
    day: date, settings: ReminderSettings = DEFAULT_REMINDERS, skip_districts: Iterable[str] = ()
) -> Select[Any]:
    """Open complaints with checkpoint `day` due and not met: per district the first few ids and the count.

    Due: `day` is after the complaint's first-progress due date. Met: a progress update after the end
    of the previous checkpoint (RULES §3, reading). A window function counts each district and ranks
    its complaints (oldest first-progress deadline first) over narrow rows, so the sort stays in memory;
    the listed ones' codes are read afterwards by primary key.
    """
    zone = settings.deadlines.zone
    conditions = [
        Complaint.status.in_([S.ACKNOWLEDGED.value, S.IN_PROGRESS.value]),
        Complaint.district_code.is_not(None),
        Complaint.first_progress_due_at < datetime.combine(day, time(0), tzinfo=zone),
        or_(
            Complaint.last_progress_at.is_(None),
            Complaint.last_progress_at <= end_of_day(previous_checkpoint(day), settings.deadlines),
        ),
    ]
    skip = sorted(set(skip_districts))
    if skip:
        conditions.append(Complaint.district_code.not_in(skip))
    order = (Complaint.first_progress_due_at, Complaint.id)
    ranked = (
        select(
            Complaint.district_code,
            Complaint.id,
            func.row_number().over(partition_by=Complaint.district_code, order_by=order).label("rank"),
            func.count().over(partition_by=Complaint.district_code).label("total"),
        )
        .where(*conditions)
        .subquery()
    )
    return (
        select(ranked.c.district_code, ranked.c.id, ranked.c.total)
        .where(ranked.c.rank <= settings.max_items_per_message)
        .order_by(ranked.c.district_code, ranked.c.rank)
    )


def checkpoint_lists(
    session: Session,
    day: date,
    settings: ReminderSettings = DEFAULT_REMINDERS,
    skip_districts: Iterable[str] = (),
) -> dict[str, tuple[int, list[DueComplaint]]]:
    """{district: (complaints with checkpoint `day` due and not met, the first few of them)}."""
    ranked = session.execute(checkpoint_query(day, settings, skip_districts)).all()
    details: dict[int, tuple[str, str | None]] = {}
    ids = [cid for _, cid, _ in ranked]
    for i in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[i : i + LOOKUP_CHUNK]
        for cid, code, category in session.execute(
            select(Complaint.id, Complaint.tracking_code, Complaint.category).where(Complaint.id.in_(chunk))
        ):
            details[cid] = (code, category)
    lists: dict[str, tuple[int, list[DueComplaint]]] = {}
    for district, cid, total in ranked:
        code, category = details[cid]
        lists.setdefault(district, (total, []))[1].append(DueComplaint(cid, code, category, day))
    return lists


def _report_items(session: Session, at: datetime, clock: _Clock) -> list[Due]:
    s = clock.s
    today = local_date(at, s.deadlines)
    reached = [
        d for d in sorted(s.report_days) if d <= today.day and clock.moment(today.replace(day=d)) <= at
    ]
    if not reached:
        return []  # before the 5th's 09:00: nothing; from the 9th's to the month's end: the 9th's
    day = reached[-1]
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    kind = f"{MONTHLY_REPORT}_{day}"
    submitted = select(MonthlyReport.district_code).where(MonthlyReport.month == f"{month:%Y-%m}")
    done = _sent_subjects(session, kind, month)
    codes = session.scalars(
        select(District.code).where(District.code.not_in(submitted)).order_by(District.code)
    )
    return [
        Due(
            kind=kind,
            subject=f"district:{code}",
            due_on=month,
            district_code=code,
            to_heads=s.report_to_heads,
            stage_at=clock.moment(today.replace(day=day)),
        )
        for code in codes
        if f"district:{code}" not in done
    ]


_KIND_ORDER = [
    f"{ACK}_{OVERDUE}",
    f"{FIRST_PROGRESS}_{OVERDUE}",
    f"{ACK}_{DUE}",
    f"{FIRST_PROGRESS}_{DUE}",
    f"{ACK}_{BEFORE}",
    f"{FIRST_PROGRESS}_{BEFORE}",
    f"{CHECKPOINT}_{DAY}",
    f"{CHECKPOINT}_{BEFORE}",
]


def kind_rank(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


# ---- recording ---------------------------------------------------------------------------


def recipients(officers: dict[str, list[Officer]], item: Due) -> list[Officer]:
    return [o for o in officers.get(item.district_code, []) if o.role != HEAD or item.to_heads]


def record(
    session: Session, items: Sequence[Due], officers: dict[str, list[Officer]], now: datetime
) -> set[tuple[str, str, date]]:
    """Insert each item's `ReminderSent` row unless its key is there; returns the keys this call inserted.

    INSERT ... ON CONFLICT DO NOTHING RETURNING, many rows a statement: a key another sweep
    recorded first (committed, or committing while this one waits on its unique index entry) comes
    back from neither, and its item is not sent by this sweep.
    """
    if not items:
        return set()
    builder = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = ReminderSent.__table__
    stmt = (
        builder(table)
        .on_conflict_do_nothing(index_elements=["kind", "subject", "due_on"])
        .returning(table.c.kind, table.c.subject, table.c.due_on)
    )
    rows = [
        {
            "kind": item.kind,
            "subject": item.subject,
            "due_on": item.due_on,
            "district_code": item.district_code,
            "complaint_id": item.complaint_id,
            "sent_at": now,
            "recipients": len(recipients(officers, item)),
        }
        for item in items
    ]
    # One statement, many rows: SQLAlchemy sends them as multi-row INSERTs ("insertmanyvalues").
    return {(kind, subject, due_on) for kind, subject, due_on in session.execute(stmt, rows)}
