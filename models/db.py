"""Engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
import os
import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_CONNECTIONS = 8


def make_engine(url: str, connections: int = 5, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs to be safe under several threads.

    `connections` is how many threads use the database at once: that many are kept open.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "isolation_level": None, "timeout": 15},
            # One writer at a time in any case: a few connections serve any number of threads.
            **(
                {"pool_size": min(connections, SQLITE_CONNECTIONS), "max_overflow": 4}
                if parsed.database != ":memory:"
                else {}
            ),
            **kwargs,
        )
        _tune_sqlite(engine, parsed.database)
        return engine
    engine = create_engine(url, pool_size=connections, max_overflow=5, **kwargs)
    event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A PostgreSQL restart leaves dead pooled connections: each is found before use, and replaced.

    An idle connection has nothing to read unless the server ended it (its last words, then the end
    of the stream), so a socket with something to read is a dead one. Looking costs one `poll` and
    no round trip, where `pool_pre_ping` would cost a round trip for every transaction.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    try:
        fd = pgconn.socket
    except Exception as exc:  # psycopg refuses to give the socket of a connection that is gone
        raise DisconnectionError(str(exc)) from exc
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection")


class _WriterQueue:
    """A file lock in front of SQLite's write lock, so writers wait their turn instead of polling.

    SQLite's busy handler makes a blocked writer sleep and retry (1, 2, 5 … 100 ms), so with
    several writers the lock often sits free while they sleep. A blocking `flock` wakes the next
    writer the moment the lock is released. One lock file descriptor per connection, so threads
    and processes queue alike; a thread that already holds it (a nested transaction) does not
    wait for itself.

    Urgent writers (the webhook's, marked `info["write_urgent"]`: LINE waits for its answer) go
    before the others: an urgent writer holds a second lock, the gate, while it waits; the others
    pass the gate before they queue, and give their turn back when they find it closed once they
    have the write lock. Without it the webhook queued behind dozens of the worker's threads.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.gate = Path(f"{path}.gate")
        self.held = threading.local()

    def open(self, record: Any) -> None:
        record.info["write_lock_fd"] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        record.info["write_gate_fd"] = os.open(self.gate, os.O_RDWR | os.O_CREAT, 0o600)
        record.info["write_queue"] = self

    def acquire(self, info: dict[str, Any]) -> None:
        fd = info.get("write_lock_fd")
        if fd is None or info.get("write_lock_held") or getattr(self.held, "count", 0):
            return
        gate = info["write_gate_fd"]
        if info.get("write_urgent"):
            fcntl.flock(gate, fcntl.LOCK_EX)  # closed to the others while this one waits
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            finally:
                fcntl.flock(gate, fcntl.LOCK_UN)
        else:
            while True:
                fcntl.flock(gate, fcntl.LOCK_SH)  # waits while an urgent writer waits
                fcntl.flock(gate, fcntl.LOCK_UN)
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    fcntl.flock(gate, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:  # an urgent writer came while this one queued: it goes first
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    continue
                fcntl.flock(gate, fcntl.LOCK_UN)
                break
        info["write_lock_held"] = True
        self.held.count = 1

    def release(self, info: dict[str, Any]) -> None:
        if info.pop("write_lock_held", False):
            fcntl.flock(info["write_lock_fd"], fcntl.LOCK_UN)
            self.held.count = 0

    def close(self, record: Any) -> None:
        for name in ("write_lock_fd", "write_gate_fd"):
            fd = record.info.pop(name, None)
            if fd is not None:
                os.close(fd)  # closing also releases a lock still held


def _bit_count(value: int | None) -> int | None:
    return None if value is None else bin(value).count("1")


def _tune_sqlite(engine: Engine, database: str | None) -> None:
    writers = _WriterQueue(Path(f"{database}.writelock")) if database and database != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA synchronous=FULL")  # a stored webhook survives a power cut
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        # PostgreSQL's bit_count, for the KPI's checkpoint masks (kpi.kept_scoring).
        dbapi_conn.create_function("rongtook_bit_count", 1, _bit_count, deterministic=True)
        if writers:
            writers.open(record)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if writers:
            writers.acquire(conn.connection.info)
        # Take the write lock up front: a deferred transaction that reads and then writes
        # fails at once with "database is locked" when another process wrote in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    if writers:
        # Released when the connection goes back to the pool, i.e. just after its commit or rollback.
        @event.listens_for(engine.pool, "checkin")
        def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
            writers.release(record.info)

        @event.listens_for(engine.pool, "close")
        def _on_close(_dbapi_conn: Any, record: Any) -> None:
            writers.close(record)


@contextmanager
def sqlite_write_lock(info: dict[str, Any]) -> Iterator[None]:
    """Wait for the write turn on a raw SQLite connection (`info` of a pooled connection); no-op elsewhere."""
    writers: _WriterQueue | None = info.get("write_queue")
    if writers is None:
        yield
        return
    writers.acquire(info)
    try:
        yield
    finally:
        writers.release(info)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def insert_or_ignore(session: Session, model: type[Any], key: list[str], **values: Any) -> int:
    """Insert a row unless one with the same unique `key` exists. Returns 1 if inserted, 0 if not."""
    builder = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = builder(model).values(**values).on_conflict_do_nothing(index_elements=key)
    # RETURNING, not rowcount: psycopg reports -1 for ON CONFLICT DO NOTHING whatever happened.
    returned = session.execute(stmt.returning(*model.__table__.primary_key.columns)).first()
    return 0 if returned is None else 1
