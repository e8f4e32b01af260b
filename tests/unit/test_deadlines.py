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
