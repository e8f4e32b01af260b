"""Storing a verified webhook body in the inbox: one row per event, keyed by webhookEventId.

Only cheap work happens here (parse, validate, insert), because LINE counts an answer
slower than 2 s as a failure. Everything else is the worker's job.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
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
    except RecursionError:
        raise MalformedBody("JSON nested too deeply") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedBody("no 'events' list")
    return payload["events"]


def usable_event(raw: Any) -> tuple[dict[str, Any], datetime, str] | None:
    """The event, its time and its JSON to store, if it is worth storing; None (and a log line) if not.

    Only the cheap checks run here: an id, a time, a type the SDK knows, a source and, for a
    message, its id. The SDK's full reading (a pydantic model per event) would cost the webhook a
    tenth of its time; the worker does it, and marks an event it cannot read as failed, with why.
    """
    if not isinstance(raw, dict):
        log.warning("webhook: skipped an event that is not an object")
        return None
    event_id, timestamp, kind = raw.get("webhookEventId"), raw.get("timestamp"), raw.get("type")
    problem = None
    if not _is_line_id(event_id):
        problem = "no usable webhookEventId"
    elif not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 < timestamp < 10**14:
        problem = "no usable timestamp"
    elif not isinstance(kind, str) or _sdk_event_type(raw) is None:
        problem = "an event type the SDK does not know"
    elif not isinstance(raw.get("source", {}), dict):
        problem = "a source that is not an object"
    elif not all(_is_line_id(raw["source"][k]) for k in SOURCE_IDS if k in raw.get("source", {})):
        problem = "a userId, groupId or roomId not in LINE's form"
    elif "replyToken" in raw and not _is_line_id(raw["replyToken"], REPLY_TOKEN_MAX):
        problem = "a replyToken not in LINE's form"
    elif kind == "message" and not _has_message_id(raw.get("message")):
        problem = "a message without an id"
    stored = None
    if not problem:
        try:
            stored = _storable(raw)
        except RecursionError:  # parsed, but too deep to write back out
            problem = "nested too deeply"
    if problem or stored is None:
        # %r: the id may hold characters a log file cannot take (a lone surrogate, NUL).
        log.warning("webhook: skipped event %.80r (type=%.40r): %s", event_id, kind, problem)
        return None
    event, payload = stored
    return event, datetime.fromtimestamp(timestamp / 1000, UTC), payload  # type: ignore[operator]


# LINE's ids are short ASCII (a user id is "U" and 32 hex digits, a reply token 32 characters); the
# columns that hold them are String(64) and String(100). An id outside that is not LINE's, and
# storing it cut or half-right would fail later, in the worker or the outbox, far from its cause.
SOURCE_IDS = ("userId", "groupId", "roomId")
ID_MAX, REPLY_TOKEN_MAX = 64, 100
# Printable ASCII: "!" to "~".
_LINE_ID = {ID_MAX: re.compile(r"[!-~]{1,64}"), REPLY_TOKEN_MAX: re.compile(r"[!-~]{1,100}")}


def _is_line_id(value: Any, longest: int = ID_MAX) -> bool:
    return isinstance(value, str) and _LINE_ID[longest].fullmatch(value) is not None


def _storable(event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The event and its JSON, NUL and lone surrogates in its free text (message, postback) made U+FFFD.

    Neither can be stored (PostgreSQL refuses NUL in text; UTF-8 has no lone surrogates) and neither
    means anything to the bot; the rest of the text is kept and the event is handled as usual.
    The check costs one encode of the JSON that is stored anyway; the walk runs only when needed.
    """
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if "\\u0000" not in text:
            return event, text
    event = _cleaned(event)
    return event, json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def _cleaned(node: Any) -> Any:
    if isinstance(node, str):
        return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in node)
    if isinstance(node, dict):
        return {_cleaned(k): _cleaned(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_cleaned(v) for v in node]
    return node


def _has_message_id(message: Any) -> bool:
    return (
        isinstance(message, dict) and _is_line_id(message.get("id")) and isinstance(message.get("type"), str)
    )


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
        event, at, payload = usable
        rows.append(
            {
                "webhook_event_id": event["webhookEventId"],
                "event_type": str(event.get("type")),
                "event_at": at,
                "received_at": now,
                "payload": payload,
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
    error: str | None = None
    batch: list[_Waiting] | None = None  # set when this request is to write (for these requests)
    wake: threading.Event = field(default_factory=threading.Event)


class InboxWriter:
    """Stores webhook rows with group commit: one statement, one commit, for all requests waiting together.

    A request returns only once its rows are committed, so a 200 still means "stored durably";
    but requests arriving together share one commit (one fsync on SQLite) instead of queueing
    for the database's single write lock one by one. The rows go in as one multi-row INSERT on a
    connection kept per process: this path runs for every event LINE sends, and on SQLite every
    extra statement inside the write lock is another wait for the GIL while other processes wait
    for the lock.
    """

    ROWS_PER_STATEMENT = 500  # well under SQLite's limit of 32,766 parameters

    def __init__(self, engine: Engine, on_stored: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._on_stored = on_stored
        self._turn = threading.Lock()
        self._pending: list[_Waiting] = []
        self._writing = False
        self._owner_pid = os.getpid()
        self._conn: PoolProxiedConnection | None = None
        table = InboxEvent.__table__
        dialect = engine.dialect
        quote = dialect.identifier_preparer.quote
        self._head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in ROW_COLUMNS)}) VALUES "
        self._tail = f" ON CONFLICT ({quote('webhook_event_id')}) DO NOTHING"
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._one_row = "(" + ", ".join([mark] * len(ROW_COLUMNS)) + ")"
        # The column types' own conversions (UtcDateTime: aware -> UTC), as SQLAlchemy would apply them.
        processors = {c.key: c.type._cached_bind_processor(dialect) for c in table.columns}
        self._convert = [processors[name] for name in ROW_COLUMNS]
        # SQLite runs in autocommit mode here: the single INSERT is its own transaction.
        self._commit = dialect.name != "sqlite"

    def store(self, rows: list[dict[str, Any]], timeout: float = 10.0) -> None:
        """Store the rows durably; a webhookEventId already stored (a redelivery) is ignored.

        A request that finds no write in progress writes at once; requests arriving during a
        write wait, and the first of them then writes for all of them. Each waiting request is
        woken once, when its rows are committed or it is its turn to write. Raises
        InboxUnavailable when the database refuses, TimeoutError when it does not answer in time.
        """
        if not rows:
            return
        mine = _Waiting(rows)
        with self._turn:
            if self._owner_pid != os.getpid():  # gunicorn forked us: never share a connection
                self._owner_pid, self._conn, self._pending, self._writing = os.getpid(), None, [], False
            if self._writing:
                self._pending.append(mine)
            else:
                self._writing = True
                mine.batch = [mine]
        if mine.batch is None and not mine.wake.wait(timeout):
            raise TimeoutError("the inbox write did not finish in time")  # it may still land: LINE redelivers
        if mine.batch is not None:  # our turn to write, for everyone in the batch
            self._write_batch(mine.batch)
            with self._turn:
                if self._pending:
                    following, self._pending = self._pending, []
                    following[0].batch = following
                    following[0].wake.set()
                else:
                    self._writing = False
        if mine.error is not None:
            raise InboxUnavailable(mine.error)

    def _write_batch(self, batch: list[_Waiting]) -> None:
        error = self._write_rows([row for waiting in batch for row in waiting.rows])
        if error is not None and len(batch) > 1:
            # One request's rows may be what the database refused: each request is tried alone, so
            # the others are stored and answered 200. (If the database is down, each fails as fast.)
            for waiting in batch:
                waiting.error = self._write_rows(waiting.rows)
        else:
            for waiting in batch:
                waiting.error = error
        for waiting in batch:
            if waiting.batch is None:
                waiting.wake.set()

    def _write_rows(self, rows: list[dict[str, Any]]) -> str | None:
        """Write the rows; None when stored, else the first line of why not."""
        try:
            stored = self._write(rows)
        except Exception as exc:
            return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if stored and self._on_stored is not None:
            self._on_stored()
        if stored < len(rows):
            redelivered = len(rows) - stored
            log.info("webhook: %d of %d events were already stored (redelivered)", redelivered, len(rows))
        return None

    def _write(self, rows: list[dict[str, Any]]) -> int:
        """Insert the rows; returns how many were new.

        A kept connection may have died with a database restart: then the rows are tried once
        more on a new connection, so a restart costs no webhook a 503 once the database is back.
        """
        params = [self._params(row) for row in rows]  # before taking the write lock
        reused = self._conn is not None
        try:
            return self._write_on(self._connection(), params)
        except Exception:
            if not reused:
                raise
            log.info("inbox: the database connection was lost; reconnecting")
            return self._write_on(self._connection(), params)

    def _connection(self) -> PoolProxiedConnection:
        if self._conn is None:
            self._conn = self._engine.raw_connection()
            self._conn.info["write_urgent"] = True  # LINE waits for the answer: before the worker's writes
            if not self._commit:
                # Copying the WAL back into the database (with its own fsync) is left to the worker's
                # connections, so a webhook never waits for a checkpoint.
                self._conn.cursor().execute("PRAGMA wal_autocheckpoint=0")
        return self._conn

    def _write_on(self, conn: PoolProxiedConnection, params: list[tuple[Any, ...]]) -> int:
        stored = 0
        try:
            with sqlite_write_lock(conn.info):
                cursor = conn.cursor()
                for start in range(0, len(params), self.ROWS_PER_STATEMENT):
                    chunk = params[start : start + self.ROWS_PER_STATEMENT]
                    sql = self._head + ", ".join([self._one_row] * len(chunk)) + self._tail
                    cursor.execute(sql, [value for row in chunk for value in row])
                    stored += max(cursor.rowcount, 0)  # rows not inserted were already stored
                if self._commit:
                    conn.commit()
                cursor.close()
        except Exception:
            self._conn = None
            with contextlib.suppress(Exception):
                conn.invalidate()  # never reuse a connection in an unknown state
            raise
        return stored

    def _params(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            convert(row[name]) if convert else row[name]
            for name, convert in zip(ROW_COLUMNS, self._convert, strict=True)
        )


def _sdk_event_type(raw: dict[str, Any]) -> str | None:
    # Imported here, not at the top: the SDK costs a CLI command (which imports this module through
    # bot.services) half a second at start, and only the webhook and the worker read events.
    from linebot.v3.webhooks import Event

    return Event.get_discriminator_value(raw)  # type: ignore[no-any-return]
