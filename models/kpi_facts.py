"""The KPI's facts of each complaint, kept as its events happen (issue 19 point 1).

The event log stays the truth. What the scorer needs of a complaint — when the unit now holding it got
it, and when that unit acknowledged, reported progress, resolved (with a result text or not) or
rejected it — is kept here, one row per routed complaint, rewritten in the transaction of every event
that changes it (`complaint_operations` calls `refresh`). The scorer then reads one row per complaint
instead of grouping a year of events, and a complaint routed to the same unit twice is no special case.

`moments` packs the moments as PostgreSQL sends binary timestamps — big-endian int64 microseconds
since 2000-01-01 UTC — in the order routed, acknowledged, resolved, rejected, then every progress
update in time order; a missing moment is the smallest int64 (`NONE`). One bytes value unpacks in
one `struct` call, which is what makes a million rows cheap to read.

Which events count (the same rules as the aggregate over the log, `kpi.source`): those recorded for
the complaint's current district at or after its `routed_at` (a transfer restarts the clocks, RULES §2):
the first acknowledgement; every progress update; the last resolution, unless the citizen reopened the
complaint at or after it; the first rejection.

Beside the moments, each row keeps what decides its verdicts under the deadline rules the bot keeps
(`models.deadlines`, equal to the shipped KPI scheme's) and the working calendar: its acknowledgement
deadline; its first-progress deadline and first 15th/30th checkpoint counted from the acknowledgement
and, for as long as it is not acknowledged, from the acknowledgement's deadline; the checkpoints its
progress updates served (a bit mask from `served_base`); and the last checkpoint due before its
resolution. A verdict at any moment is then a comparison in SQL (`kpi.kept_scoring`). A change to the
calendar recomputes these for the complaints whose deadlines it can move (`recompute_around`).

`rebuild` recomputes every row from the log (`rongtook kpi rebuild-facts`, and `rongtook release` when
the table has never been built); until one has finished (`is_complete`) the scorer reads the log.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.clock import clock
from models.complaints import BLANK_CHARACTERS, Complaint, ComplaintEvent
from models.deadlines import (
    DEFAULT_DEADLINES,
    ack_due,
    checkpoint_index,
    first_progress_due,
    local_date,
    next_checkpoint,
)
from models.working_days import WorkingCalendar, load_calendar

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
NONE = -(2**63)  # a missing moment in `moments` (no event is at -infinity)
# The event kinds the facts are made of; the others (filed, routed, rated, ...) change nothing here.
KINDS = ("acknowledged", "progress", "resolved", "reopened", "rejected")
REBUILD_BATCH = 5000
MASK_BITS = 62  # checkpoints a mask holds (a signed 64-bit integer; SQL shifts 1 by at most this)
ONE_DAY = timedelta(days=1)


class ComplaintKpiFacts(Base):
    """One routed complaint as the KPI sees it (see the module docstring)."""

    __tablename__ = "complaint_kpi_facts"
    __table_args__ = (
        # The scorer reads one district's complaints routed in a window: one index range.
        Index("ix_complaint_kpi_facts_district_routed", "district_code", "routed_at"),
    )

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    routed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    tracking_code: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    result_text: Mapped[bool] = mapped_column(Boolean, default=False)  # the resolution has a result text
    moments: Mapped[bytes] = mapped_column(LargeBinary)
    # The same moments as columns, for verdicts in SQL; then the deadlines (see the module docstring).
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    first_progress_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    resolved_on: Mapped[date | None] = mapped_column(Date, default=None)  # its Bangkok day
    rejected_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    ack_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_progress_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)  # once acked
    first_checkpoint: Mapped[int | None] = mapped_column(Integer, default=None)  # once acked (an index)
    first_checkpoint_unacked: Mapped[int] = mapped_column(Integer)  # counted from the ack deadline
    served_base: Mapped[int] = mapped_column(Integer)  # the checkpoint of bit 0 of served_mask
    served_mask: Mapped[int] = mapped_column(BigInteger)  # bit i: checkpoint served_base + i was served
    resolved_checkpoint_end: Mapped[int | None] = mapped_column(Integer, default=None)  # first one not due
    # From `settled_at` on, nothing that happens or passes can change its verdicts: they are these.
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)  # None: still open
    settled_step1: Mapped[int] = mapped_column(SmallInteger, default=0)  # a STEP1_* code
    settled_step2: Mapped[int] = mapped_column(SmallInteger, default=0)  # a STEP2_* code
    settled_missed: Mapped[int] = mapped_column(Integer, default=0)  # checkpoints missed
    resolved_month: Mapped[int | None] = mapped_column(Integer, default=None)  # year × 12 + month − 1


class KpiFactsBuild(Base):
    """When the kept facts were last rebuilt from the log in full (one row): they are complete since."""

    __tablename__ = "kpi_facts_builds"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # always BUILD
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)


BUILD = "complete"

# A complaint's step 1 at a moment T: rejected by T (not counted at all); not acknowledged by T, its
# deadline passed or not yet; else STEP1_ACKED, + STEP1_ACK_LATE when late, + the first report's state.
STEP1_REJECTED, STEP1_ACK_MISSED, STEP1_ACK_NOT_YET, STEP1_ACKED, STEP1_ACK_LATE = 0, 1, 2, 10, 4
REPORT_ON_TIME, REPORT_MISSED, REPORT_NOT_YET, REPORT_LATE = 0, 1, 2, 3
# ... and its step 2, besides the checkpoints missed.
STEP2_RESOLVED_WITH_TEXT, STEP2_OPEN, STEP2_RESOLVED_WITHOUT_TEXT = 0, 1, 2


class KeptMoments(NamedTuple):
    """What the log says of one complaint's stint with its current unit (moments as aware datetimes)."""

    acknowledged: datetime | None
    first_progress: datetime | None
    resolved: datetime | None
    result_text: bool
    rejected: datetime | None
    progress: tuple[datetime, ...]


def moments_from_events(
    routed_at: datetime, events: Iterable[tuple[str, datetime, str | None]]
) -> KeptMoments:
    """The facts from (kind, at, text) events of the unit holding the complaint, in any order.

    Events before `routed_at` are an earlier stint (a transfer restarts the clocks) and are ignored.
    """
    ack = resolved = reopened = rejected = None
    text_ok = False
    progress: list[datetime] = []
    for kind, at, body in events:
        at = at.astimezone(UTC)
        if at < routed_at:
            continue
        if kind == "acknowledged" and (ack is None or at < ack):
            ack = at
        elif kind == "progress":
            progress.append(at)
        elif kind == "resolved" and (resolved is None or at >= resolved):
            resolved, text_ok = at, bool((body or "").strip(BLANK_CHARACTERS))
        elif kind == "reopened" and (reopened is None or at >= reopened):
            reopened = at
        elif kind == "rejected" and (rejected is None or at < rejected):
            rejected = at
    if resolved is not None and reopened is not None and reopened >= resolved:
        resolved, text_ok = None, False
    progress.sort()
    first = next((t for t in progress if ack is None or t >= ack), None)
    return KeptMoments(ack, first, resolved, text_ok, rejected, tuple(progress))


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def pack(routed_at: datetime, kept: KeptMoments) -> bytes:
    """`moments` of a row: routed, acknowledged, resolved, rejected, then the progress updates."""
    values = [
        to_micros(m) if m is not None else NONE
        for m in (routed_at, kept.acknowledged, kept.resolved, kept.rejected)
    ]
    values.extend(to_micros(p) for p in kept.progress)
    return struct.pack(f">{len(values)}q", *values)


def unpack(moments: bytes) -> tuple[int, ...]:
    return struct.unpack(f">{len(moments) >> 3}q", moments)


def _events_of(session: Session, complaint: Complaint) -> list[Any]:
    e = ComplaintEvent.__table__
    return list(
        session.execute(
            select(e.c.kind, e.c.at, e.c.text).where(
                e.c.complaint_id == complaint.id,
                e.c.district_code == complaint.district_code,
                e.c.at >= complaint.routed_at,
                e.c.kind.in_(KINDS),
            )
        )
    )


def refresh(session: Session, complaint: Complaint) -> None:
    """Rewrite the complaint's row from its events (in the caller's transaction, after the event)."""
    session.flush()  # the event just added must be in what is read
    table = ComplaintKpiFacts.__table__
    mine = table.c.complaint_id == complaint.id
    if complaint.district_code is None or complaint.routed_at is None:
        session.execute(delete(table).where(mine))  # not with any unit: in no one's KPI
        return
    routed_at = complaint.routed_at.astimezone(UTC)
    row = _row(
        complaint, routed_at, moments_from_events(routed_at, _events_of(session, complaint)), _days(session)
    )
    # Updated in place where it is (PostgreSQL keeps a row's new version on its page when it can, so a
    # table built in district order stays so), added when new.
    if session.execute(update(table).where(mine).values(row)).rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(table).values(row))


def _days(session: Session) -> DayRules:
    """The working calendar's answers, read once per transaction (`recompute_around` reads it again)."""
    days = session.info.get("kpi_facts_days")
    if days is None:
        days = session.info["kpi_facts_days"] = DayRules(load_calendar(session))
    return days  # type: ignore[no-any-return]


def _row(complaint: Any, routed_at: datetime, kept: KeptMoments, days: DayRules) -> dict[str, Any]:
    return {
        "complaint_id": complaint.id,
        "district_code": complaint.district_code,
        "routed_at": routed_at,
        "tracking_code": complaint.tracking_code,
        "category": complaint.category,
        "result_text": kept.result_text,
        "moments": pack(routed_at, kept),
        "acknowledged_at": kept.acknowledged,
        "first_progress_at": kept.first_progress,
        "resolved_at": kept.resolved,
        "rejected_at": kept.rejected,
        **deadlines(routed_at, kept, days),
    }


def deadlines(routed_at: datetime, kept: KeptMoments, days: DayRules) -> dict[str, Any]:
    """The deadline columns of a row (RULES §2-3 as `models.deadlines` keeps them).

    The first checkpoint due is the first 15th/30th after the first-progress deadline's day; an update
    serves the first checkpoint on or after its day. Without an acknowledgement the first-progress
    clock runs from the acknowledgement's deadline (the scheme's reading `first_progress_without_ack`)."""
    zone = DEFAULT_DEADLINES.zone
    ack_due_at, unacked = days.routed(routed_at.astimezone(zone).date())
    fp_due_at = first_cp = None
    if kept.acknowledged is not None:
        fp_due_at, first_cp = days.acknowledged(kept.acknowledged.astimezone(zone).date())
    base = unacked if first_cp is None else min(unacked, first_cp)
    mask = 0
    for moment in kept.progress:
        bit = days.served(moment.astimezone(zone).date()) - base
        if 0 <= bit < MASK_BITS:
            mask |= 1 << bit
    resolved_on = resolved_end = None
    if kept.resolved is not None:
        resolved_on = kept.resolved.astimezone(zone).date()
        # A checkpoint is due when the complaint is still open at the end of its day: not on the day
        # it was resolved, so the first not due is the first on or after that day.
        resolved_end = days.served(resolved_on)
    return {
        **_settled(kept, ack_due_at, fp_due_at, first_cp if first_cp is not None else unacked, days),
        "resolved_on": resolved_on,
        "ack_due_at": ack_due_at,
        "first_progress_due_at": fp_due_at,
        "first_checkpoint": first_cp,
        "first_checkpoint_unacked": unacked,
        "served_base": base,
        "served_mask": mask,
        "resolved_checkpoint_end": resolved_end,
    }


def _settled(
    kept: KeptMoments, ack_due_at: datetime, fp_due_at: datetime | None, first_cp: int, days: DayRules
) -> dict[str, Any]:
    """When the complaint's verdicts stop changing, and what they are from then on.

    Rejected: from the rejection (not counted). Else only once resolved — an open complaint misses
    another checkpoint every fortnight — and once the acknowledgement and the first report were made or
    their deadlines passed. Checkpoints: those from the first one due to the last one before the
    resolution's day, each one not served by an update."""
    zone = DEFAULT_DEADLINES.zone
    month = None
    if kept.resolved is not None:
        day = kept.resolved.astimezone(zone).date()
        month = day.year * 12 + day.month - 1
    if kept.rejected is not None:
        return _settled_row(kept.rejected, STEP1_REJECTED, STEP2_OPEN, 0, month)
    if kept.acknowledged is None:
        step1, moments = STEP1_ACK_MISSED, [ack_due_at]
    else:
        assert fp_due_at is not None
        late = STEP1_ACK_LATE if kept.acknowledged > ack_due_at else 0
        report = _first_report(kept)
        if report is None:
            step1, moments = STEP1_ACKED + late + REPORT_MISSED, [kept.acknowledged, fp_due_at]
        else:
            state = REPORT_LATE if report > fp_due_at else REPORT_ON_TIME
            step1, moments = STEP1_ACKED + late + state, [kept.acknowledged, report]
    if kept.resolved is None:
        return _settled_row(None, step1, STEP2_OPEN, 0, month)
    step2 = STEP2_RESOLVED_WITH_TEXT if kept.result_text else STEP2_RESOLVED_WITHOUT_TEXT
    end = days.served(kept.resolved.astimezone(zone).date())
    served = {days.served(p.astimezone(zone).date()) for p in kept.progress}
    missed = sum(1 for k in range(first_cp, end) if k not in served)
    return _settled_row(max([*moments, kept.resolved]), step1, step2, missed, month)


def _first_report(kept: KeptMoments) -> datetime | None:
    """The first progress update, or the resolution when it came first (a resolution is a report)."""
    reports = [m for m in (kept.first_progress, kept.resolved) if m is not None]
    return min(reports) if reports else None


def _settled_row(
    at: datetime | None, step1: int, step2: int, missed: int, month: int | None
) -> dict[str, Any]:
    return {
        "settled_at": at,
        "settled_step1": step1,
        "settled_step2": step2,
        "settled_missed": missed,
        "resolved_month": month,
    }


class DayRules:
    """The calendar's answers a row needs, by Bangkok day, each worked out once (a rebuild asks for the
    same few hundred days a million times)."""

    def __init__(self, cal: WorkingCalendar) -> None:
        self.cal = cal
        self._routed: dict[date, tuple[datetime, int]] = {}
        self._acknowledged: dict[date, tuple[datetime, int]] = {}
        self._served: dict[date, int] = {}

    def routed(self, day: date) -> tuple[datetime, int]:
        """(the acknowledgement's deadline, the first checkpoint while not acknowledged)."""
        found = self._routed.get(day)
        if found is None:
            due = ack_due(_noon(day), self.cal)
            found = self._routed[day] = (
                due.astimezone(UTC),
                self._first_after(first_progress_due(due, self.cal)),
            )
        return found

    def acknowledged(self, day: date) -> tuple[datetime, int]:
        """(the first-progress deadline, the first checkpoint due) of an acknowledgement on `day`."""
        found = self._acknowledged.get(day)
        if found is None:
            due = first_progress_due(_noon(day), self.cal)
            found = self._acknowledged[day] = (due.astimezone(UTC), self._first_after(due))
        return found

    def served(self, day: date) -> int:
        """The checkpoint an update on `day` serves: the first on or after it."""
        found = self._served.get(day)
        if found is None:
            found = self._served[day] = checkpoint_index(next_checkpoint(day))
        return found

    def _first_after(self, due: datetime) -> int:
        """The first checkpoint due once a first-progress deadline has passed: the first after its day."""
        return self.served(local_date(due) + ONE_DAY)


def _noon(day: date) -> datetime:
    """A moment on `day` in Bangkok (deadlines count from the day, not the hour)."""
    return datetime.combine(day, time(12), tzinfo=DEFAULT_DEADLINES.zone)


def kept_moments(packed: bytes, result_text: bool) -> tuple[datetime, KeptMoments]:
    """A row's routed_at and moments back from `moments` (to recompute its deadlines)."""
    values = unpack(packed)
    routed, ack, resolved, rejected = (None if v == NONE else from_micros(v) for v in values[:4])
    progress = tuple(from_micros(v) for v in values[4:])
    first = next((t for t in progress if ack is None or t >= ack), None)
    assert routed is not None
    return routed, KeptMoments(ack, first, resolved, result_text and resolved is not None, rejected, progress)


def recompute_around(session: Session, day: date) -> int:
    """After the calendar changed on `day`: the deadlines of every complaint they may move, recomputed;
    how many. A deadline is at most a few working days after the day it counts from, so a complaint
    routed or acknowledged within `CALENDAR_REACH` before `day` is the most a change can reach."""
    session.info.pop("kpi_facts_days", None)
    days = _days(session)
    f = ComplaintKpiFacts.__table__
    start = datetime.combine(day - CALENDAR_REACH, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(day + ONE_DAY, datetime.min.time(), tzinfo=UTC)
    rows = session.execute(
        select(f.c.complaint_id, f.c.moments, f.c.result_text).where(
            or_(f.c.routed_at.between(start, end), f.c.acknowledged_at.between(start, end))
        )
    ).all()
    for cid, packed, has_text in rows:
        routed_at, kept = kept_moments(packed, has_text)
        session.execute(update(f).where(f.c.complaint_id == cid).values(deadlines(routed_at, kept, days)))
    return len(rows)


CALENDAR_REACH = timedelta(days=45)  # longer than any run of holidays and weekends plus 1 + 3 working days


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def is_complete(session: Session) -> bool:
    """Whether a full rebuild has finished (from then on every event keeps the rows current)."""
    return session.get(KpiFactsBuild, BUILD) is not None


def rebuild(session: Session, batch: int = REBUILD_BATCH) -> int:
    """Every routed complaint's row recomputed from the log, in the caller's transaction; how many.

    Reads the complaints in id order with their events of the current unit, `batch` complaints at a
    time (memory stays bounded whatever the size of the log), and marks the facts complete.
    """
    table = ComplaintKpiFacts.__table__
    session.execute(delete(table))
    session.execute(delete(KpiFactsBuild.__table__))
    written = 0
    days = _days(session)
    for rows in _complaints_in_batches(session, batch):
        session.execute(insert(table), list(_rows_of(session, rows, days)))
        written += len(rows)
    session.add(KpiFactsBuild(name=BUILD, finished_at=clock.now()))
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # One district's rows together on disk (they were written in complaint order, every district
        # interleaved), and the planner's statistics of a table just refilled: without either, one
        # district's year reads a page per complaint. (VACUUM cannot run in a transaction: autovacuum.)
        session.execute(text("CLUSTER complaint_kpi_facts USING ix_complaint_kpi_facts_district_routed"))
        session.execute(text("ANALYZE complaint_kpi_facts"))
    return written


def _complaints_in_batches(session: Session, batch: int) -> Iterator[Sequence[Any]]:
    c = Complaint.__table__
    last = 0
    while True:
        rows = session.execute(
            select(c.c.id, c.c.district_code, c.c.routed_at, c.c.tracking_code, c.c.category)
            .where(c.c.id > last, c.c.district_code.is_not(None), c.c.routed_at.is_not(None))
            .order_by(c.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _rows_of(session: Session, complaints: Sequence[Any], days: DayRules) -> Iterator[dict[str, Any]]:
    e = ComplaintEvent.__table__
    events: dict[int, list[Any]] = {row.id: [] for row in complaints}
    district = {row.id: row.district_code for row in complaints}
    found = session.execute(
        select(e.c.complaint_id, e.c.district_code, e.c.kind, e.c.at, e.c.text).where(
            e.c.complaint_id.between(complaints[0].id, complaints[-1].id), e.c.kind.in_(KINDS)
        )
    )
    for cid, code, kind, at, body in found:
        if cid in events and code == district[cid]:
            events[cid].append((kind, at, body))
    for row in complaints:
        routed_at = row.routed_at.astimezone(UTC)
        yield _row(row, routed_at, moments_from_events(routed_at, events[row.id]), days)
