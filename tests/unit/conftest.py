"""The unit tier: no database, no network, no processes; the whole tier runs in seconds.

A test here that reaches for any of them fails at once with the reason, so a slow test cannot
drift into this folder unnoticed. Tests that need them live in tests/integration or tests/e2e.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest


class NotInTheUnitTier(AssertionError):
    pass


def _refuse(what: str) -> Any:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise NotInTheUnitTier(f"a unit test may not {what}: move it to tests/integration or tests/e2e")

    return refuse


@pytest.fixture(autouse=True)
def _no_database_network_or_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _refuse("open a network connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("open a network connection"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("start a process"))
    monkeypatch.setattr(sqlite3, "connect", _refuse("open a database"))  # PostgreSQL needs a connection
    yield


@pytest.fixture
def db_url() -> str:
    raise NotInTheUnitTier("a unit test takes no database: move it to tests/integration")
