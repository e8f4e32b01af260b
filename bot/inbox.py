"""Storing a verified webhook body in the inbox: one row per event, keyed by webhookEventId.

Only cheap work happens here (parse, validate, insert), because LINE counts an answer
slower than 2 s as a failure. Everything else is the worker's job.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linebot.v3.webhooks import Event
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import PoolProxiedConnection

from models import InboxEvent, QueueStatus
from models.db import sqlite_write_lock

log = logging.getLogger(__name__)


class MalformedBody(ValueError):
    """The body is signed but is not a LINE webhook payload."""


class InboxUnavailable(RuntimeError):
    """The events could not be stored (the database is unreachable or refused the write)."""


def chat_key(event: dict[str, Any]) -> str:
    """Which conversation an event belongs to: its events are handled in order."""
    source = event.get("source") or {}
    kind = source.get("type")
    if kind == "group":
        return f"group:{source.get('groupId', '')}"
    if kind == "room":
        return f"room:{source.get('roomId', '')}"
    return str(source.get("userId", ""))


def parse_body(body: str) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise MalformedBody(f"not JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedBody("no 'events' list")
    return payload["events"]


def usable_event(raw: Any) -> tuple[dict[str, Any], datetime] | None:
    """The event and its time if the SDK can read it; None (and a log line) if not."""
    if not isinstance(raw, dict):
        log.warning("webhook: skipped an event that is not an object")
        return None
    event_id, timestamp = raw.get("webhookEventId"), raw.get("timestamp")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 64:
        log.warning("webhook: skipped an event without a usable webhookEventId (type=%s)", raw.get("type"))
        return None
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        log.warning("webhook: skipped event %s without an integer timestamp", event_id)
        return None
    try:
        Event.from_dict(raw)  # the SDK raises ValueError for unknown types, ValidationError for bad fields
        at = datetime.fromtimestamp(timestamp / 1000, UTC)
    except (ValueError, TypeError, ValidationError, OverflowError, OSError) as exc:
        log.warning("webhook: skipped event %s (type=%s): %s", event_id, raw.get("type"), str(exc)[:200])
        return None
    return raw, at


# What `inbox_rows` fills in for each event; the other columns start empty.
ROW_COLUMNS = (
    "webhook_event_id",
    "event_type",
    "event_at",
    "received_at",
    "payload",
    "chat_key",
    "status",
    "attempts",
    "next_attempt_at",
)


def inbox_rows(body: str, now: datetime) -> tuple[list[dict[str, Any]], int]:
    """The rows to store for a webhook body, and how many of its events were skipped."""
    events = parse_body(body)
    rows = []
    for raw in events:
        usable = usable_event(raw)
        if usable is None:
            continue
        event, at = usable
        rows.append(
            {
                "webhook_event_id": event["webhookEventId"],
                "event_type": str(event.get("type")),
                "event_at": at,
                "received_at": now,
                "payload": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
                "chat_key": chat_key(event),
                "status": QueueStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    return rows, len(events) - len(rows)


@dataclass
class _Waiting:
    rows: list[dict[str, Any]]
    stored: int = 0
    error: str | None = None
    finished: bool = False


class InboxWriter:
    """Stores webhook rows with group commit: one transaction for all requests waiting together.

    A request returns only once its rows are committed, so a 200 still means "stored durably";
    but requests arriving together share one commit (one fsync on SQLite) instead of queueing
    for the database's single write lock one by one. It keeps one connection per process and a
    statement compiled once: this path runs for every event LINE sends, and the ORM's
    per-transaction work would cost more than the insert itself.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._turn = threading.Condition()
        self._pending: list[_Waiting] = []
        self._writing = False
        self._owner_pid = os.getpid()
        self._conn: PoolProxiedConnection | None = None
        table = InboxEvent.__table__
        dialect = engine.dialect
        builder = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        stmt = builder(table).on_conflict_do_nothing(index_elements=[table.c.webhook_event_id])
        compiled = stmt.compile(dialect=dialect, column_keys=list(ROW_COLUMNS))
        self._sql = str(compiled)
        self._order = list(compiled.positiontup or []) if dialect.positional else None
        # The column types' own conversions (UtcDateTime: aware -> UTC), as SQLAlchemy would apply them.
        self._convert = {
            c.key: proc for c in table.columns if (proc := c.type._cached_bind_processor(dialect)) is not None
        }
        self._begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None

    def store(self, rows: list[dict[str, Any]], timeout: float = 10.0) -> int:
        """Store the rows (a redelivered webhookEventId is ignored); returns how many were new.

        The first request to find no write in progress writes everything waiting, its own rows
        included; the others wait for that commit. Raises InboxUnavailable when the database
        refuses, TimeoutError when it does not answer in time.
        """
        if not rows:
            return 0
        mine = _Waiting(rows)
        deadline = time.monotonic() + timeout
        with self._turn:
            if self._owner_pid != os.getpid():  # gunicorn forked us: never share a connection
                self._owner_pid, self._conn, self._pending, self._writing = os.getpid(), None, [], False
            self._pending.append(mine)
            while not mine.finished:
                if not self._writing:
                    batch, self._pending, self._writing = self._pending, [], True
                    self._turn.release()
                    try:
                        self._write_batch(batch)
                    finally:
                        self._turn.acquire()
                        self._writing = False
                        self._turn.notify_all()
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the inbox write did not finish in time")
                self._turn.wait(left)
        if mine.error is not None:
            raise InboxUnavailable(mine.error)
        return mine.stored

    def _write_batch(self, batch: list[_Waiting]) -> None:
        try:
            results = self._write([w.rows for w in batch])
        except Exception as exc:  # the database is down: every waiting request answers 503
            error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            for waiting in batch:
                waiting.error, waiting.finished = error, True
            return
        for waiting, stored in zip(batch, results, strict=True):
            waiting.stored, waiting.finished = stored, True

    def _write(self, batch: list[list[dict[str, Any]]]) -> list[int]:
        """One transaction for the whole batch; returns how many rows of each request were new.

        A kept connection may have died with a database restart: then the batch is tried once
        more on a new connection, so a restart costs no webhook a 503 once the database is back.
        """
        reused = self._conn is not None
        try:
            return self._write_on(self._connection(), batch)
        except Exception:
            if not reused:
                raise
            log.info("inbox: the database connection was lost; reconnecting")
            return self._write_on(self._connection(), batch)

    def _connection(self) -> PoolProxiedConnection:
        if self._conn is None:
            self._conn = self._engine.raw_connection()
        return self._conn

    def _write_on(self, conn: PoolProxiedConnection, batch: list[list[dict[str, Any]]]) -> list[int]:
        try:
            with sqlite_write_lock(conn.info):
                cursor = conn.cursor()
                if self._begin:
                    cursor.execute(self._begin)
                results = []
                for rows in batch:
                    stored = 0
                    for row in rows:
                        cursor.execute(self._sql, self._params(row))
                        stored += max(cursor.rowcount, 0)  # 0: already stored (a redelivery)
                    results.append(stored)
                conn.commit()
                cursor.close()
        except Exception:
            self._conn = None
            with contextlib.suppress(Exception):
                conn.invalidate()  # never reuse a connection in an unknown state
            raise
        return results

    def _params(self, row: dict[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        values = {k: (self._convert[k](v) if k in self._convert else v) for k, v in row.items()}
        return tuple(values[k] for k in self._order) if self._order is not None else values
