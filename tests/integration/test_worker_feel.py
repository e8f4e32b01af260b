"""How the bot feels (issue 18 point 6): LINE's loading animation when handling takes over a second, and
the user's message marked as read once handled, where the channel sends a token for it."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from bot import worker as worker_module
from bot.sandbox import events as ev
from bot.services import Services
from tests.conftest import post_events
from tests.line_stub import LineStub
from tests.worker_common import Clock, make_worker


@pytest.fixture
def clock() -> Clock:
    return Clock()


def answers(stub: LineStub) -> list[Any]:
    return [c for c in stub.calls("/v2/bot/message/") if c.path.endswith(("/reply", "/push"))]


def eventually(check: Any, seconds: float = 3.0) -> Any:
    """The sending threads' calls land a moment after the worker's pass."""
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return result


def test_handling_slower_than_a_second_shows_the_loading_animation_before_the_answer(
    client: Any, services: Services, stub: LineStub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = worker_module.handle

    def slow(event: Any, ctx: Any) -> Any:
        time.sleep(1.5)  # a long list, a slow query
        return real(event, ctx)

    monkeypatch.setattr(worker_module, "handle", slow)
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "ติดตามเรื่อง", timestamp_ms=int(clock().timestamp() * 1000))])
    make_worker(services, stub, clock).drain()
    (loading,) = eventually(lambda: stub.calls("/chat/loading/start"))
    (answer,) = answers(stub)
    assert loading.body["chatId"] == user
    assert loading.started < answer.started  # the dots while the user waited, then the answer


def test_the_answer_waits_for_a_slow_dots_call_so_the_dots_never_outlast_it(
    client: Any, services: Services, stub: LineStub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = worker_module.handle

    def slow(event: Any, ctx: Any) -> Any:
        time.sleep(0.6)
        return real(event, ctx)

    monkeypatch.setattr(worker_module, "handle", slow)
    stub.delay_s = {"/chat/loading/start": 0.8}  # LINE slow to take the dots; the handler done meanwhile
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "ติดตามเรื่อง", timestamp_ms=int(clock().timestamp() * 1000))])
    worker = make_worker(services, stub, clock)
    worker._slow = worker_module.SlowWatch(worker._loading_now, after_s=0.3, look_every_s=0.05)
    worker.drain()
    (loading,) = eventually(lambda: stub.calls("/chat/loading/start"))
    (answer,) = eventually(lambda: answers(stub))
    assert eventually(lambda: loading.ended)  # LINE has answered the dots' call
    assert loading.ended <= answer.started  # dots asked for after the answer would hang on the screen


def test_a_slow_photo_gets_the_dots_once(
    client: Any, services: Services, stub: LineStub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = worker_module.handle

    def slow(event: Any, ctx: Any) -> Any:
        time.sleep(0.6)  # a large photo's fingerprint on a busy machine
        return real(event, ctx)

    monkeypatch.setattr(worker_module, "handle", slow)
    user = ev.new_user_id()
    post_events(client, [ev.image_event(user, "m-slow", timestamp_ms=int(clock().timestamp() * 1000))])
    worker = make_worker(services, stub, clock)
    worker._slow = worker_module.SlowWatch(worker._loading_now, after_s=0.3, look_every_s=0.05)
    worker.drain()
    assert eventually(lambda: answers(stub))
    time.sleep(0.3)
    (loading,) = stub.calls("/chat/loading/start")  # shown before the download; not again while handled
    assert loading.started < answers(stub)[0].started


def test_a_prompt_answer_needs_no_animation(
    client: Any, services: Services, stub: LineStub, clock: Clock
) -> None:
    post_events(
        client, [ev.text_event(ev.new_user_id(), "สวัสดี", timestamp_ms=int(clock().timestamp() * 1000))]
    )
    worker = make_worker(services, stub, clock)
    # Three seconds here, not one: a loaded CI machine may take a second over a greeting, which would then
    # rightly get the dots; what is tested is that an event handled in time is forgotten by the watch.
    worker._slow = worker_module.SlowWatch(worker._loading_now, after_s=3.0)
    worker.drain()
    time.sleep(3.4)  # past the limit: a watch that had not forgotten the event would show the dots now
    assert len(answers(stub)) == 1 and stub.calls("/chat/loading/start") == []


def test_a_handled_message_is_marked_read_with_its_token_and_one_without_is_not(
    client: Any, services: Services, stub: LineStub, clock: Clock
) -> None:
    stamp = int(clock().timestamp() * 1000)
    with_token = ev.text_event(ev.new_user_id(), "ไฟดับหน้าบ้าน", timestamp_ms=stamp)
    with_token["message"]["markAsReadToken"] = "nz0x74mZT2mRn-token"
    without = ev.text_event(ev.new_user_id(), "ถนนเป็นหลุม", timestamp_ms=stamp)
    post_events(client, [with_token, without])
    make_worker(services, stub, clock).drain()
    (marked,) = eventually(lambda: stub.calls("/chat/markAsRead"))
    assert marked.body == {"markAsReadToken": "nz0x74mZT2mRn-token"}
    assert len(answers(stub)) == 2
    time.sleep(0.2)
    assert len(stub.calls("/chat/markAsRead")) == 1


def test_a_refused_mark_as_read_changes_nothing_else(
    client: Any, services: Services, stub: LineStub, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    stub.scripts["/chat/markAsRead"] = [400]
    user = ev.new_user_id()
    event = ev.text_event(user, "ไฟดับ", timestamp_ms=int(clock().timestamp() * 1000))
    event["message"]["markAsReadToken"] = "expired-token"
    post_events(client, [event])
    worker = make_worker(services, stub, clock)
    with caplog.at_level(logging.INFO, logger="bot.worker"):
        worker.drain()
        assert eventually(lambda: "not marked as read" in caplog.text)
    assert len(answers(stub)) == 1
    post_events(client, [ev.text_event(user, "สวัสดี", timestamp_ms=int(clock().timestamp() * 1000))])
    worker.drain()
    assert len(answers(stub)) == 2  # the chat goes on
