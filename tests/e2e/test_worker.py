"""`rongtook queues` counts the inbox and outbox rows and the month's pushes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.sandbox import events as ev
from tests.conftest import post_events
from tests.worker_common import Clock, make_worker


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_queues_command_counts_rows_and_pushes(client, services, stub, clock, tmp_path, db_url):
    from tests.e2e.test_settings import run_cli

    user = ev.new_user_id()
    old = int((clock() - timedelta(minutes=5)).timestamp() * 1000)
    post_events(client, [ev.text_event(user, "เก่า", timestamp_ms=old), ev.text_event(user, "ใหม่")])
    make_worker(services, stub, clock).drain()
    result = run_cli(tmp_path, "queues", DATABASE_URL=db_url, PHOTO_DIR=str(tmp_path / "p"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "inbox: done 2"
    assert lines[1] == "outbox: done 2"
    assert lines[2].endswith(": 1")  # the stale one went as a push; the fresh one as a free reply
