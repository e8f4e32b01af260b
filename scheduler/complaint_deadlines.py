"""The deadlines of one complaint, read off its event log: what is due next and by when."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from models.complaints import Complaint, ComplaintEvent, ComplaintStatus
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import ack_due, end_of_day, first_progress_due, local_date, next_checkpoint

S = ComplaintStatus


@dataclass(frozen=True)
class ComplaintDeadlines:
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    first_progress_due_at: datetime | None


@dataclass(frozen=True)
class NextDeadline:
    kind: str  # ack | first_progress | checkpoint
    due_at: datetime


def deadlines_for(
    complaint: Complaint, events: Callable[[], Iterable[ComplaintEvent]], cal: WorkingCalendar
) -> ComplaintDeadlines:
    """The stored deadlines (kept in step by every action); computed from the log for older rows.

    `events` is only called for such older rows, so listing many complaints reads no event log.
    """
    if complaint.ack_due_at is not None or complaint.routed_at is None:
        return ComplaintDeadlines(
            complaint.ack_due_at, complaint.acknowledged_at, complaint.first_progress_due_at
        )
    acknowledged_at = next((e.at for e in events() if e.kind == "acknowledged"), None)
    return ComplaintDeadlines(
        ack_due_at=ack_due(complaint.routed_at, cal),
        acknowledged_at=acknowledged_at,
        first_progress_due_at=first_progress_due(acknowledged_at, cal) if acknowledged_at else None,
    )


def next_deadline(complaint: Complaint, deadlines: ComplaintDeadlines, now: datetime) -> NextDeadline | None:
    """What the district owes next: acknowledgement, first progress, or the next 15th/30th update."""
    status = complaint.status
    if status == S.ROUTED and deadlines.ack_due_at:
        return NextDeadline("ack", deadlines.ack_due_at)
    if status == S.ACKNOWLEDGED and deadlines.first_progress_due_at:
        return NextDeadline("first_progress", deadlines.first_progress_due_at)
    if status == S.IN_PROGRESS:
        day = complaint.next_checkpoint_on or next_checkpoint(local_date(now))  # stored, or for older rows
        return NextDeadline("checkpoint", end_of_day(day))
    return None
