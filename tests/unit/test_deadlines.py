"""Acknowledgement and first-progress deadlines (RULES §2), on the real Thai calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.deadlines import DeadlineSettings, ack_due, first_progress_due, local_date, next_due_checkpoint
from models.working_days import WorkingCalendar

BKK = ZoneInfo("Asia/Bangkok")


def end_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, 999999, tzinfo=BKK)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(years=[2026, 2027])


def test_rules_example_ack(cal: WorkingCalendar) -> None:
    due = ack_due(datetime(2026, 12, 4, 10, 15, tzinfo=BKK), cal)  # Fri; Sat, Sun, Mon (in lieu) off
    assert due == end_of(date(2026, 12, 8))
    assert due.utcoffset() == timedelta(hours=7)
    assert due.astimezone(UTC) == datetime(2026, 12, 8, 16, 59, 59, 999999, tzinfo=UTC)


def test_rules_example_first_progress(cal: WorkingCalendar) -> None:
    acknowledged = datetime(2026, 12, 8, 9, 0, tzinfo=BKK)  # Wed 9, (Thu 10 Constitution Day), Fri 11, Mon 14
    assert first_progress_due(acknowledged, cal) == end_of(date(2026, 12, 14))
    assert first_progress_due(acknowledged, cal, working_days=1) == end_of(date(2026, 12, 9))


def test_late_friday_evening_in_bangkok_given_in_utc(cal: WorkingCalendar) -> None:
    friday_2330 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # 23:30 Fri in Bangkok
    assert local_date(friday_2330) == date(2026, 11, 27)
    assert ack_due(friday_2330, cal) == end_of(date(2026, 11, 30))  # Mon


def test_the_bangkok_date_is_used_when_the_utc_date_is_the_day_before(cal: WorkingCalendar) -> None:
    # 00:30 Fri in Bangkok is still Thu 17:30 in UTC: counting from Thursday would give Friday.
    early_friday = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)
    assert local_date(early_friday) == date(2026, 11, 27)
    assert ack_due(early_friday, cal) == end_of(date(2026, 11, 30))
    # And the last microsecond of a Bangkok Thursday still counts from Thursday.
    assert ack_due(datetime(2026, 11, 26, 16, 59, 59, 999999, tzinfo=UTC), cal) == end_of(date(2026, 11, 27))


@pytest.mark.parametrize("day", [28, 29])  # Sat, Sun
def test_routed_on_a_weekend_is_due_on_monday(cal: WorkingCalendar, day: int) -> None:
    assert ack_due(datetime(2026, 11, day, 12, 0, tzinfo=BKK), cal) == end_of(date(2026, 11, 30))


def test_songkran_2027_pushes_both_deadlines(cal: WorkingCalendar) -> None:
    routed = datetime(2027, 4, 12, 14, 0, tzinfo=BKK)  # Mon; Tue 13 – Thu 15 Songkran
    assert ack_due(routed, cal) == end_of(date(2027, 4, 16))
    acknowledged = datetime(2027, 4, 9, 11, 0, tzinfo=BKK)  # Fri: Mon 12, Fri 16, Mon 19
    assert first_progress_due(acknowledged, cal) == end_of(date(2027, 4, 19))


def test_admin_special_holiday_shifts_the_deadline() -> None:
    cal = WorkingCalendar(years=[2026], extra_holidays={date(2026, 12, 8): "Special holiday (cabinet)"})
    assert ack_due(datetime(2026, 12, 4, 10, 0, tzinfo=BKK), cal) == end_of(date(2026, 12, 9))
    assert first_progress_due(datetime(2026, 12, 8, 9, 0, tzinfo=BKK), cal) == end_of(date(2026, 12, 14))
    assert first_progress_due(datetime(2026, 12, 7, 9, 0, tzinfo=BKK), cal) == end_of(date(2026, 12, 14))


def test_admin_working_saturday_counts() -> None:
    cal = WorkingCalendar(years=[2026], extra_working_days={date(2026, 11, 28)})
    assert ack_due(datetime(2026, 11, 27, 10, 0, tzinfo=BKK), cal) == end_of(date(2026, 11, 28))
    # Fri 27 acknowledged: Sat 28 (1), Mon 30 (2), Tue 1 Dec (3)
    assert first_progress_due(datetime(2026, 11, 27, 10, 0, tzinfo=BKK), cal) == end_of(date(2026, 12, 1))


def test_settings_change_the_counts_and_the_end_of_day(cal: WorkingCalendar) -> None:
    settings = DeadlineSettings(ack_working_days=2, first_progress_working_days=5, end_of_day=time(16, 30))
    routed = datetime(2026, 12, 4, 10, 0, tzinfo=BKK)
    assert ack_due(routed, cal, settings) == datetime(2026, 12, 9, 16, 30, tzinfo=BKK)
    acknowledged = datetime(2026, 12, 8, 10, 0, tzinfo=BKK)  # 9, 11, 14, 15, 16
    assert first_progress_due(acknowledged, cal, settings=settings) == datetime(
        2026, 12, 16, 16, 30, tzinfo=BKK
    )


def test_naive_datetimes_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        ack_due(datetime(2026, 12, 4, 10, 0), cal)
    with pytest.raises(ValueError):
        first_progress_due(datetime(2026, 12, 8, 10, 0), cal)


def test_new_year_holidays_push_both_deadlines(cal: WorkingCalendar) -> None:
    # Wed 30 Dec: Thu 31 (New Year's Eve) and Fri 1 Jan are holidays, then the weekend.
    assert ack_due(datetime(2026, 12, 30, 10, 0, tzinfo=BKK), cal) == end_of(date(2027, 1, 4))
    # Tue 29 Dec acknowledged: Wed 30 (1), Mon 4 (2), Tue 5 (3).
    assert first_progress_due(datetime(2026, 12, 29, 10, 0, tzinfo=BKK), cal) == end_of(date(2027, 1, 5))


@pytest.mark.parametrize(
    ("acknowledged", "due"),
    [
        (date(2027, 2, 25), date(2027, 3, 2)),  # Fri 26 (1), Mon 1 Mar (2), Tue 2 (3): no 29th in 2027
        (date(2028, 2, 24), date(2028, 2, 29)),  # Fri 25 (1), Mon 28 (2), Tue 29 (3): leap year
    ],
)
def test_first_progress_across_the_end_of_february(
    cal: WorkingCalendar, acknowledged: date, due: date
) -> None:
    at = datetime.combine(acknowledged, time(10, 0), tzinfo=BKK)
    assert first_progress_due(at, WorkingCalendar(years=[acknowledged.year])) == end_of(due)


@pytest.mark.parametrize(
    ("first_progress_due_on", "last_update", "reopened", "checkpoint"),
    [
        (date(2026, 12, 14), None, None, date(2026, 12, 15)),  # the first checkpoint after the deadline
        (date(2026, 12, 15), None, None, date(2026, 12, 30)),  # "after": the 15th itself is not due yet
        (date(2026, 12, 14), date(2026, 12, 15), None, date(2026, 12, 30)),  # the update met the 15th
        (date(2026, 12, 14), date(2026, 12, 16), None, date(2027, 1, 15)),  # it met the 30th early
        (date(2027, 2, 26), None, None, date(2027, 2, 28)),  # February's second checkpoint is its last day
        (date(2028, 2, 20), None, None, date(2028, 2, 29)),
        (date(2028, 2, 29), None, None, date(2028, 3, 15)),
        (date(2026, 12, 14), date(2026, 12, 15), date(2027, 3, 3), date(2027, 3, 15)),  # after a reopening
    ],
)
def test_next_checkpoint_due(
    first_progress_due_on: date, last_update: date | None, reopened: date | None, checkpoint: date
) -> None:
    update = datetime.combine(last_update, time(11, 0), tzinfo=BKK) if last_update else None
    assert next_due_checkpoint(end_of(first_progress_due_on), update, reopened) == checkpoint


# ---- checkpoints and one complaint's deadlines, without a database -------------------------------


def test_the_checkpoint_before_a_15th_is_the_previous_months_30th_or_end_of_february() -> None:
    from models.deadlines import previous_checkpoint

    assert previous_checkpoint(date(2027, 1, 15)) == date(2026, 12, 30)
    assert previous_checkpoint(date(2027, 3, 15)) == date(2027, 2, 28)
    assert previous_checkpoint(date(2028, 3, 15)) == date(2028, 2, 29)
    assert previous_checkpoint(date(2027, 2, 28)) == date(2027, 2, 15)
    assert previous_checkpoint(date(2027, 6, 30)) == date(2027, 6, 15)


def _complaint(status: str, **columns: object) -> object:
    from models import Complaint

    return Complaint(tracking_code="69-AAAAAA", citizen_id=1, description="x", status=status, **columns)


def test_stored_deadlines_are_read_without_the_event_log(cal: WorkingCalendar) -> None:
    from models.deadlines import deadlines_for

    routed = datetime(2026, 12, 4, 10, 15, tzinfo=BKK)
    stored = end_of(date(2026, 12, 8))
    complaint = _complaint("routed", routed_at=routed, ack_due_at=stored)

    def no_log() -> list[object]:
        raise AssertionError("the event log was read for a row with stored deadlines")

    found = deadlines_for(complaint, no_log, cal)  # type: ignore[arg-type]
    assert (found.ack_due_at, found.acknowledged_at, found.first_progress_due_at) == (stored, None, None)


def test_an_older_row_gets_its_deadlines_from_the_event_log(cal: WorkingCalendar) -> None:
    from models import ComplaintEvent
    from models.deadlines import deadlines_for

    routed = datetime(2026, 12, 4, 10, 15, tzinfo=BKK)  # Fri before a long weekend
    acknowledged = datetime(2026, 12, 8, 9, 0, tzinfo=BKK)
    complaint = _complaint("acknowledged", routed_at=routed)  # no stored deadline columns
    log = [ComplaintEvent(kind="routed", at=routed), ComplaintEvent(kind="acknowledged", at=acknowledged)]
    found = deadlines_for(complaint, lambda: log, cal)  # type: ignore[arg-type]
    assert found.ack_due_at == ack_due(routed, cal) == end_of(date(2026, 12, 8))
    assert found.acknowledged_at == acknowledged
    assert found.first_progress_due_at == first_progress_due(acknowledged, cal)


def test_what_is_owed_next_follows_the_status(cal: WorkingCalendar) -> None:
    from models.deadlines import ComplaintDeadlines, next_deadline

    ack, first = end_of(date(2026, 12, 8)), end_of(date(2026, 12, 11))
    deadlines = ComplaintDeadlines(ack, None, first)
    now = datetime(2026, 12, 20, 9, 0, tzinfo=BKK)
    owed = {
        status: next_deadline(_complaint(status), deadlines, now)  # type: ignore[arg-type]
        for status in ("routed", "acknowledged", "in_progress", "resolved", "rejected")
    }
    assert owed["routed"] is not None and (owed["routed"].kind, owed["routed"].due_at) == ("ack", ack)
    assert owed["acknowledged"] is not None and owed["acknowledged"].due_at == first
    progress = owed["in_progress"]
    assert progress is not None and progress.kind == "checkpoint"
    assert progress.due_at == end_of(date(2026, 12, 30))  # the next 15th/30th after the 20th
    assert owed["resolved"] is None and owed["rejected"] is None
    stored = next_deadline(_complaint("in_progress", next_checkpoint_on=date(2027, 1, 15)), deadlines, now)  # type: ignore[arg-type]
    assert stored is not None and stored.due_at == end_of(date(2027, 1, 15))
