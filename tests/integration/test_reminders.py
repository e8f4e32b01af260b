"""The reminder sweep (RULES §4) on scripted dates across Thai holidays, on every backend.

December 2026: Sat 5 is the King's birthday (Mon 7 in lieu), Thu 10 is Constitution Day.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.cli_reminders import add_parser, cmd_reminders, sweep_job
from handlers.reminder_notices import send, sweep
from models import Citizen, Complaint, MonthlyReport, Officer, OutboxMessage, ReminderSent
from models.clock import clock
from models.complaint_operations import recompute_deadlines
from models.db import transaction
from models.deadlines import ack_due, first_progress_due, local_date
from models.thai_dates import thai_date
from models.working_days import add_override, load_calendar
from scheduler.reminders import (
    ACK,
    CHECKPOINT,
    DEFAULT_REMINDERS,
    FIRST_PROGRESS,
    MONTHLY_REPORT,
    SweepReport,
    plan,
    previous_checkpoint,
    record,
)

BKK = ZoneInfo("Asia/Bangkok")
A, B = "1001", "1002"  # two districts
DEADLINES_ONLY = replace(DEFAULT_REMINDERS, enabled=frozenset({ACK, FIRST_PROGRESS}))


def bkk(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=BKK)


@dataclass
class World:
    """Complaints and officers written with the ORM, sweeps run each in their own transaction."""

    services: object
    codes: int = 0
    officers: dict[str, int] = field(default_factory=dict)

    @property
    def sessions(self):  # type: ignore[no-untyped-def]
        return self.services.sessions  # type: ignore[attr-defined]

    def officer(
        self, name: str, district: str = A, role: str = "officer", line: bool = True, active: bool = True
    ) -> str:
        with transaction(self.sessions) as s:
            row = Officer(
                district_code=district,
                name=name,
                role=role,
                line_user_id=f"U{name}" if line else None,
                active=active,
                created_at=bkk(2026, 11, 1),
            )
            s.add(row)
            s.flush()
            self.officers[name] = row.id
        return f"U{name}"

    def complaint(
        self,
        district: str = A,
        routed_at: datetime | None = None,
        acknowledged_at: datetime | None = None,
        status: str | None = None,
        last_progress_at: datetime | None = None,
        category: str | None = "ถนน",
    ) -> tuple[int, str]:
        with transaction(self.sessions) as s:
            cal = load_calendar(s)
            citizen = s.scalar(select(Citizen).where(Citizen.line_user_id == "Ucitizen"))
            if citizen is None:
                citizen = Citizen(
                    line_user_id="Ucitizen", created_at=bkk(2026, 1, 1), updated_at=bkk(2026, 1, 1)
                )
                s.add(citizen)
                s.flush()
            self.codes += 1
            code = f"69-T{self.codes:05d}"
            routed_at = routed_at or bkk(2026, 11, 2)
            row = Complaint(
                tracking_code=code,
                citizen_id=citizen.id,
                district_code=district,
                category=category,
                description="ถนนชำรุด",
                status=status or ("acknowledged" if acknowledged_at else "routed"),
                created_at=routed_at,
                routed_at=routed_at,
                ack_due_at=ack_due(routed_at, cal),
                acknowledged_at=acknowledged_at,
                first_progress_due_at=first_progress_due(acknowledged_at, cal) if acknowledged_at else None,
                last_progress_at=last_progress_at,
                first_progress_at=last_progress_at,
            )
            s.add(row)
            s.flush()
            return row.id, code

    def set(self, complaint_id: int, **values: object) -> None:
        with transaction(self.sessions) as s:
            row = s.get(Complaint, complaint_id)
            for k, v in values.items():
                setattr(row, k, v)

    def report(self, district: str, month: str) -> None:
        with transaction(self.sessions) as s:
            s.add(MonthlyReport(district_code=district, month=month, submitted_at=bkk(2026, 12, 1)))

    def holiday(self, day: date, at: datetime) -> int:
        """An admin declares a special holiday; deadlines are recomputed as the admin command does."""
        with transaction(self.sessions) as s:
            add_override(s, day, "holiday", "special holiday", at)
            return recompute_deadlines(s, load_calendar(s))

    def sweep(self, at: datetime, settings=DEFAULT_REMINDERS, **kw) -> SweepReport:  # type: ignore[no-untyped-def]
        with transaction(self.sessions) as s:
            return sweep(s, at, load_calendar(s), settings=settings, **kw)

    def outbox(self) -> list[tuple[str, str]]:
        with transaction(self.sessions) as s:
            rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            return [(r.to, json.loads(r.messages)[0]["text"]) for r in rows]

    def count(self, model: type) -> int:
        with transaction(self.sessions) as s:
            return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def world(services) -> World:  # type: ignore[no-untyped-def]
    return World(services)


def kinds(report: SweepReport) -> list[tuple[str, str]]:
    return sorted((d.kind, d.subject) for d in report.sent)


def to(report: SweepReport) -> list[str]:
    return sorted(p.to for p in report.pushes)


# ---- acknowledgement across the December holidays ----------------------------------------------------


def test_ack_reminders_before_due_overdue_each_once_across_the_holidays(world):
    officer = world.officer("somchai")
    head = world.officer("head", role="head")
    cid, code = world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))  # Fri, before 09:00
    with transaction(world.sessions) as s:
        cal = load_calendar(s)
        assert s.get(Complaint, cid).ack_due_at == datetime(2026, 12, 8, 23, 59, 59, 999999, tzinfo=BKK)
    # Mon 7 is the in-lieu day of Sat 5: the working day before Tue 8 is Fri 4.
    assert not cal.is_working_day(date(2026, 12, 7))
    assert cal.add_working_days(date(2026, 12, 8), -1) == date(2026, 12, 4)
    assert cal.add_working_days(date(2026, 12, 8), 1) == date(2026, 12, 9)
    subject = f"complaint:{cid}"

    first = world.sweep(bkk(2026, 12, 7), DEADLINES_ONLY)  # the worker's first sweep since Friday
    assert kinds(first) == [("ack_before", subject)]
    assert to(first) == [officer]  # "before" is for the officers, not the head
    text = first.pushes[0].text
    assert code in text and "ถนน" in text and thai_date(date(2026, 12, 8)) == "8 ธ.ค. 2569" in text
    assert "ใกล้ครบกำหนดรับเรื่อง 1 เรื่องค่ะ" in text
    for again in (bkk(2026, 12, 7), bkk(2026, 12, 7, 9, 5), bkk(2026, 12, 7, 17, 0)):
        assert world.sweep(again, DEADLINES_ONLY).sent == []

    due = world.sweep(bkk(2026, 12, 8), DEADLINES_ONLY)
    assert kinds(due) == [("ack_due", subject)] and to(due) == [officer]
    assert "ครบกำหนดรับเรื่องวันนี้ 1 เรื่อง" in due.pushes[0].text
    assert world.sweep(bkk(2026, 12, 8, 9, 5), DEADLINES_ONLY).sent == []

    overdue = world.sweep(bkk(2026, 12, 9), DEADLINES_ONLY)
    assert kinds(overdue) == [("ack_overdue", subject)]
    assert to(overdue) == sorted([officer, head])  # told when it has passed, the head too
    assert world.sweep(bkk(2026, 12, 9, 9, 5), DEADLINES_ONLY).sent == []
    assert world.sweep(bkk(2026, 12, 11), DEADLINES_ONLY).sent == []

    assert [to_ for to_, _ in world.outbox()] == [officer, officer, officer, head]
    with transaction(world.sessions) as s:
        rows = s.execute(select(ReminderSent.kind, ReminderSent.due_on, ReminderSent.recipients)).all()
    assert sorted(rows) == [
        ("ack_before", date(2026, 12, 8), 1),
        ("ack_due", date(2026, 12, 8), 1),
        ("ack_overdue", date(2026, 12, 8), 2),
    ]


def test_no_before_reminder_for_a_complaint_routed_after_its_moment(world):
    officer = world.officer("somchai")
    cid, _ = world.complaint(routed_at=bkk(2026, 12, 4, 10, 0))  # Fri 10:00, after the "before" moment
    assert world.sweep(bkk(2026, 12, 4, 10, 1), DEADLINES_ONLY).sent == []
    assert world.sweep(bkk(2026, 12, 7), DEADLINES_ONLY).sent == []
    assert to(world.sweep(bkk(2026, 12, 8), DEADLINES_ONLY)) == [officer]


def test_after_a_pause_only_the_latest_meaningful_stage_goes_out(world):
    world.officer("somchai")
    world.officer("head", role="head")
    early, _ = world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    late, _ = world.complaint(routed_at=bkk(2026, 12, 4, 8, 30))
    # The due day has begun but its 09:00 has not come: "before" is over, "due" not yet.
    assert world.sweep(bkk(2026, 12, 8, 0, 1), DEADLINES_ONLY).sent == []
    report = world.sweep(bkk(2026, 12, 8, 15, 0), DEADLINES_ONLY)  # down since Friday morning
    assert {d.kind for d in report.sent} == {"ack_due"}
    world.set(late, status="routed")  # untouched; the deadline passes at midnight
    assert world.sweep(bkk(2026, 12, 9, 0, 30), DEADLINES_ONLY).sent == []  # passed, overdue not yet
    assert {d.kind for d in world.sweep(bkk(2026, 12, 9), DEADLINES_ONLY).sent} == {"ack_overdue"}
    # A complaint first seen after its overdue moment gets the overdue reminder only.
    third, _ = world.complaint(routed_at=bkk(2026, 12, 4, 8, 45))
    world.set(early, status="acknowledged")
    report = world.sweep(bkk(2026, 12, 11, 10, 0), DEADLINES_ONLY)
    assert kinds(report) == [("ack_overdue", f"complaint:{third}")]


def test_a_second_worker_sends_nothing(world):
    world.officer("somchai")
    world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    at = bkk(2026, 12, 8)
    with transaction(world.sessions) as s:  # a second worker plans before the first one commits ...
        stale = plan(s, at, load_calendar(s), DEADLINES_ONLY)
    assert [d.kind for d in stale] == ["ack_due"]
    assert len(world.sweep(at, DEADLINES_ONLY).pushes) == 1  # ... the first one sends ...
    with transaction(world.sessions) as s:  # ... and the second one's insert is ignored: nothing sent
        late = send(s, at, stale)
    assert late.sent == [] and late.pushes == [] and [d.kind for d in late.taken] == ["ack_due"]
    assert len(world.outbox()) == 1
    assert world.sweep(at, DEADLINES_ONLY).sent == []


def test_recording_many_keys_at_once_returns_only_the_new_ones(world):
    world.officer("somchai")
    for _ in range(4):
        world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    at = bkk(2026, 12, 8)
    with transaction(world.sessions) as s:
        items = plan(s, at, load_calendar(s), DEADLINES_ONLY)
    assert len(items) == 4
    with transaction(world.sessions) as s:  # another sweep recorded two of them first
        assert record(s, items[1:3], {}, at) == {i.key for i in items[1:3]}
    with transaction(world.sessions) as s:
        report = send(s, at, items, settings=DEADLINES_ONLY)
    assert [d.key for d in report.sent] == [items[0].key, items[3].key]
    assert [d.key for d in report.taken] == [items[1].key, items[2].key]
    (push,) = report.pushes
    assert push.counts == {"ack_due": 2}
    assert world.count(ReminderSent) == 4


def test_two_workers_sweeping_at_once_send_each_reminder_once(world):
    world.officer("somchai")
    world.officer("malee")
    for _ in range(3):
        world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    at = bkk(2026, 12, 8)
    start = threading.Barrier(4)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(5)
            reports.append(world.sweep(at, DEADLINES_ONLY))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sum(len(r.sent) for r in reports) == 3
    assert sorted(to_ for to_, _ in world.outbox()) == ["Umalee", "Usomchai"]
    assert world.count(ReminderSent) == 3


# ---- who gets what ---------------------------------------------------------------------------------


def test_deactivated_officers_and_officers_without_line_get_nothing(world, caplog):
    officer = world.officer("somchai")
    world.officer("gone", active=False)
    world.officer("nolink", line=False)
    world.officer("lonely", district=B, active=False)
    world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    orphan, _ = world.complaint(district=B, routed_at=bkk(2026, 12, 4, 8, 0))
    with caplog.at_level(logging.WARNING, logger="scheduler.reminders"):
        report = world.sweep(bkk(2026, 12, 8), DEADLINES_ONLY)
    assert to(report) == [officer]
    assert [to_ for to_, _ in world.outbox()] == [officer]
    assert [d.subject for d in report.unreachable] == [f"complaint:{orphan}"]
    assert any("1002" in r.getMessage() and "no active officer" in r.getMessage() for r in caplog.records)
    with transaction(world.sessions) as s:  # recorded all the same, so it is not tried again and again
        assert (
            s.scalar(select(ReminderSent.recipients).where(ReminderSent.subject == f"complaint:{orphan}"))
            == 0
        )
    assert world.sweep(bkk(2026, 12, 8, 9, 5), DEADLINES_ONLY).sent == []


def test_one_push_per_officer_lists_all_their_complaints(world):
    officers = [world.officer("somchai"), world.officer("malee")]
    other = world.officer("dusit", district=B)
    codes = [world.complaint(routed_at=bkk(2026, 12, 4, 8, 0), category=None)[1] for _ in range(5)]
    b_code = world.complaint(district=B, routed_at=bkk(2026, 12, 4, 8, 0))[1]
    report = world.sweep(bkk(2026, 12, 8), DEADLINES_ONLY)
    assert len(report.sent) == 6
    outbox = world.outbox()
    assert sorted(t for t, _ in outbox) == sorted([*officers, other])  # one row each
    for officer in officers:
        (body,) = [text for t, text in outbox if t == officer]
        assert all(code in body for code in codes) and b_code not in body
        assert "ครบกำหนดรับเรื่องวันนี้ 5 เรื่องค่ะ" in body and "ไม่ระบุประเภท" in body
        assert "สำนักงานเขตพระนคร" in body
    (body,) = [text for t, text in outbox if t == other]
    assert b_code in body and not any(code in body for code in codes)
    push = next(p for p in report.pushes if p.to == officers[0])
    assert push.counts == {"ack_due": 5}


def test_a_long_list_stays_within_line_limits(world):
    world.officer("somchai")
    codes = [world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))[1] for _ in range(45)]
    (push,) = world.sweep(bkk(2026, 12, 8), DEADLINES_ONLY).pushes
    assert len(push.text) < 5000
    assert sum(code in push.text for code in codes) == 30
    assert "ครบกำหนดรับเรื่องวันนี้ 45 เรื่องค่ะ" in push.text and "และอีก 15 เรื่องค่ะ" in push.text


# ---- first progress, and the 15th/30th -------------------------------------------------------------------


def test_first_progress_reminders_and_the_checkpoint_they_lead_into(world):
    officer = world.officer("somchai")
    head = world.officer("head", role="head")
    world.report(A, "2026-11")
    # Acknowledged Tue 8 → Wed 9 (1), Thu 10 Constitution Day, Fri 11 (2), Mon 14 (3): due Mon 14.
    cid, code = world.complaint(routed_at=bkk(2026, 12, 4, 8, 0), acknowledged_at=bkk(2026, 12, 8, 10, 0))
    with transaction(world.sessions) as s:
        due_at = s.get(Complaint, cid).first_progress_due_at
    assert local_date(due_at) == date(2026, 12, 14)
    subject = f"complaint:{cid}"
    assert world.sweep(bkk(2026, 12, 8, 11, 0), DEADLINES_ONLY).sent == []  # the ack reminders stop
    assert world.sweep(bkk(2026, 12, 11, 8, 59), DEADLINES_ONLY).sent == []
    before = world.sweep(bkk(2026, 12, 11), replace(DEFAULT_REMINDERS, enabled=frozenset({FIRST_PROGRESS})))
    assert kinds(before) == [("first_progress_before", subject)] and to(before) == [officer]
    # Mon 14 09:00: due today, and Mon 14 is also the working day before the 15th's checkpoint, which is
    # due for this complaint (15 Dec is after its first-progress deadline): both in one push.
    due = world.sweep(bkk(2026, 12, 14))
    assert {(d.kind, d.subject) for d in due.sent if d.district_code == A} == {
        ("first_progress_due", subject),
        ("checkpoint_before", f"district:{A}"),
    }
    (push,) = due.pushes
    assert push.to == officer and push.counts == {"first_progress_due": 1, "checkpoint_before": 1}
    assert push.text.count(code) == 2 and "15 ธ.ค. 2569" in push.text
    overdue = world.sweep(bkk(2026, 12, 15))
    assert {d.kind for d in overdue.sent if d.district_code == A} == {
        "first_progress_overdue",
        "checkpoint_day",
    }
    assert to(overdue) == sorted([officer, head])
    head_text = next(p.text for p in overdue.pushes if p.to == head)
    assert "เลยกำหนดรายงานความคืบหน้าครั้งแรกแล้ว" in head_text and "ครบรอบรายงาน" not in head_text
    assert world.sweep(bkk(2026, 12, 15, 9, 5)).sent == []


def test_checkpoint_lists_the_complaints_not_yet_updated(world):
    world.report(A, "2026-12")
    world.report(B, "2026-12")
    officer_a = world.officer("somchai")
    officer_b = world.officer("dusit", district=B)
    ack = bkk(2026, 12, 1, 10, 0)  # first progress due Fri 4 Dec
    stale, stale_code = world.complaint(
        acknowledged_at=ack, status="in_progress", last_progress_at=bkk(2026, 12, 20)
    )
    _, fresh_code = world.complaint(
        acknowledged_at=ack, status="in_progress", last_progress_at=bkk(2027, 1, 5)
    )
    _, silent_code = world.complaint(acknowledged_at=ack, status="acknowledged")
    _, young_code = world.complaint(acknowledged_at=bkk(2027, 1, 12, 10, 0))  # first progress due Fri 15 Jan
    _, done_code = world.complaint(acknowledged_at=ack, status="resolved")
    _, b_code = world.complaint(district=B, acknowledged_at=ack, status="in_progress")
    assert previous_checkpoint(date(2027, 1, 15)) == date(2026, 12, 30)
    checkpoints = replace(DEFAULT_REMINDERS, enabled=frozenset({CHECKPOINT}))
    assert world.sweep(bkk(2027, 1, 13, 17, 0), checkpoints).sent == []
    assert world.sweep(bkk(2027, 1, 14, 8, 59), checkpoints).sent == []
    before = world.sweep(bkk(2027, 1, 14), checkpoints)  # Thu 14, the working day before Fri 15
    assert kinds(before) == [("checkpoint_before", f"district:{A}"), ("checkpoint_before", f"district:{B}")]
    texts = {p.to: p.text for p in before.pushes}
    assert stale_code in texts[officer_a] and silent_code in texts[officer_a]
    for absent in (fresh_code, young_code, done_code, b_code):
        assert absent not in texts[officer_a]
    assert "ยังไม่ได้รายงาน 2 เรื่องค่ะ" in texts[officer_a] and "15 ม.ค. 2570" in texts[officer_a]
    assert b_code in texts[officer_b]
    assert world.sweep(bkk(2027, 1, 14, 16, 0), checkpoints).sent == []
    world.set(stale, last_progress_at=bkk(2027, 1, 14, 15, 0))  # updated after the reminder
    day = world.sweep(bkk(2027, 1, 15), checkpoints)
    text_a = next(p.text for p in day.pushes if p.to == officer_a)
    assert silent_code in text_a and stale_code not in text_a and "ยังไม่ได้รายงาน 1 เรื่องค่ะ" in text_a
    assert world.sweep(bkk(2027, 1, 15, 18, 0), checkpoints).sent == []
    assert world.sweep(bkk(2027, 1, 16), checkpoints).sent == []


def test_the_february_checkpoint_is_the_28th(world):
    officer = world.officer("somchai")
    old, old_code = world.complaint(
        acknowledged_at=bkk(2027, 1, 4, 10, 0), status="in_progress", last_progress_at=bkk(2027, 2, 10)
    )
    _, met_code = world.complaint(
        acknowledged_at=bkk(2027, 1, 4, 10, 0), status="in_progress", last_progress_at=bkk(2027, 2, 16)
    )
    checkpoints = replace(DEFAULT_REMINDERS, enabled=frozenset({CHECKPOINT}))
    assert previous_checkpoint(date(2027, 2, 28)) == date(2027, 2, 15)
    assert previous_checkpoint(date(2027, 3, 15)) == date(2027, 2, 28)
    # Sun 28 Feb: the working day before is Fri 26.
    assert world.sweep(bkk(2027, 2, 25), checkpoints).sent == []
    before = world.sweep(bkk(2027, 2, 26), checkpoints)
    assert [(d.kind, d.due_on) for d in before.sent] == [("checkpoint_before", date(2027, 2, 28))]
    (push,) = before.pushes
    assert push.to == officer and old_code in push.text and met_code not in push.text
    assert "28 ก.พ. 2570" in push.text
    day = world.sweep(bkk(2027, 2, 28), checkpoints)
    assert [(d.kind, d.due_on) for d in day.sent] == [("checkpoint_day", date(2027, 2, 28))]
    assert world.sweep(bkk(2027, 3, 1), checkpoints).sent == []  # no 30th/31st in February
    assert world.sweep(bkk(2027, 3, 11), checkpoints).sent == []
    assert [(d.kind, d.due_on) for d in world.sweep(bkk(2027, 3, 12), checkpoints).sent] == [
        ("checkpoint_before", date(2027, 3, 15))  # Fri 12 is the working day before Mon 15
    ]


# ---- the monthly report --------------------------------------------------------------------------------


def test_monthly_report_reminders_on_the_5th_and_9th_until_submitted(world):
    officer_a = world.officer("somchai")
    head_a = world.officer("head", role="head")
    officer_b = world.officer("dusit", district=B)
    reports = replace(DEFAULT_REMINDERS, enabled=frozenset({MONTHLY_REPORT}))
    assert world.sweep(bkk(2026, 12, 4, 17, 0), reports).sent == []
    assert world.sweep(bkk(2026, 12, 5, 8, 59), reports).sent == []
    fifth = world.sweep(bkk(2026, 12, 5), reports)  # a Saturday: the 5th is the 5th
    assert len(fifth.sent) == 50 and {d.kind for d in fifth.sent} == {"monthly_report_5"}
    assert {d.due_on for d in fifth.sent} == {date(2026, 11, 1)}
    assert to(fifth) == sorted([officer_a, head_a, officer_b])
    assert len(fifth.unreachable) == 48  # recorded with nobody to tell
    text = next(p.text for p in fifth.pushes if p.to == officer_a)
    assert "รายงานประจำเดือน พ.ย. 2569" in text and "10 ธ.ค. 2569" in text
    assert world.sweep(bkk(2026, 12, 7), reports).sent == []
    world.report(A, "2026-11")
    ninth = world.sweep(bkk(2026, 12, 9), reports)
    assert len(ninth.sent) == 49 and f"district:{A}" not in {d.subject for d in ninth.sent}
    assert to(ninth) == [officer_b]
    world.report(B, "2026-11")
    assert world.sweep(bkk(2026, 12, 10), reports).sent == []
    assert world.sweep(bkk(2026, 12, 31, 23, 0), reports).sent == []
    assert world.sweep(bkk(2027, 1, 4), reports).sent == []
    january = world.sweep(bkk(2027, 1, 5), reports)  # now for December
    assert {d.due_on for d in january.sent} == {date(2026, 12, 1)} and len(january.sent) == 50


def test_a_worker_down_over_the_5th_sends_the_9th_only(world):
    world.officer("somchai")
    reports = replace(DEFAULT_REMINDERS, enabled=frozenset({MONTHLY_REPORT}))
    assert {d.kind for d in world.sweep(bkk(2026, 12, 9, 11, 0), reports).sent} == {"monthly_report_9"}
    assert world.sweep(bkk(2026, 12, 9, 11, 5), reports).sent == []


# ---- holidays declared late ------------------------------------------------------------------------------


def test_a_holiday_added_afterwards_does_not_send_past_reminders_again(world):
    officer = world.officer("somchai")
    cid, _ = world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    assert [d.kind for d in world.sweep(bkk(2026, 12, 4), DEADLINES_ONLY).sent] == ["ack_before"]
    assert [d.kind for d in world.sweep(bkk(2026, 12, 8), DEADLINES_ONLY).sent] == ["ack_due"]
    # At noon on Tue 8 the cabinet makes Tue 8 a holiday: the deadline moves to Wed 9, whose "before"
    # moment (Fri 4, 09:00) is long past and was covered: nothing now.
    assert world.holiday(date(2026, 12, 8), bkk(2026, 12, 8, 12, 0)) == 1
    assert world.sweep(bkk(2026, 12, 8, 12, 5), DEADLINES_ONLY).sent == []
    # Wed 9 is the new due day (a new deadline, so "due today" again), overdue on Fri 11 (Thu 10 is off).
    assert [(d.kind, d.due_on) for d in world.sweep(bkk(2026, 12, 9), DEADLINES_ONLY).sent] == [
        ("ack_due", date(2026, 12, 9))
    ]
    assert world.sweep(bkk(2026, 12, 10), DEADLINES_ONLY).sent == []
    assert [d.kind for d in world.sweep(bkk(2026, 12, 11), DEADLINES_ONLY).sent] == ["ack_overdue"]
    # Then Wed 9, already past, is declared a holiday too: the deadline moves to Fri 11, but its moments
    # are behind what was sent, and the officers were already told it is late.
    assert world.holiday(date(2026, 12, 9), bkk(2026, 12, 11, 10, 0)) == 1
    with transaction(world.sessions) as s:
        assert local_date(s.get(Complaint, cid).ack_due_at) == date(2026, 12, 11)
    for at in (bkk(2026, 12, 11, 10, 5), bkk(2026, 12, 14), bkk(2026, 12, 15)):
        assert world.sweep(at, DEADLINES_ONLY).sent == []
    assert [t for t, _ in world.outbox()] == [officer] * 4


def test_a_transferred_complaint_starts_over_for_its_new_district(world):
    world.officer("somchai")
    dusit = world.officer("dusit", district=B)
    cid, _ = world.complaint(routed_at=bkk(2026, 12, 1, 8, 0))  # due Wed 2
    assert [d.kind for d in world.sweep(bkk(2026, 12, 3), DEADLINES_ONLY).sent] == ["ack_overdue"]
    with transaction(world.sessions) as s:
        cal = load_calendar(s)
    world.set(
        cid,
        district_code=B,
        routed_at=bkk(2026, 12, 3, 10, 0),
        ack_due_at=ack_due(bkk(2026, 12, 3, 10, 0), cal),
    )
    report = world.sweep(bkk(2026, 12, 4), DEADLINES_ONLY)  # due Fri 4 for district B now
    assert [(d.kind, d.district_code) for d in report.sent] == [("ack_due", B)] and to(report) == [dusit]


# ---- dry run, the command, the scheduler's job -------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_shows_what_would_be_sent(world):
    officer = world.officer("somchai")
    world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    dry = world.sweep(bkk(2026, 12, 9), dry_run=True)
    assert dry.dry_run and to(dry) == [officer] and len(dry.sent) == 51  # overdue + 50 report reminders
    assert world.count(ReminderSent) == 0 and world.outbox() == []
    real = world.sweep(bkk(2026, 12, 9))
    assert [p.text for p in real.pushes] == [p.text for p in dry.pushes]
    assert world.count(ReminderSent) == 51 and len(world.outbox()) == 1


def test_a_naive_moment_is_refused(world):
    with pytest.raises(ValueError, match="timezone-aware"):
        world.sweep(datetime(2026, 12, 8, 9, 0))


def run_command(settings, *argv: str) -> int:  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser(prog="rongtook")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return cmd_reminders(settings, parser.parse_args(["reminders", "run", *argv]))


def test_the_command_prints_one_line_per_recipient(world, settings, capsys):
    world.officer("somchai")
    world.officer("head", role="head")
    for month in ("2026-11",):
        world.report(A, month)
    world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    assert run_command(settings, "--at", "2026-12-09T09:00:00+07:00", "--dry-run") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Uhead ") or out[0].startswith("Usomchai ")
    assert "Usomchai  somchai (1001 officer): ack_overdue 1" in out
    assert "Uhead  head (1001 head): ack_overdue 1" in out
    assert "would send 50 reminders in 2 pushes; 49 with no active officer on LINE" in out[-1]
    assert world.count(ReminderSent) == 0
    assert run_command(settings, "--at", "2026-12-09T09:00:00+07:00") == 0
    assert "sent 50 reminders in 2 pushes" in capsys.readouterr().out
    before = clock.now()
    with transaction(world.sessions) as s:  # queued for now, not for the replayed moment
        rows = s.scalars(select(OutboxMessage)).all()
    assert len(rows) == 2 and all(abs(r.next_attempt_at - before) < timedelta(minutes=1) for r in rows)
    assert run_command(settings, "--at", "2026-12-09T09:05:00+07:00") == 0
    assert "sent 0 reminders in 0 pushes" in capsys.readouterr().out


def test_the_command_refuses_a_moment_without_a_zone(settings, capsys):
    with pytest.raises(SystemExit):
        run_command(settings, "--at", "2026-12-09T09:00:00")
    assert "time zone" in capsys.readouterr().err


def test_the_scheduler_job_sweeps_only_in_the_lease_holder(world):
    world.officer("somchai")
    world.complaint(routed_at=bkk(2026, 12, 4, 8, 0))
    at = bkk(2026, 12, 8)
    first = sweep_job(world.sessions, lambda: at, "host:1", settings=DEADLINES_ONLY)
    assert first is not None and [d.kind for d in first.sent] == ["ack_due"]
    assert (
        sweep_job(world.sessions, lambda: at + timedelta(minutes=1), "host:2", settings=DEADLINES_ONLY)
        is None
    )
    assert sweep_job(world.sessions, lambda: at + timedelta(minutes=1), "host:1", settings=DEADLINES_ONLY)
    # host:1 dies; after the lease's 5 minutes host:2 takes over, and nothing goes out twice.
    taken_over = sweep_job(
        world.sessions, lambda: at + timedelta(minutes=7), "host:2", settings=DEADLINES_ONLY
    )
    assert taken_over is not None and taken_over.sent == []
    assert len(world.outbox()) == 1
