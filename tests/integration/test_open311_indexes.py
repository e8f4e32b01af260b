"""The Open311 request list reads one page through an index however many complaints there are (both
databases): a district's window by ix_complaints_district_created, every district's by ix_complaints_created
(migration 0014). Without them the database reads the whole table. SQLite walks the index in order and
stops at the page's end; PostgreSQL may instead pick a district window's rows by the index and sort those
few (a few thousand at a million complaints), never the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import sessionmaker
from werkzeug.datastructures import MultiDict

from bot.open311.routes import _filtered
from models import Complaint
from models.db import make_engine, transaction

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ROWS = 20_000  # a year of complaints over the 50 districts
STATUSES = ("routed", "acknowledged", "in_progress", "resolved", "rejected")


def _fill(engine: Engine) -> None:
    rows = [
        {
            "tracking_code": f"69-T{i:06d}",
            "channel": "line" if i % 3 else "api",
            "district_code": f"10{i % 50 + 1:02d}",
            "category": "ถนน" if i % 2 else "แสงสว่าง",
            "description": "ถนนเป็นหลุม",
            "status": STATUSES[i % 5],
            "created_at": NOW - timedelta(minutes=26 * i),  # back a year
            "reopen_count": 0,
        }
        for i in range(ROWS)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Complaint.__table__), rows)
        conn.execute(text("ANALYZE complaints" if engine.dialect.name == "postgresql" else "ANALYZE"))


def _plan(engine: Engine, params: dict[str, str]) -> str:
    with transaction(sessionmaker(engine)) as session:
        query = _filtered(session, MultiDict(params), NOW)
    compiled = query.compile(engine, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows: Any = conn.exec_driver_sql(f"EXPLAIN {compiled}", values).all()
        else:
            ordered = tuple(values[name] for name in compiled.positiontup or ())
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ordered).all()
    return "\n".join(str(r[-1]) for r in rows)


CASES: list[tuple[dict[str, str], str]] = [
    ({"district": "1030"}, "ix_complaints_district_created"),
    ({"district": "1030", "status": "open", "page": "3"}, "ix_complaints_district_created"),
    (
        {"district": "1030", "service_code": "road", "start_date": "2026-06-01"},
        "ix_complaints_district_created",
    ),
    ({}, "ix_complaints_created"),
    ({"status": "closed"}, "ix_complaints_created"),
]


def test_a_page_of_requests_is_read_through_its_index(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        _fill(engine)  # once: the filling is what takes time
        for params, index in CASES:
            plan = _plan(engine, params)
            assert index in plan, (params, plan)
            assert "Seq Scan" not in plan and "SCAN complaints\n" not in plan + "\n", (params, plan)
            if engine.dialect.name == "sqlite":
                assert "TEMP B-TREE" not in plan, (params, plan)  # read in the index's order: no sorting
    finally:
        engine.dispose()
