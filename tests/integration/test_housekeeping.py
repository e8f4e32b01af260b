"""Housekeeping of the queues (every backend)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.jobs import build_scheduler
from models import InboxEvent
from models.clock import clock
from models.db import transaction
from models.outbox import enqueue
from scheduler.housekeeping import purge_done_inbox, queue_counts


def add_inbox(session, event_id: str, status: str, finished: datetime | None) -> InboxEvent:  # type: ignore[no-untyped-def]
    now = clock.now()
    row = InboxEvent(
        webhook_event_id=event_id,
        event_type="message",
        event_at=now,
        received_at=now,
        payload="{}",
        chat_key="U1",
        status=status,
        attempts=1,
        next_attempt_at=now,
        finished_at=finished,
    )
    session.add(row)
    session.flush()
    return row


def test_only_old_handled_inbox_rows_are_purged(services):
    now = clock.now()
    with transaction(services.sessions) as session:
        add_inbox(session, "old-done", "done", now - timedelta(days=31))
        add_inbox(session, "recent-done", "done", now - timedelta(days=2))
        add_inbox(session, "old-failed", "failed", now - timedelta(days=31))
        add_inbox(session, "pending", "pending", None)
        answered = add_inbox(session, "old-answered", "done", now - timedelta(days=40))
        enqueue(session, "U1", [{"type": "text", "text": "x"}], now=now, inbox_id=answered.id)
    with transaction(services.sessions) as session:
        assert purge_done_inbox(session, now) == 1
        left = set(session.scalars(select(InboxEvent.webhook_event_id)))
        assert left == {"recent-done", "old-failed", "pending", "old-answered"}
        assert queue_counts(session) == {
            "inbox": {"done": 2, "failed": 1, "pending": 1},
            "outbox": {"pending": 1},
        }


def test_scheduler_has_the_housekeeping_job_in_bangkok_time(services):
    scheduler = build_scheduler(services.engine, services.sessions)
    job = scheduler.get_job("housekeeping")
    assert job is not None
    assert str(scheduler.timezone) == "Asia/Bangkok"


def test_sqlite_write_ahead_log_is_checkpointed(services):
    from scheduler.housekeeping import checkpoint_sqlite

    with transaction(services.sessions) as session:
        for i in range(50):
            add_inbox(session, f"e{i}", "done", clock.now())
    checkpoint_sqlite(services.engine)  # no error on either backend
    if services.engine.dialect.name == "sqlite":
        wal = __import__("pathlib").Path(services.engine.url.database + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0


def test_photos_of_no_complaint_go_after_thirty_days_with_their_files(services, tmp_path):  # type: ignore[no-untyped-def]
    """A draft never filed leaves its photos behind: the hourly job removes them (rows, then files), but not
    a recent one, not a filed one, and not a file a filed photo shares (files are named by content)."""
    from models import Complaint, Photo
    from models.complaint_operations import Actor, Reporter, file_complaint
    from models.complaints import Channel
    from models.photos import save_photo
    from models.working_days import load_calendar
    from tests.unit.test_photo_fingerprints import jpeg, scene

    now = clock.now()
    old = now - timedelta(days=31)
    photo_dir = tmp_path / "photos"
    with transaction(services.sessions) as s:
        abandoned = save_photo(s, photo_dir, jpeg(scene(1)), "image/jpeg", old)
        recent = save_photo(s, photo_dir, jpeg(scene(2)), "image/jpeg", now - timedelta(days=29))
        filed = save_photo(s, photo_dir, jpeg(scene(3)), "image/jpeg", old)
        twin = save_photo(s, photo_dir, jpeg(scene(3)), "image/jpeg", old)  # the same picture, unfiled
        file_complaint(
            s,
            None,
            description="ไฟดับหน้าบ้าน",
            category="ไฟฟ้า",
            district_code="1030",
            latitude=None,
            longitude=None,
            photos=[filed],
            at=old,
            calendar=load_calendar(s),
            reporter=Reporter(channel=Channel.PHONE.value, name="ผู้แจ้ง"),
            entered_by=Actor("staff", None, None, "calltaker"),
        )
        ids = {"abandoned": abandoned.id, "recent": recent.id, "filed": filed.id, "twin": twin.id}
        paths = {
            name: photo_dir / p.path for name, p in zip(ids, (abandoned, recent, filed, twin), strict=True)
        }
    assert all(path.exists() for path in paths.values())

    scheduler = build_scheduler(services.engine, services.sessions, clock=lambda: now, photo_dir=photo_dir)
    scheduler.get_job("housekeeping").func()
    with transaction(services.sessions) as s:
        left = set(s.scalars(select(Photo.id)))
        assert left == {ids["recent"], ids["filed"]}
        assert s.scalar(select(Complaint.id)) is not None
    assert not paths["abandoned"].exists()
    assert paths["recent"].exists() and paths["filed"].exists()  # the twin's file is the filed photo's
    scheduler.get_job("housekeeping").func()  # again: nothing more goes, nothing fails
    with transaction(services.sessions) as s:
        assert set(s.scalars(select(Photo.id))) == {ids["recent"], ids["filed"]}
