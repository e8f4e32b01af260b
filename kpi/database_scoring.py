"""Scoring straight from the database: one transaction, or several processes sharing one snapshot.

`score_database(sessions, scheme, fiscal_year, as_of, districts)` is what the CLI (and the admin web)
call. It reads `kpi.source` into `kpi.scoring` for the fiscal year's window, as of `as_of`; `literal`
and `kpi_start_on` (the deployment's start date, KPI_START_DATE) are the scorer's (`kpi.scoring`).

A year of a large city is a million complaints: the Python side of scoring costs a few microseconds
each, which is one CPU's worth of seconds. On PostgreSQL, with `workers` > 1, the districts are
scored by that many processes at once, each reading its districts on its own connection. They all
read one snapshot (`pg_export_snapshot`, held open by this process until they are done), so the
result is the same as one transaction's: complaints filed meanwhile are in no district's count, or
in all of them. SQLite (one writer, one file) is always scored in this process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, time
from multiprocessing import get_context
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from kpi.kept_scoring import supports, tallies
from kpi.schemes import Kpi32Scheme
from kpi.scoring import ComplaintEvaluator, UnitScore, score_unit, score_units, unit_score
from kpi.source import district_facts
from models import kpi_facts
from models.db import make_engine, make_session_factory, transaction
from models.working_days import WorkingCalendar, load_calendar

MAX_WORKERS = 8
SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


def default_workers() -> int:
    """One process per CPU (at most `MAX_WORKERS`): the work is CPU-bound on both sides."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def window(scheme: Kpi32Scheme, fiscal_year: int, as_of: datetime) -> tuple[datetime, datetime]:
    """The moments of the fiscal year's window that have passed by `as_of` (start <= end)."""
    first, last = scheme.window_bounds(fiscal_year)
    zone = scheme.deadlines.zone
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last, scheme.deadlines.end_of_day, tzinfo=zone).astimezone(UTC)
    return start, max(start, min(end, as_of.astimezone(UTC)))


def score_database(
    sessions: sessionmaker[Session],
    scheme: Kpi32Scheme,
    fiscal_year: int,
    as_of: datetime,
    districts: Sequence[str] | None = None,
    *,
    max_failures: int | None = None,
    workers: int | None = None,
    literal: bool = False,
    kpi_start_on: date | None = None,
) -> list[UnitScore]:
    """Every district's (or the given districts') `UnitScore`, in district order.

    Unknown district codes raise ValueError. `workers` None: `default_workers()`. `literal`: pending
    counts as not correct; `kpi_start_on`: the start date of every district without its own.
    """
    start, end = window(scheme, fiscal_year, as_of)
    with transaction(sessions) as session:
        if max_failures == 0 and supports(scheme) and kpi_facts.is_complete(session):
            # Counts only: added up in SQL over the kept facts (`kpi.kept_scoring`).
            return _score_kept(
                session, scheme, fiscal_year, as_of, (start, end), districts, literal, kpi_start_on
            )
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        codes = [unit.district for unit in district_facts(session, start, end, districts)]
        wanted = min(workers or default_workers(), len(codes))
        if engine.dialect.name != "postgresql" or wanted < 2:
            calendar = load_calendar(session)
            facts = district_facts(session, start, end, codes, kpi_start_on=kpi_start_on)
            return score_units(
                facts, scheme, calendar, as_of, fiscal_year, max_failures=max_failures, literal=literal
            )
        snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        url = engine.url.render_as_string(hide_password=False)
        job = _Job(snapshot, scheme, fiscal_year, as_of, start, end, max_failures, literal, kpi_start_on)
        context = get_context("spawn")  # no fork: the caller may be a threaded web server
        with ProcessPoolExecutor(wanted, mp_context=context, initializer=_start, initargs=(url,)) as pool:
            return list(pool.map(_score_one, [job] * len(codes), codes))


def _score_kept(
    session: Session,
    scheme: Kpi32Scheme,
    fiscal_year: int,
    as_of: datetime,
    window: tuple[datetime, datetime],
    districts: Sequence[str] | None,
    literal: bool,
    kpi_start_on: date | None,
) -> list[UnitScore]:
    """Every district's score with its counts from one SQL query (no explanations kept)."""
    ev = ComplaintEvaluator(scheme, load_calendar(session), as_of)
    units = list(district_facts(session, *window, districts, kpi_start_on=kpi_start_on))
    _, last_day = scheme.window_bounds(fiscal_year)
    judge_pending = not literal and ev.as_of < ev.eod(last_day)
    found, wide = tallies(session, ev, window, [u.district for u in units], judge_pending)
    return [
        score_unit(u, scheme, ev.cal, as_of, fiscal_year, max_failures=0, evaluator=ev, literal=literal)
        if u.district in wide  # a complaint open for years: the loop counts it
        else unit_score(u, scheme, ev, fiscal_year, found[u.district], 0, literal)
        for u in units
    ]


# ---- in the worker processes ---------------------------------------------------------------------------


class _Job:
    """What every district's task shares (pickled to the workers)."""

    def __init__(
        self,
        snapshot: str,
        scheme: Kpi32Scheme,
        fiscal_year: int,
        as_of: datetime,
        start: datetime,
        end: datetime,
        max_failures: int | None,
        literal: bool = False,
        kpi_start_on: date | None = None,
    ) -> None:
        self.snapshot, self.scheme, self.fiscal_year = snapshot, scheme, fiscal_year
        self.as_of, self.start, self.end, self.max_failures = as_of, start, end, max_failures
        self.literal, self.kpi_start_on = literal, kpi_start_on


_worker: dict[str, Any] = {}


def _start(url: str) -> None:
    _worker["sessions"] = make_session_factory(make_engine(url))


def _score_one(job: _Job, district: str) -> UnitScore:
    sessions: sessionmaker[Session] = _worker["sessions"]
    with transaction(sessions) as session:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        if not SNAPSHOT_ID.fullmatch(job.snapshot):
            raise ValueError(f"not a snapshot id: {job.snapshot!r}")
        session.execute(text(f"SET TRANSACTION SNAPSHOT '{job.snapshot}'"))  # SET takes no parameters
        ev = _evaluator(session, job)
        (facts,) = district_facts(session, job.start, job.end, [district], kpi_start_on=job.kpi_start_on)
        return score_unit(
            facts,
            job.scheme,
            ev.cal,
            job.as_of,
            job.fiscal_year,
            max_failures=job.max_failures,
            evaluator=ev,
            literal=job.literal,
        )


def _evaluator(session: Session, job: _Job) -> ComplaintEvaluator:
    """One evaluator (and calendar) per worker and snapshot: its caches serve every district."""
    key = (job.snapshot, job.scheme, job.as_of)
    cached = _worker.get("evaluator")
    if cached is None or cached[0] != key:
        calendar: WorkingCalendar = load_calendar(session)
        cached = _worker["evaluator"] = (key, ComplaintEvaluator(job.scheme, calendar, job.as_of))
    return cached[1]  # type: ignore[no-any-return]
