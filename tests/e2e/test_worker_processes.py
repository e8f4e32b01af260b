"""Real worker processes: killed mid-batch and restarted, and several at once (every backend).

LINE is played by the sandbox's fake Messaging API, which, like LINE, refuses a used reply
token and answers 409 to a push whose retry key it has already accepted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox import events as ev
from models import Dialog, InboxEvent, OutboxMessage, SandboxMessage, SandboxReplyToken, SandboxUser
from models.clock import clock
from models.db import transaction
from tests.conftest import post_events

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def start_worker(
    db_url: str, line_url: str, tmp_path: Path, name: str, threads: int = 32
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=db_url,
        LINE_API_BASE_URL=f"{line_url}/sandbox/line",
        PHOTO_DIR=str(tmp_path / "photos"),
        INBOX_LEASE_SECONDS="2",
        WORKER_THREADS=str(threads),
        PYTHONPATH=str(REPO),
    )
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def setup_conversations(client, services, users: int, per_user: int) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Sandbox users, and their text events stored in the inbox; returns the texts per user."""
    sent: dict[str, list[str]] = {}
    now = clock.now()
    all_events = []
    with transaction(services.sessions) as session:
        for u in range(users):
            user = ev.new_user_id()
            session.add(SandboxUser(line_user_id=user, display_name=f"ผู้ใช้ {u}", created_at=now))
            sent[user] = [f"ผู้ใช้ {u} ข้อความ {i}" for i in range(per_user)]
    for i in range(per_user):
        for user, texts in sent.items():
            all_events.append(ev.text_event(user, texts[i]))
    with transaction(services.sessions) as session:
        for event in all_events:
            session.add(
                SandboxReplyToken(
                    token=event["replyToken"], line_user_id=event["source"]["userId"], issued_at=now
                )
            )
    for start in range(0, len(all_events), 25):
        assert post_events(client, all_events[start : start + 25]).status_code == 200
    return sent


def delivered(services) -> int:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "done")) or 0


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def assert_each_event_answered_once_in_order(services, sent: dict[str, list[str]]) -> None:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        statuses = Counter(session.scalars(select(InboxEvent.status)))
        per_event = Counter(session.scalars(select(OutboxMessage.inbox_event_id)))
        outbox_statuses = Counter(session.scalars(select(OutboxMessage.status)))
        answers: dict[str, int] = defaultdict(int)  # outbox rows sent, per user
        messages_sent: dict[str, int] = defaultdict(int)  # LINE messages in them
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.status == "done")):
            answers[row.to] += 1
            messages_sent[row.to] += len(json.loads(row.messages))
        in_chat = Counter(
            session.scalars(select(SandboxMessage.line_user_id).where(SandboxMessage.direction == "bot"))
        )
        drafts = {d.line_user_id: d.data.get("description") for d in session.scalars(select(Dialog))}
    total = sum(len(t) for t in sent.values())
    assert statuses == {"done": total}
    assert len(per_event) == total and set(per_event.values()) == {1}  # each event handled exactly once
    assert outbox_statuses == {"done": total}
    for user, texts in sent.items():
        assert answers[user] == len(texts), f"{user}: {answers[user]} answers for {len(texts)} messages"
        assert in_chat[user] == messages_sent[user]  # what LINE got, each message once
        # Each text went into the user's draft once, in the order sent.
        assert drafts[user] == "\n".join(texts)


def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            kill(proc)


def test_worker_killed_mid_batch_and_restarted_loses_nothing_and_repeats_nothing(
    client, services, live_server, db_url, tmp_path
):
    sent = setup_conversations(client, services, users=8, per_user=30)
    total = 240
    worker = start_worker(db_url, live_server.url, tmp_path, "first")
    try:
        wait_for(lambda: delivered(services) >= 20, 60, "the first answers")
        kill(worker)  # SIGKILL: no clean-up, rows stay leased
        at_kill = delivered(services)
        assert at_kill < total, "the worker finished before it could be killed; the test proved nothing"
        worker = start_worker(db_url, live_server.url, tmp_path, "second")
        wait_for(lambda: delivered(services) >= total, 120, "all answers after the restart")
        time.sleep(0.5)  # anything sent twice would arrive now
    finally:
        stop(worker)
    assert_each_event_answered_once_in_order(services, sent)


def test_two_workers_at_once_share_the_work_without_taking_the_same_event(
    client, services, live_server, db_url, tmp_path
):
    sent = setup_conversations(client, services, users=10, per_user=12)
    # Fewer threads than chats: one worker alone cannot hold every chat, so both take part.
    workers = [start_worker(db_url, live_server.url, tmp_path, f"w{i}", threads=4) for i in range(2)]
    try:
        wait_for(lambda: delivered(services) >= 120, 120, "all answers")
        time.sleep(0.5)
    finally:
        for w in workers:
            stop(w)
    assert_each_event_answered_once_in_order(services, sent)
    with transaction(services.sessions) as session:
        claimed_by = {c.split(":")[1] for c in session.scalars(select(InboxEvent.claimed_by))}
    assert len(claimed_by) == 2, "both workers should have taken part"
