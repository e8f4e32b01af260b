"""What the app and the worker share: settings, the database, and a wake-up signal."""

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
    # Set when the webhook stored events, so a worker in the same process starts at once
    # instead of at its next poll.
    wake: threading.Event = field(default_factory=threading.Event)
    inbox_writer: InboxWriter = field(init=False)

    def __post_init__(self) -> None:
        self.inbox_writer = InboxWriter(self.engine, on_stored=self.wake.set)

    @classmethod
    def from_settings(cls, settings: Settings, connections: int = 5) -> Services:
        engine = make_engine(settings.database_url, connections)
        return cls(settings=settings, engine=engine, sessions=make_session_factory(engine))
