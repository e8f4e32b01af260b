"""What the app and the worker share: settings, the database (and its read replica), and a wake-up signal."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.inbox import InboxWriter
from bot.settings import Settings
from models.db import make_engine, make_session_factory


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # Sessions on the read replica (DATABASE_REPLICA_URL) for reads that may be a few seconds behind: the
    # public pages and APIs, the open data, the KPI scores. None given: the primary's `sessions`.
    read_sessions: sessionmaker[Session] = None  # type: ignore[assignment]
    # Set when the webhook stored events, so a worker in the same process starts at once
    # instead of at its next poll.
    wake: threading.Event = field(default_factory=threading.Event)
    inbox_writer: InboxWriter = field(init=False)

    def __post_init__(self) -> None:
        if self.read_sessions is None:
            self.read_sessions = self.sessions
        self.inbox_writer = InboxWriter(self.engine, on_stored=self.wake.set)

    @classmethod
    def from_settings(cls, settings: Settings, connections: int = 5) -> Services:
        engine = make_engine(settings.database_url, connections)
        sessions = make_session_factory(engine)
        # The replica's pool opens its connections only when a read asks (a worker never does).
        replica = settings.database_replica_url
        read_sessions = make_session_factory(make_engine(replica, connections)) if replica else sessions
        return cls(settings=settings, engine=engine, sessions=sessions, read_sessions=read_sessions)
