"""The worker under faults of LINE and of old or partial events: no row stops it, none is sent forever."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.sandbox import events as ev
from bot.services import Services
from models import InboxEvent, OutboxMessage
from models.db import transaction
from models.outbox import enqueue
from tests.citizen_chat import texts
from tests.conftest import post_events
from tests.line_stub import LineStub
from tests.worker_common import Clock, make_worker


@pytest.fixture
def clock() -> Clock:
    return Clock()


def outbox(services: Services) -> list[OutboxMessage]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def inbox(services: Services) -> list[InboxEvent]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


@pytest.mark.parametrize("path", ["/push", "/reply"])
def test_an_answer_line_sent_2xx_but_unreadable_counts_as_sent_and_the_worker_goes_on(
    client: Any, services: Services, stub: LineStub, clock: Clock, path: str
) -> None:
    stub.bodies[path] = "{}"  # LINE took it, but the SDK cannot read this answer
    user = ev.new_user_id()
    if path == "/push":
        with transaction(services.sessions) as session:
            enqueue(session, user, [{"type": "text", "text": "แจ้งเตือน"}], now=clock())
    else:
        post_events(client, [ev.text_event(user, "ไฟดับ", timestamp_ms=int(clock().timestamp() * 1000))])
    worker = make_worker(services, stub, clock)
    worker.drain()
    (row,) = outbox(services)
    assert (row.status, row.attempts, row.sent_as) == ("done", 1, path.strip("/"))
    assert len(stub.calls(path)) == 1  # sent once, never again
    with transaction(services.sessions) as session:  # and the worker still works
        enqueue(session, user, [{"type": "text", "text": "อีกข้อความ"}], now=clock())
    worker.drain()
    assert [r.status for r in outbox(services)] == ["done", "done"]


def test_an_outbox_row_taken_too_often_is_given_up_not_sent_again(
    services: Services, stub: LineStub, clock: Clock
) -> None:
    # What a worker that died on this row at every try leaves behind: attempts climbing, no result.
    with transaction(services.sessions) as session:
        row = enqueue(session, "U" + "a" * 32, [{"type": "text", "text": "x"}], now=clock())
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(attempts=services.settings.max_attempts)
        )
    make_worker(services, stub, clock).drain()
    (row,) = outbox(services)
    assert row.status == "failed" and "gave up" in (row.last_error or "")
    assert stub.calls("/message/") == []


def test_an_unexpected_error_while_sending_one_row_does_not_stop_the_others(
    services: Services, stub: LineStub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = make_worker(services, stub, clock)
    real_push = worker.gateway.push

    def push(to: str, messages: Any, retry_key: str) -> None:
        if json.loads(messages)[0]["text"] == "พัง":  # as the outbox keeps them: JSON text
            raise RuntimeError("a bug in sending")
        real_push(to, messages, retry_key)

    monkeypatch.setattr(worker.gateway, "push", push)
    with transaction(services.sessions) as session:
        enqueue(session, "U" + "a" * 32, [{"type": "text", "text": "พัง"}], now=clock())
        enqueue(session, "U" + "b" * 32, [{"type": "text", "text": "ดี"}], now=clock())
    worker.drain()
    broken, good = outbox(services)
    assert broken.status == "pending" and "RuntimeError: a bug in sending" in (broken.last_error or "")
    assert good.status == "done"
    for _ in range(12):  # retried with back-off, then given up: never forever
        clock.advance(700)
        worker.drain()
    broken, _ = outbox(services)
    assert (broken.status, broken.attempts) == ("failed", services.settings.max_attempts)


def older(event: dict[str, Any], drop: tuple[str, ...]) -> dict[str, Any]:
    node = event
    for key in drop[:-1]:
        node = node[key]
    del node[drop[-1]]
    return event


@pytest.mark.parametrize(
    "make, drop",
    [
        (lambda u: ev.text_event(u, "ไฟดับหน้าบ้าน"), ("message", "quoteToken")),
        (lambda u: ev.image_event(u, ev.new_id(18)), ("message", "quoteToken")),
        (lambda u: ev.follow_event(u), ("follow",)),
        (lambda u: ev.text_event(u, "ไฟดับหน้าบ้าน"), ("deliveryContext",)),
    ],
    ids=[
        "text without quoteToken",
        "image without quoteToken",
        "follow without follow",
        "no deliveryContext",
    ],
)
def test_older_and_partial_line_events_are_handled_like_current_ones(
    client: Any, services: Services, stub: LineStub, clock: Clock, make: Any, drop: tuple[str, ...]
) -> None:
    user = ev.new_user_id()
    event = older(make(user), drop)
    event["timestamp"] = int(clock().timestamp() * 1000)
    assert post_events(client, [event]).status_code == 200
    make_worker(services, stub, clock).drain()
    (row,) = inbox(services)
    assert row.status == "done", row.last_error
    (reply,) = stub.calls("/message/reply")
    assert texts(reply.body["messages"])  # answered, as the current form of the event would be


def test_a_sticker_without_quote_token_gets_the_polite_answer(
    client: Any, services: Services, stub: LineStub, clock: Clock
) -> None:
    user = ev.new_user_id()
    event = ev.base_event("message", user, timestamp_ms=int(clock().timestamp() * 1000))
    event["message"] = {"type": "sticker", "id": ev.new_id(18), "packageId": "1", "stickerId": "2"}
    post_events(client, [event])
    make_worker(services, stub, clock).drain()
    (row,) = inbox(services)
    assert row.status == "done", row.last_error
    assert len(stub.calls("/message/reply")) == 1


def test_retry_after_a_fix_runs_a_failed_event_again(
    client: Any, services: Services, stub: LineStub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.worker as worker_module
    from models.queue_ops import failed_rows, retry_failed

    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "ไฟดับ", timestamp_ms=int(clock().timestamp() * 1000))])
    real = worker_module.handle
    monkeypatch.setattr(worker_module, "handle", lambda event, ctx: 1 / 0)
    worker = make_worker(services, stub, clock)
    worker.drain()
    with transaction(services.sessions) as session:
        (failed,) = failed_rows(session, InboxEvent)
        assert "ZeroDivisionError" in (failed.last_error or "")
        failed_id = failed.id
    monkeypatch.setattr(worker_module, "handle", real)  # the fix
    with transaction(services.sessions) as session:
        assert retry_failed(session, InboxEvent, [failed_id, 999_999], clock()) == [failed_id]
    clock.advance(1)
    worker.drain()
    (row,) = inbox(services)
    assert (row.status, row.attempts) == ("done", 1)
    assert timedelta(0) <= clock() - row.finished_at < timedelta(minutes=1)
