"""Scoring from the database: in one process, or in several sharing one PostgreSQL snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from kpi import database_scoring
from kpi.database_scoring import score_database, window
from kpi.schemes import load_kpi32
from kpi.scoring import UnitScore, score_units
from kpi.source import district_facts
from models import Citizen
from models.complaint_operations import file_complaint
from models.db import make_engine, transaction
from models.working_days import load_calendar
from tests.integration.test_kpi_source import BKK, at, build_year

AS_OF = datetime(2027, 12, 31, 23, 59, 59, tzinfo=BKK)
FY = 2570


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def summary(units: list[UnitScore]) -> list[tuple[object, ...]]:
    """What a reader of the scores sees: per district N, each step's counts, points and reasons; total."""
    return [
        (
            u.district,
            u.n,
            u.total,
            tuple((s.step, s.correct, s.of, s.points, s.rule_counts, s.failures) for s in u.steps),
            u.month_reasons,
        )
        for u in units
    ]


def test_the_same_scores_as_scoring_the_facts_directly(sessions: sessionmaker[Session]) -> None:
    scheme = load_kpi32("kpi32")
    with transaction(sessions) as session:
        build_year(session)
    with transaction(sessions) as session:
        direct = score_units(
            district_facts(session, *window(scheme, FY, AS_OF), ["1030", "1007"]),
            scheme,
            load_calendar(session),
            AS_OF,
            FY,
        )
    got = score_database(sessions, scheme, FY, AS_OF, ["1030", "1007"], workers=1)
    assert summary(got) == summary(direct)
    assert [u.district for u in got] == ["1030", "1007"]
    assert got[0].step(1).failing > 0 and got[0].step(2).failing > 0  # a year with lost points


def test_unknown_districts_are_refused_before_any_scoring(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="9999"):
        score_database(sessions, load_kpi32("kpi32"), FY, AS_OF, ["1030", "9999"], workers=2)


def test_several_processes_score_as_one_transaction_would(pg_sessions: sessionmaker[Session]) -> None:
    sessions = pg_sessions
    scheme = load_kpi32("kpi32")
    with transaction(sessions) as session:
        build_year(session)
    alone = score_database(sessions, scheme, FY, AS_OF, workers=1)
    together = score_database(sessions, scheme, FY, AS_OF, workers=2)
    assert len(together) == 50 and [u.district for u in together] == sorted(u.district for u in together)
    assert summary(together) == summary(alone)


def test_each_worker_reads_the_snapshot_of_the_call(pg_sessions: sessionmaker[Session]) -> None:
    """A complaint committed while the workers run is in no district's count."""
    sessions = pg_sessions
    scheme = load_kpi32("kpi32")
    with transaction(sessions) as session:
        build_year(session)
    engine = sessions.kw["bind"]
    start, end = window(scheme, FY, AS_OF)
    with transaction(sessions) as holder:
        snapshot = holder.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        with transaction(sessions) as session:  # filed meanwhile, committed
            file_complaint(
                session,
                session.scalars(select(Citizen)).first(),
                description="มาทีหลัง",
                category="ถนน",
                district_code="1030",
                latitude=None,
                longitude=None,
                photos=[],
                at=at(2027, 6, 2),
                calendar=load_calendar(session),
            )
        database_scoring._start(engine.url.render_as_string(hide_password=False))
        job = database_scoring._Job(snapshot, scheme, FY, AS_OF, start, end, None)
        seen = database_scoring._score_one(job, "1030")
    now = score_database(sessions, scheme, FY, AS_OF, ["1030"], workers=1)[0]
    assert now.n == seen.n + 1


def test_a_snapshot_id_is_checked_before_it_reaches_sql(pg_sessions: sessionmaker[Session]) -> None:
    sessions = pg_sessions
    scheme = load_kpi32("kpi32")
    engine = sessions.kw["bind"]
    database_scoring._start(engine.url.render_as_string(hide_password=False))
    forged = "x'; DROP TABLE complaints; --"
    job = database_scoring._Job(forged, scheme, FY, AS_OF, *window(scheme, FY, AS_OF), None)
    with pytest.raises(ValueError, match="not a snapshot id"):
        database_scoring._score_one(job, "1030")
