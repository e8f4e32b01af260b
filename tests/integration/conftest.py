"""The integration tier: the app's parts against a real database (SQLite and PostgreSQL), in one process.

Tests that start processes (the CLI, gunicorn, a worker), a browser or a Prism mock live in tests/e2e;
one here that starts a process fails at once, so the tier stays fast and can run under a moved clock.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("an integration test may not start a process: move it to tests/e2e")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
