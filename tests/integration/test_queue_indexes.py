"""Claims read only the unfinished rows, however many are done (both databases).

After a burst the queues hold thousands of done rows (and on PostgreSQL, until a vacuum, their
dead index entries): a claim that wades through them cost 1.5-7 ms on PostgreSQL. The plans of
the claim queries must use the partial indexes of unfinished rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import sessionmaker

from models.db import make_engine, transaction
from models.queue_ops import _claim_statement, claim, failed_rows
from models.queues import InboxEvent, OutboxMessage, QueueStatus

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DONE_ROWS = 3000


def _fill(engine: Engine, model: type[InboxEvent] | type[OutboxMessage]) -> None:
    """3,000 done rows of 100 chats, then one pending row for chat 7 and one failed row."""
    common = {"attempts": 1, "next_attempt_at": NOW - timedelta(hours=1)}
    if model is InboxEvent:

        def row(i: int, status: str) -> dict[str, object]:
            return {
                "webhook_event_id": f"ev{i}",
                "event_type": "message",
                "event_at": NOW,
                "received_at": NOW,
                "payload": "{}",
                "chat_key": f"U{i % 100}",
                "status": status,
                **common,
            }
    else:

        def row(i: int, status: str) -> dict[str, object]:
            return {
                "to": f"U{i % 100}",
                "messages": "[]",
                "retry_key": f"k{i}",
                "created_at": NOW,
                "chat_key": f"U{i % 100}",
                "status": status,
                **common,
            }

    rows = [row(i, QueueStatus.DONE.value) for i in range(DONE_ROWS)]
    rows += [row(DONE_ROWS + 7, QueueStatus.PENDING.value), row(DONE_ROWS + 8, QueueStatus.FAILED.value)]
    with engine.begin() as conn:
        conn.execute(insert(model.__table__), rows)
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"ANALYZE {model.__tablename__}"))
        else:
            conn.execute(text("ANALYZE"))


def _plan(engine: Engine, model: type[InboxEvent] | type[OutboxMessage], one_chat: bool) -> str:
    statement = _claim_statement(model, engine.dialect.name, one_chat)
    compiled = statement.compile(engine)
    given = {"now": NOW, "limit": 20, "b_chat_key": "U7", "worker": "w", "until": NOW}
    params = compiled.construct_params(given)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # As after five runs of a prepared claim: the plan that must not wade through done rows.
            conn.execute(text("SET plan_cache_mode = force_generic_plan"))
            rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", params).all()
        else:
            ordered = tuple(params[name] for name in compiled.positiontup or ())
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ordered).all()
    return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize("model", [InboxEvent, OutboxMessage], ids=["inbox", "outbox"])
@pytest.mark.parametrize("one_chat", [False, True], ids=["any-chat", "one-chat"])
def test_claims_use_the_indexes_of_unfinished_rows(db_url: str, model, one_chat: bool) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    try:
        _fill(engine, model)
        plan = _plan(engine, model, one_chat)
        table = model.__tablename__
        assert f"ix_{table}_unfinished" in plan, plan
        assert "Seq Scan" not in plan and f"SCAN {table}\n" not in plan + "\n", plan
    finally:
        engine.dispose()


@pytest.mark.parametrize("model", [InboxEvent, OutboxMessage], ids=["inbox", "outbox"])
def test_a_claim_among_thousands_of_done_rows_takes_the_one_due(db_url: str, model) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    try:
        _fill(engine, model)
        with transaction(sessionmaker(engine)) as session:
            taken = claim(session, model, now=NOW, worker="w", lease=timedelta(seconds=60), limit=20)
            assert [r.chat_key for r in taken] == ["U7"]
            assert [r.chat_key for r in failed_rows(session, model)] == ["U8"]
    finally:
        engine.dispose()
