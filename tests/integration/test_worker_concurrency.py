"""The worker serves many chats at once and keeps each chat in order (every backend).

LINE answers each call after a delay here, as the real API does (100-200 ms from Bangkok): a
worker that called LINE one chat at a time would keep every other chat waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.sandbox import events as ev
from bot.worker import Worker, run_worker_until
from models import InboxEvent, OutboxMessage
from models.clock import clock as app_clock
from models.db import transaction
from models.outbox import enqueue
from models.queues import QueueStatus
from tests.conftest import post_events
from tests.line_stub import LineStub, Recorded
from tests.worker_common import Clock, make_worker

LINE_DELAY_S = 0.1
# Long enough that the worker's threads handle their next events while a call waits, even on a
# loaded CI machine where handling one event can take tens of milliseconds.
OVERLAP_DELAY_S = 0.4


@pytest.fixture
def clock() -> Clock:
    return Clock()


def unfinished(services) -> int:  # type: ignore[no-untyped-def]
    busy = (QueueStatus.PENDING.value, QueueStatus.PROCESSING.value)
    with transaction(services.sessions) as session:
        return sum(
            len(session.scalars(select(m.id).where(m.status.in_(busy))).all())
            for m in (InboxEvent, OutboxMessage)
        )


@contextmanager
def running(worker: Worker) -> Iterator[None]:
    stop = threading.Event()
    thread = run_worker_until(stop, worker)
    try:
        yield
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the worker did not stop"


def wait_until_idle(services, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    done = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if unfinished(services) == 0:
            return
        done.wait(0.05)
    raise AssertionError(f"still {unfinished(services)} rows to do after {seconds:.0f} s")


def chat_of(call: Recorded, users_by_token: dict[str, str]) -> str:
    body = call.body or {}
    return str(body.get("to") or body.get("chatId") or users_by_token.get(body.get("replyToken", ""), "?"))


def message_calls(stub: LineStub) -> list[Recorded]:
    return [c for c in stub.calls("/v2/bot/message/") if c.path.endswith(("/reply", "/push"))]


def send_texts(client, users: list[str], per_user: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each user sends `per_user` texts, all delivered before the worker starts; tokens → users."""
    users_by_token: dict[str, str] = {}
    for i in range(per_user):
        batch = [ev.text_event(user, f"ข้อความที่ {i}") for user in users]
        users_by_token.update({e["replyToken"]: e["source"]["userId"] for e in batch})
        assert post_events(client, batch).status_code == 200
    return users_by_token


def test_calls_for_different_chats_overlap_while_each_chat_keeps_its_order(client, services, stub, clock):
    stub.delay_s = {"/v2/bot/": OVERLAP_DELAY_S}
    users = [ev.new_user_id() for _ in range(12)]
    users_by_token = send_texts(client, users, per_user=3)
    tokens_in_order = {u: [t for t, owner in users_by_token.items() if owner == u] for u in users}

    with running(Worker(services, make_worker(services, stub, clock).gateway, clock=clock, threads=8)):
        wait_until_idle(services)

    assert stub.max_in_flight >= 4, "LINE was called for one chat at a time"
    assert stub.max_in_flight <= 8  # never more than the worker's threads
    calls = stub.calls("/v2/bot/")
    for user in users:
        mine = sorted((c for c in calls if chat_of(c, users_by_token) == user), key=lambda c: c.started)
        # One chat's calls never overlap: each starts after the one before it was answered.
        assert all(a.ended <= b.started for a, b in zip(mine, mine[1:], strict=False)), user
        replies = [c.body["replyToken"] for c in mine if c.path.endswith("/reply")]
        assert replies == tokens_in_order[user]  # every event answered, by a reply, in the order sent
    assert not [c for c in message_calls(stub) if c.path.endswith("/push")]


def test_the_answer_goes_out_as_soon_as_its_event_is_handled(client, services, stub, clock):
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "ไฟดับหน้าซอย")])
    worker = make_worker(services, stub, clock)
    assert worker.process_inbox() == 1  # only the inbox: the thread that handled it also answered
    (reply,) = message_calls(stub)
    assert reply.path.endswith("/reply")
    with transaction(services.sessions) as session:
        (row,) = session.scalars(select(OutboxMessage)).all()
        assert (row.status, row.sent_as) == ("done", "reply")


def test_an_earlier_message_to_the_chat_still_goes_first(client, services, stub, clock):
    user = ev.new_user_id()
    with transaction(services.sessions) as session:
        enqueue(session, user, [{"type": "text", "text": "แจ้งก่อนหน้า"}], now=app_clock.now())
    post_events(client, [ev.text_event(user, "ไฟดับหน้าซอย")])
    make_worker(services, stub, clock).process_inbox()
    sent = message_calls(stub)
    assert [c.path.rsplit("/", 1)[-1] for c in sent] == ["push", "reply"]
    assert sent[0].body["messages"][0]["text"] == "แจ้งก่อนหน้า"


def test_a_row_whose_thread_lost_the_database_is_taken_again_and_answered_once(
    client, services, stub, clock, monkeypatch
):
    users = [ev.new_user_id() for _ in range(3)]
    users_by_token = send_texts(client, users, per_user=2)
    worker = make_worker(services, stub, clock)
    worker.threads = 4
    real: Callable[..., Any] = worker._process_event
    failed: list[int] = []

    def drops_once(row, payload, *rest):  # type: ignore[no-untyped-def]
        if not failed:
            failed.append(row.id)
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return real(row, payload, *rest)

    monkeypatch.setattr(worker, "_process_event", drops_once)
    with running(worker):
        wait_until_idle(services)

    assert failed  # the outage happened, and the row came back without waiting for its lease
    replies = [c.body["replyToken"] for c in message_calls(stub)]
    assert sorted(replies) == sorted(users_by_token)  # every event answered exactly once
    with transaction(services.sessions) as session:
        assert {s for s in session.scalars(select(InboxEvent.status))} == {"done"}


# ---- LINE's loading animation: when the user would otherwise wait, and only then ----------------


def test_a_prompt_answer_goes_without_the_loading_animation(client, services, stub, clock):
    from bot import worker as worker_module

    post_events(client, [ev.text_event(ev.new_user_id(), "ไฟดับหน้าซอย")])
    worker = make_worker(services, stub, clock)
    # An event that did not wait in the queue: no dots before it. (The watch for slow handling is set
    # far off: a loaded CI machine may take a second over this one, which would rightly show them.)
    worker._slow = worker_module.SlowWatch(worker._loading_now, after_s=30.0)
    worker.drain()
    assert len(message_calls(stub)) == 1
    assert stub.calls("/chat/loading/start") == []  # one round trip to LINE fewer before the answer


def test_an_event_that_waited_shows_the_animation_once_while_answers_then_flow(client, services, stub, clock):
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "ข้อความแรก"), ev.text_event(user, "ข้อความที่สอง")])
    clock.advance(5)  # the worker was busy: both events waited five seconds
    make_worker(services, stub, clock).drain()
    (loading,) = stub.calls("/chat/loading/start")
    assert loading.body["chatId"] == user
    first, second = message_calls(stub)
    assert loading.started < first.started  # the dots first, then the answer
    assert len(stub.calls("/v2/bot/")) == 3  # the second answer followed the first without its own dots


def test_a_long_answer_goes_out_whole_from_the_inbox_pass(client, services, stub, clock, monkeypatch):
    from bot import worker as worker_module
    from handlers.context import Response

    seven = [{"type": "text", "text": str(i)} for i in range(7)]
    monkeypatch.setattr(worker_module, "handle", lambda event, ctx: Response(reply=seven))
    post_events(client, [ev.text_event(ev.new_user_id(), "สรุปเรื่องทั้งหมด")])
    make_worker(services, stub, clock).process_inbox()  # no outbox pass: the handling thread sent both
    sent = message_calls(stub)
    assert [c.path.rsplit("/", 1)[-1] for c in sent] == ["reply", "push"]  # LINE takes 5 messages a request
    assert [m["text"] for c in sent for m in c.body["messages"]] == [str(i) for i in range(7)]


def _chat_run(services, worker: Worker) -> None:  # type: ignore[no-untyped-def]
    """The worker's thread for one chat: its first event claimed, then the chat's run as `run` does it."""
    from datetime import timedelta

    from bot.worker import Claimed
    from models.queue_ops import claim

    with transaction(services.sessions) as session:
        (first,) = claim(
            session, InboxEvent, now=app_clock.now(), worker=worker.name, lease=timedelta(seconds=60), limit=5
        )
    worker._inbox_task(Claimed(first.id, first.attempts, first.chat_key), first.payload)


def test_a_chats_next_event_is_handled_while_the_answer_before_it_is_on_its_way(
    client, services, stub, clock, monkeypatch
):
    import time

    import bot.worker as worker_module

    stub.delay_s = {"/message/reply": OVERLAP_DELAY_S}
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, f"ข้อความ {i}") for i in range(3)])
    handled: list[float] = []
    real = worker_module.handle

    def timed(event, ctx):  # type: ignore[no-untyped-def]
        handled.append(time.monotonic())
        return real(event, ctx)

    monkeypatch.setattr(worker_module, "handle", timed)
    _chat_run(services, make_worker(services, stub, clock))
    replies = [c for c in message_calls(stub) if c.path.endswith("/reply")]
    assert len(replies) == 3 and len(handled) == 3
    # The second and third events were handled before LINE had answered the call before each ...
    assert handled[1] < replies[0].ended
    assert handled[2] < replies[1].ended
    # ... and the answers still went one after the other, in the order of the events.
    assert all(a.ended <= b.started for a, b in zip(replies, replies[1:], strict=False))
    assert [c.body["messages"][0]["text"] for c in replies] == [
        c.body["messages"][0]["text"] for c in sorted(replies, key=lambda c: c.started)
    ]
    with transaction(services.sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.status, r.sent_as) for r in rows] == [("done", "reply")] * 3


def test_when_the_answer_on_its_way_fails_the_next_one_waits_for_its_retry(client, services, stub, clock):
    stub.scripts["/message/reply"] = [500, 200]  # the first answer fails once, then LINE is back
    stub.delay_s = {"/message/reply": 0.2}
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "หนึ่ง"), ev.text_event(user, "สอง")])
    worker = make_worker(services, stub, clock)
    _chat_run(services, worker)
    with transaction(services.sessions) as session:
        first, second = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert (first.status, first.attempts) == ("pending", 1)  # to be tried again after a pause
        # The second answer, taken while the first was on its way, was given back untried.
        assert (second.status, second.attempts, second.claimed_by) == ("pending", 0, None)
    assert len(stub.calls("/message/")) == 1
    clock.advance(5)
    worker.drain()
    calls = stub.calls("/message/")
    assert len(calls) == 3
    # The retry of the first answer went out before the second.
    assert calls[1].body["messages"] == calls[0].body["messages"]
    assert calls[1].ended <= calls[2].started
