"""The KPI's kept facts (issue 19 point 1): kept current by every event, equal to what the event log says.

Randomised histories are made through the domain operations, as the bot and the admin web make them
(filing, acknowledging, progress, resolving, reopening, rejecting, transfers there and back). Then:
the rows kept as the events happened equal a full rebuild from the log; the scorer reading them gives
the same facts and the same scores, at many as-of moments, as the scorer reading the event log — also
after a holiday is added; and `rongtook release` / `rongtook kpi rebuild-facts` build them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from kpi.database_scoring import score_database
from kpi.schemes import shipped_kpi32
from kpi.source import district_facts
from models import Citizen, ComplaintKpiFacts, KpiFactsBuild, Photo, kpi_facts
from models.complaint_operations import (
    ActionRefused,
    Actor,
    acknowledge,
    file_complaint,
    reject,
    reopen,
    report_progress,
    resolve,
    transfer,
)
from models.db import make_engine, transaction
from models.working_days import add_override, load_calendar

BKK = ZoneInfo("Asia/Bangkok")
START = datetime(2026, 10, 1, 8, 0, tzinfo=BKK)  # FY 2570
END = datetime(2027, 9, 30, 23, 59, 59, 999999, tzinfo=BKK)
DISTRICTS = ("1030", "1007", "1001")
ADMIN = Actor("admin", None)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def random_histories(session: Session, rng: random.Random, count: int) -> int:
    """`count` complaints with random lives; returns how many operations were refused (and skipped)."""
    cal = load_calendar(session)
    people = [
        Citizen(line_user_id=f"U{n:032d}", created_at=START, updated_at=START) for n in range(count // 4 + 1)
    ]
    session.add_all(people)
    session.flush()
    refused = 0
    for n in range(count):
        person = rng.choice(people)
        when = START + timedelta(days=rng.uniform(0, 330), hours=rng.uniform(0, 9))
        complaint = file_complaint(
            session,
            person,
            description=f"เรื่องที่ {n}",
            category=rng.choice(["ถนน", "ไฟฟ้า", "ขยะ"]),
            district_code=rng.choice(DISTRICTS),
            latitude=None,
            longitude=None,
            photos=[],
            at=when,
            calendar=cal,
        )
        for _ in range(rng.randint(0, 9)):
            # Some moments on the same day, some weeks later; a few exactly at the end of a Bangkok day.
            step = rng.choice([timedelta(minutes=rng.randint(1, 300)), timedelta(days=rng.uniform(0.5, 20))])
            when = when + step
            if rng.random() < 0.05:
                when = datetime.combine(when.astimezone(BKK).date(), datetime.max.time(), tzinfo=BKK)
            action = rng.choices(
                ["ack", "progress", "resolve", "reopen", "reject", "transfer"], [3, 5, 2, 1, 0.5, 1.5]
            )[0]
            try:
                if action == "ack":
                    acknowledge(session, complaint, ADMIN, when, cal)
                elif action == "progress":
                    report_progress(session, complaint, ADMIN, when, "กำลังดำเนินการ")
                elif action == "resolve":
                    photo = Photo(
                        path="a.png", content_type="image/png", size_bytes=1, sha256="x", created_at=when
                    )
                    session.add(photo)
                    session.flush()
                    resolve(session, complaint, ADMIN, when, rng.choice(["ซ่อมแล้ว", "เรียบร้อย"]), [photo])
                elif action == "reopen":
                    reopen(
                        session,
                        complaint,
                        person if complaint.citizen_id == person.id else people[0],
                        when,
                        "ยังไม่ซ่อม",
                    )
                elif action == "reject":
                    reject(session, complaint, ADMIN, when, "ไม่อยู่ในอำนาจ")
                else:  # to another district, sometimes back to one it had before
                    others = [d for d in DISTRICTS if d != complaint.district_code]
                    transfer(session, complaint, ADMIN, when, rng.choice(others), "ผิดเขต", cal)
            except ActionRefused:
                refused += 1
    return refused


def kept_rows(session: Session) -> dict[int, tuple[Any, ...]]:
    f = ComplaintKpiFacts.__table__
    rows = session.execute(
        select(
            f.c.complaint_id,
            f.c.district_code,
            f.c.routed_at,
            f.c.tracking_code,
            f.c.category,
            f.c.result_text,
            f.c.moments,
        )
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def facts_by_district(session: Session) -> dict[str, list[Any]]:
    return {d.district: list(d.complaints) for d in district_facts(session, START, END, list(DISTRICTS))}


def scores(
    sessions: sessionmaker[Session], as_of: datetime, literal: bool = False, cap: int | None = None
) -> list[Any]:
    return score_database(
        sessions, shipped_kpi32(), 2570, as_of, list(DISTRICTS), workers=1, literal=literal, max_failures=cap
    )


CAPS = (None, 0, 2)  # every explanation (the loop over the kept moments), counts only (SQL), a few


def every_view(sessions: sessionmaker[Session], as_of: datetime) -> dict[tuple[bool, int | None], Any]:
    return {
        (literal, cap): scores(sessions, as_of, literal, cap) for literal in (False, True) for cap in CAPS
    }


@pytest.mark.parametrize("seed", [2570, 19])
def test_kept_facts_equal_the_event_log_and_score_the_same(
    sessions: sessionmaker[Session], seed: int
) -> None:
    rng = random.Random(seed)
    with transaction(sessions) as session:
        refused = random_histories(session, rng, 60)
    with transaction(sessions) as session:
        incremental = kept_rows(session)
        from_log = facts_by_district(session)  # not built yet: the scorer reads the event log
        assert not kpi_facts.is_complete(session)
    as_ofs = [START + timedelta(days=rng.uniform(0, 420)) for _ in range(12)]
    as_ofs.append(datetime.combine(date(2027, 1, 15), datetime.max.time(), tzinfo=BKK))  # a checkpoint's end
    expected = [(a, every_view(sessions, a)) for a in as_ofs]  # from the event log

    with transaction(sessions) as session:
        assert kpi_facts.rebuild(session) == len(incremental)
    with transaction(sessions) as session:
        assert kpi_facts.is_complete(session)
        assert kept_rows(session) == incremental  # kept as the events happened == rebuilt from the log
        assert facts_by_district(session) == from_log
    assert sum(len(v) for v in from_log.values()) > 30 and refused < 400  # the histories were lived
    for as_of, views in expected:
        assert every_view(sessions, as_of) == views, as_of


def test_a_complaint_sent_away_and_back_counts_only_its_current_stint(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        cal = load_calendar(session)
        person = Citizen(line_user_id="U" + "1" * 32, created_at=START, updated_at=START)
        session.add(person)
        session.flush()
        c = file_complaint(
            session,
            person,
            description="ไฟดับ",
            category="ไฟฟ้า",
            district_code="1030",
            latitude=None,
            longitude=None,
            photos=[],
            at=START,
            calendar=cal,
        )
        acknowledge(session, c, ADMIN, START + timedelta(hours=2), cal)
        report_progress(session, c, ADMIN, START + timedelta(hours=3), "ไปดูแล้ว")
        transfer(session, c, ADMIN, START + timedelta(days=1), "1007", "ผิดเขต", cal)
        back = START + timedelta(days=2)
        transfer(session, c, ADMIN, back, "1030", "ส่งคืน", cal)
        row = session.get(ComplaintKpiFacts, c.id)
        assert row is not None and row.district_code == "1030"
        assert row.routed_at == back.astimezone(UTC)
        # routed at the second arrival; no acknowledgement, resolution, rejection or progress since
        assert kpi_facts.unpack(row.moments) == (
            kpi_facts.to_micros(back),
            kpi_facts.NONE,
            kpi_facts.NONE,
            kpi_facts.NONE,
        )
        acknowledge(session, c, ADMIN, back + timedelta(hours=1), cal)
        kept = kept_rows(session)  # rewritten in SQL: read again, not from the session's copy
        assert kpi_facts.unpack(kept[c.id][-1])[1] == kpi_facts.to_micros(back + timedelta(hours=1))
        kpi_facts.rebuild(session)
        assert kept_rows(session) == kept  # the rebuild too leaves the first stint out


def test_a_holiday_added_after_the_build_changes_the_scores_the_same_way_on_both_paths(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        random_histories(session, random.Random(7), 40)
        kpi_facts.rebuild(session)
    as_of = START + timedelta(days=200)
    before = every_view(sessions, as_of)
    with transaction(sessions) as session:  # a holiday on each working day of a week in December
        for day in range(7, 12):
            add_override(session, date(2026, 12, day), "holiday", "วันหยุดพิเศษ", START)
    kept = every_view(sessions, as_of)  # the kept deadlines were recomputed for the holidays
    with transaction(sessions) as session:  # the same, read from the event log
        session.execute(delete(KpiFactsBuild.__table__))
    from_log = every_view(sessions, as_of)
    assert kept == from_log
    # ... and the holidays did move deadlines: without them the scores differ
    assert from_log != before


def test_release_builds_the_kept_facts_once(services: Any) -> None:
    from bot.setup import release

    with transaction(services.sessions) as session:
        random_histories(session, random.Random(3), 10)
        session.execute(delete(ComplaintKpiFacts.__table__))  # as a database from before the table
    release(services)
    with transaction(services.sessions) as session:
        assert kpi_facts.is_complete(session)
        assert len(kept_rows(session)) == 10
