"""What counts as overdue (models.deadlines), one rule for the staff web, the reminders and the reports;
and the lifecycle's statuses after each event, which the reports replay. Pure: no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kpi.reports import _replay
from models.complaint_lifecycle import (
    EVENT_OF_ACTION,
    OPEN,
    OPEN_VALUES,
    STATUS_AFTER_EVENT,
    TRANSITIONS,
    next_status,
)
from models.complaints import Complaint, ComplaintStatus
from models.deadlines import OVERDUE_KINDS, complaint_overdue, is_overdue, overdue_condition, was_late

S = ComplaintStatus
BKK = ZoneInfo("Asia/Bangkok")
DUE = datetime(2026, 12, 8, 23, 59, 59, 999999, tzinfo=BKK)  # the end of the due day
TICK = timedelta(microseconds=1)


def test_a_deadline_is_met_until_its_last_moment_and_overdue_after() -> None:
    assert not is_overdue(DUE, DUE - timedelta(hours=12))
    assert not is_overdue(DUE, DUE)  # the last microsecond of the day is still on time
    assert is_overdue(DUE, DUE + TICK)
    assert is_overdue(DUE, DUE + timedelta(days=3))
    assert not is_overdue(None, DUE + timedelta(days=3))  # no deadline (not running): never overdue


def test_done_is_never_overdue_but_may_have_been_late() -> None:
    later = DUE + timedelta(days=2)
    assert not is_overdue(DUE, later, done_at=DUE - timedelta(days=1))
    assert not is_overdue(DUE, later, done_at=DUE + TICK)
    assert not was_late(DUE, DUE)
    assert was_late(DUE, DUE + TICK)
    assert not was_late(DUE, None)
    assert not was_late(None, DUE)


def complaint(status: S, **columns: object) -> Complaint:
    return Complaint(status=status.value, **columns)


@pytest.mark.parametrize("status", list(S))
def test_ack_is_overdue_only_while_waiting_for_it(status: S) -> None:
    c = complaint(status, ack_due_at=DUE)
    assert complaint_overdue("ack", c, DUE + TICK) is (status == S.ROUTED)
    assert not complaint_overdue("ack", c, DUE)


def test_first_progress_is_overdue_while_open_and_not_reported() -> None:
    c = complaint(S.ACKNOWLEDGED, first_progress_due_at=DUE)
    assert not complaint_overdue("first_progress", c, DUE)
    assert complaint_overdue("first_progress", c, DUE + TICK)
    c.first_progress_at = DUE + timedelta(days=1)
    assert not complaint_overdue("first_progress", c, DUE + timedelta(days=2))  # late, but done
    for closed in (S.RESOLVED, S.REJECTED):
        assert not complaint_overdue(
            "first_progress", complaint(closed, first_progress_due_at=DUE), DUE + TICK
        )


def test_a_checkpoint_is_overdue_once_its_bangkok_day_is_over() -> None:
    c = complaint(S.IN_PROGRESS, next_checkpoint_on=date(2026, 12, 15))
    end = datetime(2026, 12, 15, 23, 59, 59, 999999, tzinfo=BKK)
    assert not complaint_overdue("checkpoint", c, end)
    assert complaint_overdue("checkpoint", c, end + TICK)
    assert complaint_overdue("checkpoint", c, (end + TICK).astimezone(ZoneInfo("UTC")))  # 17:00 UTC
    assert not complaint_overdue("checkpoint", complaint(S.IN_PROGRESS), end + TICK)  # none due
    assert not complaint_overdue(
        "checkpoint", complaint(S.RESOLVED, next_checkpoint_on=date(2026, 12, 15)), end
    )


def test_every_kind_has_its_sql_twin() -> None:
    for kind in OVERDUE_KINDS:
        assert str(overdue_condition(kind, DUE))  # builds without a database


def test_open_statuses_have_one_home() -> None:
    assert tuple(s.value for s in OPEN) == OPEN_VALUES
    assert set(OPEN) == set(S) - {S.RESOLVED, S.REJECTED}


def test_each_event_leaves_the_status_its_action_moves_to() -> None:
    assert set(EVENT_OF_ACTION) == {action for action, _ in TRANSITIONS}
    for (action, before), after in TRANSITIONS.items():
        assert STATUS_AFTER_EVENT[EVENT_OF_ACTION[action]] == after == next_status(action, before)


def test_the_reports_replay_the_lifecycle() -> None:
    routed = datetime(2026, 11, 2, 9, tzinfo=BKK)
    log = [("acknowledged", 1), ("progress", 2), ("resolved", 5), ("reopened", 7), ("progress", 8)]
    events = [(kind, routed + timedelta(days=d)) for kind, d in log]
    status = S.ROUTED
    for n in range(len(events) + 1):
        state = _replay(routed, events[:n])
        if n:
            kind = events[n - 1][0]
            action = next(a for a, e in EVENT_OF_ACTION.items() if e == kind)
            status = next_status(action, status)
        assert state.status == status.value
        assert state.is_open is (status in OPEN)
    assert state.changes == [(events[2][1], False), (events[3][1], True)]
    assert _replay(routed, [("rejected", routed)]).is_open is False
