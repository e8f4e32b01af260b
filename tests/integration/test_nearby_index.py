"""The duplicate hint reads only open complaints, however many are closed (both databases).

Every filing looks for open complaints of its category within 50 m; at a million complaints a full
scan cost ~330 ms a filing. The query must use the partial index of open complaints.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, insert, text
from sqlalchemy.orm import sessionmaker

from models import Complaint
from models.db import make_engine, transaction
from models.nearby import open_complaints_near

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
HERE = (13.8040, 100.5530)


def test_the_duplicate_hint_uses_the_index_of_open_complaints(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        rows = [
            {
                "tracking_code": f"69-C{i:05d}",
                "channel": "phone",
                "category": "แสงสว่าง" if i % 2 else "ถนน",
                "description": "",
                "latitude": HERE[0] + (i % 50) * 1e-5,
                "longitude": HERE[1],
                "status": "resolved",
                "created_at": NOW,
                "reopen_count": 0,
            }
            for i in range(3000)
        ]
        rows.append({**rows[1], "tracking_code": "69-OPEN01", "status": "in_progress"})
        with engine.begin() as conn:
            conn.execute(insert(Complaint.__table__), rows)
            conn.execute(text("ANALYZE complaints" if engine.dialect.name == "postgresql" else "ANALYZE"))
        captured: list[tuple[str, object]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if "FROM complaints" in statement:
                captured.append((statement, parameters))

        with transaction(sessionmaker(engine)) as session:
            found = open_complaints_near(session, category="แสงสว่าง", latitude=HERE[0], longitude=HERE[1])
            assert [c.tracking_code for c in found] == ["69-OPEN01"]
        event.remove(engine, "before_cursor_execute", _keep)
        ((query, parameters),) = captured
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET enable_seqscan = off"))  # a 3,000-row table may look cheap to scan
                plan = conn.exec_driver_sql(f"EXPLAIN {query}", parameters).all()
            else:
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", parameters).all()
        assert "ix_complaints_open_category_latitude" in "\n".join(str(r[-1]) for r in plan), plan
    finally:
        engine.dispose()
