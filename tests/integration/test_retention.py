"""Retention (issue 17 point 8): personal data kept past RETENTION_DAYS is erased by the housekeeping job.

The boundary is the setting itself: a citizen (or a reporter without LINE) whose last activity is exactly
730 days old goes; one a day short stays; an open complaint keeps the citizen whatever its age; any
message, dialog step or photo is activity. A dry run changes nothing; a second run erases nothing more.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.jobs import retention_once
from models import Citizen, Complaint, Dialog, InboxEvent
from models.complaint_operations import Actor, Reporter, file_complaint, reject
from models.complaints import Channel
from models.db import transaction
from models.working_days import load_calendar
from scheduler.retention import due, erase_in_batches, run

NOW = datetime(2029, 1, 10, 3, 0, tzinfo=UTC)
DAYS = 730
CENTRE = Actor("admin", None, None, "centre")


def _citizen(session, key: str, since: datetime) -> Citizen:  # type: ignore[no-untyped-def]
    person = Citizen(line_user_id="U" + key * 32, display_name=f"คุณ{key}", created_at=since, updated_at=since)
    session.add(person)
    session.flush()
    return person


def _file(session, citizen, at: datetime, text: str = "ไฟดับหน้าบ้าน โทร 081-234-5678", reporter=None):  # type: ignore[no-untyped-def]
    return file_complaint(
        session,
        citizen,
        description=text,
        category="ไฟฟ้า",
        district_code="1030",
        latitude=None,
        longitude=None,
        photos=[],
        at=at,
        calendar=load_calendar(session),
        reporter=reporter,
        entered_by=None if citizen is not None else Actor("staff", None, None, "calltaker"),
    )


def _closed(session, citizen, filed: datetime, closed: datetime, reporter=None):  # type: ignore[no-untyped-def]
    complaint = _file(session, citizen, filed, reporter=reporter)
    reject(session, complaint, CENTRE, closed, "ไม่ใช่เรื่องของเขต")
    return complaint


def _phone(name: str) -> Reporter:
    return Reporter(channel=Channel.PHONE.value, name=name, phone="0812345678", email="a@example.com")


def _world(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Citizens and reporters on either side of the boundary, by name."""
    ids: dict[str, int] = {}
    with transaction(services.sessions) as s:
        old = NOW - timedelta(days=1000)
        gone = _citizen(s, "a", old)  # last activity: exactly the period
        _closed(s, gone, NOW - timedelta(days=900), NOW - timedelta(days=DAYS))
        short = _citizen(s, "b", old)  # one day short: stays
        _closed(s, short, NOW - timedelta(days=900), NOW - timedelta(days=DAYS - 1))
        open_ = _citizen(s, "c", old)  # an open complaint from long ago: stays
        _file(s, open_, NOW - timedelta(days=900))
        wrote = _citizen(s, "d", old)  # wrote to the bot last week (the inbox): stays
        s.add(
            InboxEvent(
                webhook_event_id="ev-d",
                event_type="message",
                event_at=NOW - timedelta(days=7),
                received_at=NOW - timedelta(days=7),
                payload="{}",
                chat_key=wrote.line_user_id,
                next_attempt_at=NOW - timedelta(days=7),
                status="done",
            )
        )
        talking = _citizen(s, "e", old)  # a dialog step a month ago: stays
        s.add(Dialog(line_user_id=talking.line_user_id, kind="citizen", updated_at=NOW - timedelta(days=30)))
        silent = _citizen(s, "f", NOW - timedelta(days=DAYS + 5))  # followed, never filed: goes
        ids.update(gone=gone.id, short=short.id, open=open_.id, wrote=wrote.id, talking=talking.id)
        ids["silent"] = silent.id
        ids["reporter_gone"] = _closed(
            s, None, NOW - timedelta(days=900), NOW - timedelta(days=DAYS), _phone("สมศรี")
        ).id
        ids["reporter_short"] = _closed(
            s, None, NOW - timedelta(days=900), NOW - timedelta(days=DAYS - 1), _phone("สมชาย")
        ).id
        ids["reporter_open"] = _file(s, None, NOW - timedelta(days=900), reporter=_phone("สมหญิง")).id
    return ids


def _state(services) -> dict[str, tuple[object, ...]]:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as s:
        people = {c.id: (c.line_user_id, c.display_name) for c in s.scalars(select(Citizen))}
        complaints = {
            c.id: (c.reporter_name, c.reporter_phone, c.reporter_email, c.description)
            for c in s.scalars(select(Complaint))
        }
    return {"citizens": tuple(sorted(people.items())), "complaints": tuple(sorted(complaints.items()))}


def test_the_boundary_open_complaints_and_activity_decide_who_goes(services) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    with transaction(services.sessions) as s:
        result = run(s, NOW, DAYS)
    assert (result.citizens_erased, result.reporters_erased) == (2, 1)
    with transaction(services.sessions) as s:
        people = {c.id: c for c in s.scalars(select(Citizen))}
        for erased in ("gone", "silent"):
            assert people[ids[erased]].line_user_id.startswith("erased-")
            assert people[ids[erased]].display_name is None
        for kept, key in (("short", "b"), ("open", "c"), ("wrote", "d"), ("talking", "e")):
            assert people[ids[kept]].line_user_id == "U" + key * 32
            assert people[ids[kept]].display_name == f"คุณ{key}"
        # The erased citizen's complaint stays, with the phone number in its text masked.
        (theirs,) = s.scalars(select(Complaint).where(Complaint.citizen_id == ids["gone"]))
        assert theirs.status == "rejected" and "081-234-5678" not in theirs.description
        assert theirs.description.startswith("ไฟดับหน้าบ้าน")
        gone = s.get(Complaint, ids["reporter_gone"])
        assert (gone.reporter_name, gone.reporter_phone, gone.reporter_email) == (None, None, None)
        for kept in ("reporter_short", "reporter_open"):
            complaint = s.get(Complaint, ids[kept])
            assert complaint.reporter_phone == "0812345678" and complaint.reporter_name is not None


def test_a_dry_run_lists_who_would_go_and_changes_nothing(services) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    before = _state(services)
    with transaction(services.sessions) as s:
        result = run(s, NOW, DAYS, dry_run=True)
        codes = {c.id: c.tracking_code for c in s.scalars(select(Complaint))}
    assert result.dry_run and (result.citizens_erased, result.reporters_erased) == (0, 0)
    listed = {c.citizen_id: c for c in result.plan.citizens}
    assert set(listed) == {ids["gone"], ids["silent"]}
    assert listed[ids["gone"]].last_activity == NOW - timedelta(days=DAYS)
    assert listed[ids["gone"]].complaints == 1 and listed[ids["silent"]].complaints == 0
    assert [r.tracking_code for r in result.plan.reporters] == [codes[ids["reporter_gone"]]]
    assert _state(services) == before


def test_running_twice_erases_nothing_more(services) -> None:  # type: ignore[no-untyped-def]
    _world(services)
    with transaction(services.sessions) as s:
        first = run(s, NOW, DAYS)
    after_first = _state(services)
    with transaction(services.sessions) as s:
        second = run(s, NOW, DAYS)
        assert due(s, NOW, DAYS).citizens == [] and due(s, NOW, DAYS).reporters == []
    assert (first.citizens_erased, first.reporters_erased) == (2, 1)
    assert (second.citizens_erased, second.reporters_erased) == (0, 0)
    assert _state(services) == after_first


def test_a_day_later_the_one_day_short_goes_too(services) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    with transaction(services.sessions) as s:
        run(s, NOW, DAYS)
    with transaction(services.sessions) as s:
        result = run(s, NOW + timedelta(days=1), DAYS)
        assert s.get(Citizen, ids["short"]).line_user_id.startswith("erased-")
        assert s.get(Complaint, ids["reporter_short"]).reporter_phone is None
    assert (result.citizens_erased, result.reporters_erased) == (1, 1)


def test_the_housekeeping_job_erases_and_logs_the_counts(services, caplog) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    with caplog.at_level(logging.INFO, logger="bot.jobs"):
        result = retention_once(services.sessions, NOW, DAYS)
    assert (result.citizens_erased, result.reporters_erased) == (2, 1)
    assert "retention (730 days): erased 2 citizens and the contact of 1 reporters" in caplog.text
    with transaction(services.sessions) as s:
        assert s.get(Citizen, ids["gone"]).line_user_id.startswith("erased-")


def test_the_setting_defaults_to_two_years_and_refuses_nonsense(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import ConfigError, settings_from_env

    base = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    assert settings_from_env(base).retention_days == 730
    assert settings_from_env({**base, "RETENTION_DAYS": "365"}).retention_days == 365
    for bad in ("two years", "0", "-5"):
        try:
            settings_from_env({**base, "RETENTION_DAYS": bad})
        except ConfigError as exc:
            assert "RETENTION_DAYS" in str(exc)
        else:
            raise AssertionError(f"RETENTION_DAYS={bad} was taken")


def test_reported_on_is_kept_as_no_activity(services) -> None:  # type: ignore[no-untyped-def]
    """A reporter's complaint entered long after the call: it is the moment of entry that counts."""
    with transaction(services.sessions) as s:
        reporter = Reporter(channel=Channel.LETTER.value, name="ป้าแดง", reported_on=date(2020, 1, 1))
        complaint = _closed(s, None, NOW - timedelta(days=100), NOW - timedelta(days=99), reporter)
        complaint_id = complaint.id
    with transaction(services.sessions) as s:
        assert run(s, NOW, DAYS).reporters_erased == 0
        assert s.get(Complaint, complaint_id).reporter_name == "ป้าแดง"


def test_erasing_in_small_batches_reaches_everyone_and_the_hourly_cap_holds(services) -> None:  # type: ignore[no-untyped-def]
    _world(services)
    capped = erase_in_batches(services.sessions, NOW, DAYS, batch=1, most=1)
    assert (capped.citizens_erased, capped.reporters_erased) == (1, 1)  # the hour's cap: one of each
    rest = erase_in_batches(services.sessions, NOW, DAYS, batch=1)
    assert (rest.citizens_erased, rest.reporters_erased) == (1, 0)
    with transaction(services.sessions) as s:
        assert due(s, NOW, DAYS).citizens == [] and due(s, NOW, DAYS).reporters == []


def test_only_the_scheduler_lease_holder_erases_in_the_hourly_job(services) -> None:  # type: ignore[no-untyped-def]
    """Every worker process runs housekeeping; erasing is left to the one holding the scheduler's lease."""
    from bot.cli_reminders import LEASE_NAME
    from bot.jobs import build_scheduler
    from scheduler.leader import hold_lease

    ids = _world(services)
    assert hold_lease(services.sessions, LEASE_NAME, "another-machine:1", NOW, timedelta(minutes=5))
    job = build_scheduler(services.engine, services.sessions, clock=lambda: NOW, retention_days=DAYS)
    job.get_job("housekeeping").func()
    with transaction(services.sessions) as s:
        assert not s.get(Citizen, ids["gone"]).line_user_id.startswith("erased-")  # the other one's turn
    later = NOW + timedelta(minutes=6)  # the other holder stopped renewing: this process takes over
    job = build_scheduler(services.engine, services.sessions, clock=lambda: later, retention_days=DAYS)
    job.get_job("housekeeping").func()
    with transaction(services.sessions) as s:
        assert s.get(Citizen, ids["gone"]).line_user_id.startswith("erased-")
