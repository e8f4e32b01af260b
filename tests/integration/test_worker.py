"""The worker: handling inbox events in order, and sending the outbox with retries (every backend)."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.line_gateway import LineGateway
from bot.sandbox import events as ev
from bot.worker import Worker
from models import Citizen, Dialog, InboxEvent, OutboxMessage, Photo
from models.db import transaction
from models.outbox import enqueue
from tests.conftest import post_events
from tests.line_stub import LineStub
from tests.worker_common import Clock, make_worker
from texts import say


@pytest.fixture
def clock() -> Clock:
    return Clock()


def rows(services, model):  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return list(session.scalars(select(model).order_by(model.id)))


def description(services, user: str) -> str | None:  # type: ignore[no-untyped-def]
    """What the user's complaint draft says so far: the handlers' changes that were committed."""
    with transaction(services.sessions) as session:
        dialog = session.scalar(select(Dialog).where(Dialog.line_user_id == user))
        return None if dialog is None else dialog.data.get("description")


def test_follow_gets_a_thai_welcome_with_the_users_name(client, services, stub, clock):
    user = ev.new_user_id()
    post_events(client, [ev.follow_event(user)])
    make_worker(services, stub, clock).drain()
    replies = stub.calls("/v2/bot/message/reply")
    assert len(replies) == 1
    text = replies[0].body["messages"][0]["text"]
    assert "ยินดีต้อนรับ" in text and "สมชาย" in text  # the name comes from LINE's profile API
    assert [r.status for r in rows(services, InboxEvent)] == ["done"]
    (citizen,) = rows(services, Citizen)
    assert (citizen.line_user_id, citizen.display_name, citizen.following) == (user, "สมชาย", True)


def test_burst_for_one_user_is_answered_in_order(client, services, stub, clock):
    user, other = ev.new_user_id(), ev.new_user_id()
    events = []
    for i in range(25):
        events.append(ev.text_event(user, f"เรื่องที่ {i}"))
        events.append(ev.text_event(other, f"อีกคน {i}"))
    for start in range(0, len(events), 7):  # several webhook deliveries
        post_events(client, events[start : start + 7])
    make_worker(services, stub, clock).drain()
    assert len(stub.calls("/message/reply")) == 50  # every event answered once
    # The first text starts the draft, every later one is added to it: in the order sent.
    assert description(services, user) == "\n".join(f"เรื่องที่ {i}" for i in range(25))
    assert description(services, other) == "\n".join(f"อีกคน {i}" for i in range(25))
    assert {r.status for r in rows(services, InboxEvent)} == {"done"}


def test_a_handler_bug_fails_the_event_at_once_the_user_is_told_and_the_chat_goes_on(
    client, services, stub, clock, monkeypatch
):
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "พัง"), ev.text_event(user, "ต่อไป")])
    import bot.worker as worker_module

    real = worker_module.handle

    def buggy(event, ctx):  # type: ignore[no-untyped-def]
        if getattr(event.message, "text", "") == "พัง":
            raise RuntimeError("handler bug")
        return real(event, ctx)

    monkeypatch.setattr(worker_module, "handle", buggy)
    make_worker(services, stub, clock).drain()  # one pass: no retries, no waiting on back-off
    first, second = rows(services, InboxEvent)
    assert (first.status, first.attempts) == ("failed", 1)  # the same bug would fail it again
    assert "RuntimeError: handler bug" in (first.last_error or "")
    assert second.status == "done"
    replies = stub.calls("/message/reply")
    assert [r.body["messages"][0]["text"] for r in replies[:1]] == [say("handler_failed")]
    assert len(replies) == 2  # the apology, then the answer to the next message, both free replies
    assert description(services, user) == "ต่อไป"


def test_a_database_conflict_in_a_handler_is_retried_with_back_off_and_a_cap(
    client, services, stub, clock, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "ชน")])
    import bot.worker as worker_module

    def conflicting(event, ctx):  # type: ignore[no-untyped-def]
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

    monkeypatch.setattr(worker_module, "handle", conflicting)
    worker = make_worker(services, stub, clock)
    worker.drain()
    (row,) = rows(services, InboxEvent)
    assert (row.status, row.attempts) == ("pending", 1) and "IntegrityError" in (row.last_error or "")
    for _ in range(12):  # back-off: each retry only once its time has come
        clock.advance(700)
        worker.drain()
    (row,) = rows(services, InboxEvent)
    assert (row.status, row.attempts) == ("failed", services.settings.max_attempts)
    assert stub.calls("/message/") == []  # a retried event says nothing until it is handled


def test_push_answered_500_then_200_is_sent_once_with_the_same_retry_key(services, stub, clock):
    stub.scripts["/message/push"] = [500, 200]
    with transaction(services.sessions) as session:
        enqueue(session, "Uabc", [{"type": "text", "text": "แจ้งเตือน"}], now=clock())
    worker = make_worker(services, stub, clock)
    worker.drain()
    (row,) = rows(services, OutboxMessage)
    assert (row.status, row.attempts, row.last_http_status) == ("pending", 1, 500)
    clock.advance(1)
    worker.drain()
    assert len(stub.calls("/message/push")) == 1  # not yet: back-off is 2 s
    clock.advance(2)
    worker.drain()
    pushes = stub.calls("/message/push")
    assert len(pushes) == 2
    keys = {p.headers.get("X-Line-Retry-Key") for p in pushes}
    assert keys == {row.retry_key}
    (row,) = rows(services, OutboxMessage)
    assert (row.status, row.sent_as, row.attempts) == ("done", "push", 2)


def test_push_answered_400_is_failed_and_not_retried(services, stub, clock):
    stub.scripts["/message/push"] = [400]
    with transaction(services.sessions) as session:
        enqueue(session, "Uabc", [{"type": "text", "text": "x"}], now=clock())
    worker = make_worker(services, stub, clock)
    for _ in range(5):
        worker.drain()
        clock.advance(3600)
    assert len(stub.calls("/message/push")) == 1
    (row,) = rows(services, OutboxMessage)
    assert (row.status, row.last_http_status) == ("failed", 400)
    assert "400" in (row.last_error or "")


def test_push_that_keeps_failing_is_given_up_after_the_last_attempt(services, stub, clock):
    stub.scripts["/message/push"] = [503]
    with transaction(services.sessions) as session:
        enqueue(session, "Uabc", [{"type": "text", "text": "x"}], now=clock())
    worker = make_worker(services, stub, clock)
    for _ in range(20):
        worker.drain()
        clock.advance(3600)
    assert len(stub.calls("/message/push")) == services.settings.max_attempts
    assert rows(services, OutboxMessage)[0].status == "failed"


def test_429_and_unreachable_line_are_retried(services, clock):
    stub = LineStub(scripts={"/message/push": [429, 200]})
    try:
        with transaction(services.sessions) as session:
            enqueue(session, "Uabc", [{"type": "text", "text": "x"}], now=clock())
            enqueue(session, "Uother", [{"type": "text", "text": "y"}], now=clock())
        down = Worker(services, LineGateway("token", "http://127.0.0.1:9"), clock=clock, name="down")
        down.drain()  # port 9: connection refused
        assert [(r.status, r.last_http_status) for r in rows(services, OutboxMessage)] == [
            ("pending", None),
            ("pending", None),
        ]
        clock.advance(5)
        worker = make_worker(services, stub, clock)
        worker.drain()
        clock.advance(10)
        worker.drain()
        assert [r.status for r in rows(services, OutboxMessage)] == ["done", "done"]
    finally:
        stub.stop()


def test_already_accepted_retry_key_counts_as_sent(services, stub, clock):
    stub.scripts["/message/push"] = [409]
    with transaction(services.sessions) as session:
        enqueue(session, "Uabc", [{"type": "text", "text": "x"}], now=clock())
    import tests.line_stub as line_stub

    original = line_stub.Response

    def accepted(*args, **kwargs):  # type: ignore[no-untyped-def]
        response = original(*args, **kwargs)
        if kwargs.get("status") == 409:
            response.headers["X-Line-Accepted-Request-Id"] = "abc"
        return response

    line_stub.Response = accepted  # type: ignore[misc]
    try:
        make_worker(services, stub, clock).drain()
    finally:
        line_stub.Response = original  # type: ignore[misc]
    (row,) = rows(services, OutboxMessage)
    assert (row.status, row.sent_as) == ("done", "push")


def test_stale_reply_token_falls_back_to_push(client, services, stub, clock):
    user = ev.new_user_id()
    old = int((clock() - timedelta(minutes=5)).timestamp() * 1000)
    post_events(client, [ev.text_event(user, "เก่า", timestamp_ms=old)])
    make_worker(services, stub, clock).drain()
    assert stub.calls("/message/reply") == []
    (push,) = stub.calls("/message/push")
    assert push.body["to"] == user
    assert "รูปภาพ" in push.body["messages"][0]["text"]  # the next question: photos
    assert description(services, user) == "เก่า"


def test_refused_reply_token_on_first_try_falls_back_to_push(client, services, stub, clock):
    stub.scripts["/message/reply"] = [400]
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "สวัสดี", timestamp_ms=int(clock().timestamp() * 1000))])
    make_worker(services, stub, clock).drain()
    assert len(stub.calls("/message/reply")) == 1
    assert len(stub.calls("/message/push")) == 1
    assert rows(services, OutboxMessage)[0].sent_as == "push"


def test_photo_is_downloaded_by_the_worker_and_stored(client, services, stub, clock):
    user = ev.new_user_id()
    post_events(client, [ev.image_event(user, "msg123", timestamp_ms=int(clock().timestamp() * 1000))])
    make_worker(services, stub, clock).drain()
    (photo,) = rows(services, Photo)
    stored = services.settings.photo_dir / photo.path
    assert stored.read_bytes() == stub.content
    assert photo.content_type == "image/png" and photo.line_message_id == "msg123"
    assert "ได้รับรูปภาพแล้ว" in stub.calls("/message/reply")[0].body["messages"][0]["text"]
    assert len(stub.calls("/chat/loading/start")) == 1


def test_photo_download_failing_is_retried_then_the_user_is_told(client, services, stub, clock):
    stub.scripts["/content"] = [503]
    user = ev.new_user_id()
    post_events(client, [ev.image_event(user, "m1", timestamp_ms=int(clock().timestamp() * 1000))])
    worker = make_worker(services, stub, clock)
    for _ in range(12):
        worker.drain()
        clock.advance(900)
    assert len(stub.calls("/content")) == services.settings.max_attempts
    (push,) = stub.calls("/message/push")  # by then the reply token is long stale
    assert "ดาวน์โหลดรูปภาพไม่สำเร็จ" in push.body["messages"][0]["text"]
    assert rows(services, Photo) == []


def test_location_is_placed_in_its_district(client, services, stub, clock):
    from bot.setup import release

    release(services)  # loads the boundaries from ../shared/data
    user = ev.new_user_id()
    post_events(
        client, [ev.location_event(user, 13.8040, 100.5530), ev.location_event(user, 13.69, 100.7501)]
    )
    make_worker(services, stub, clock).drain()
    texts = [r.body["messages"][0]["text"] for r in stub.calls("/message/reply")]
    assert texts[0] == "ตำแหน่งนี้อยู่ในพื้นที่สำนักงานเขตจตุจักรค่ะ"
    assert texts[1].startswith("ขออภัยค่ะ ตำแหน่งนี้อยู่นอกกรุงเทพมหานคร")


def test_without_boundaries_location_routing_is_off_and_says_so(client, services, stub, clock):
    user = ev.new_user_id()
    post_events(client, [ev.location_event(user, 13.8040, 100.5530)])
    make_worker(services, stub, clock).drain()
    assert "ยังระบุเขตจากตำแหน่งไม่ได้" in stub.calls("/message/reply")[0].body["messages"][0]["text"]


def test_unfollow_marks_the_citizen_and_sends_nothing(client, services, stub, clock):
    user = ev.new_user_id()
    post_events(client, [ev.follow_event(user), ev.unfollow_event(user)])
    make_worker(services, stub, clock).drain()
    assert rows(services, Citizen)[0].following is False
    assert len(stub.calls("/message/")) == 1


def test_sticker_gets_a_polite_answer(client, services, stub, clock):
    user = ev.new_user_id()
    sticker = ev.base_event("message", user)
    sticker["message"] = {
        "type": "sticker",
        "id": "1",
        "quoteToken": "q",
        "packageId": "1",
        "stickerId": "1",
        "stickerResourceType": "STATIC",
    }
    post_events(client, [sticker])
    make_worker(services, stub, clock).drain()
    body = stub.calls("/message/reply")[0].body
    assert "สติกเกอร์ใช้แทนข้อความไม่ได้" in body["messages"][0]["text"]


def test_lease_of_a_dead_worker_is_taken_over(client, services, stub, clock):
    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "หนึ่ง")])
    from models.queue_ops import claim

    with transaction(services.sessions) as session:  # a worker claims, then dies
        claim(session, InboxEvent, now=clock(), worker="dead", lease=timedelta(seconds=60), limit=10)
    worker = make_worker(services, stub, clock, name="alive")
    worker.drain()
    assert rows(services, InboxEvent)[0].status == "processing"  # still leased: left alone
    clock.advance(61)
    worker.drain()
    (row,) = rows(services, InboxEvent)
    assert (row.status, row.attempts) == ("done", 2)
    assert len(stub.calls("/message/push")) == 1  # the token aged past freshness while leased


def test_a_worker_whose_lease_ran_out_midway_undoes_its_run_and_the_user_is_answered_once(
    client, services, stub, clock
):
    from bot.worker import Claimed
    from models.queue_ops import claim

    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, "ไฟดับ")])
    with transaction(services.sessions) as session:  # a slow worker takes the event ...
        (taken,) = claim(
            session, InboxEvent, now=clock(), worker="slow", lease=timedelta(seconds=60), limit=1
        )
    clock.advance(61)  # ... its lease runs out, and another worker takes it over and answers
    make_worker(services, stub, clock, name="quick").drain()
    assert len(stub.calls("/message/")) == 1
    slow = make_worker(services, stub, clock, name="slow")
    # The slow one finally gets to the event it took: its run is rolled back, nothing is sent twice.
    assert slow._process_event(Claimed(taken.id, taken.attempts, taken.chat_key), taken.payload) is None
    slow.drain()
    assert len(stub.calls("/message/")) == 1
    assert description(services, user) == "ไฟดับ"  # the text was added to the draft once
    assert [(r.status, r.claimed_by) for r in rows(services, InboxEvent)] == [("done", "quick")]
    assert len(rows(services, OutboxMessage)) == 1


def test_a_chat_run_records_each_answer_in_its_next_transaction(client, services, stub, clock):
    from sqlalchemy import event as sa_event

    from bot.worker import Claimed
    from models.queue_ops import claim

    user = ev.new_user_id()
    post_events(client, [ev.text_event(user, f"ข้อความ {i}") for i in range(3)])
    worker = make_worker(services, stub, clock)
    with transaction(services.sessions) as session:
        (first,) = claim(
            session, InboxEvent, now=clock(), worker=worker.name, lease=timedelta(seconds=60), limit=5
        )
    import threading

    commits: list[int] = []
    me = threading.get_ident()

    def committed(_conn) -> None:  # type: ignore[no-untyped-def]
        if threading.get_ident() == me:  # the run's own (the webhook's writer thread commits apart)
            commits.append(1)

    sa_event.listen(services.engine, "commit", committed)
    try:
        worker._inbox_task(Claimed(first.id, first.attempts, first.chat_key), first.payload)
    finally:
        sa_event.remove(services.engine, "commit", committed)
    replies = stub.calls("/message/reply")
    assert len(replies) == 3
    assert [r.status for r in rows(services, InboxEvent)] == ["done"] * 3
    assert [(r.status, r.sent_as) for r in rows(services, OutboxMessage)] == [("done", "reply")] * 3
    # Three events' transactions and the look for a fourth, each recording the answer sent before it:
    # no transaction of its own for an answer sent.
    assert len(commits) == 4


def test_outbox_keeps_order_per_recipient_across_retries(services, stub, clock):
    stub.scripts["/message/push"] = [500, 200]
    with transaction(services.sessions) as session:
        for i in range(3):
            enqueue(session, "Uabc", [{"type": "text", "text": f"{i}"}], now=clock())
    worker = make_worker(services, stub, clock)
    for _ in range(4):
        worker.drain()
        clock.advance(5)
    texts = [c.body["messages"][0]["text"] for c in stub.calls("/message/push")]
    assert texts == ["0", "0", "1", "2"]


def test_replies_with_more_than_five_messages_are_split(client, services, stub, clock):
    from linebot.v3.webhooks import Event

    from bot.worker import queue_response
    from handlers.context import Response

    user = ev.new_user_id()
    event = Event.from_dict(ev.text_event(user, "x", timestamp_ms=int(clock().timestamp() * 1000)))
    with transaction(services.sessions) as session:
        queue_response(
            session,
            event,
            Response(reply=[{"type": "text", "text": str(i)} for i in range(7)]),
            now=clock(),
            inbox_id=None,
        )
    make_worker(services, stub, clock).drain()
    assert [len(c.body["messages"]) for c in stub.calls("/message/")] == [5, 2]
    assert [r.sent_as for r in rows(services, OutboxMessage)] == ["reply", "push"]
    assert json.loads(rows(services, OutboxMessage)[1].messages)[0]["text"] == "5"


def test_rows_of_a_dead_worker_on_this_machine_are_taken_back_at_once(client, services, stub, clock):
    import socket

    from models.queue_ops import claim

    post_events(client, [ev.text_event(ev.new_user_id(), "หนึ่ง")])
    with transaction(services.sessions) as session:  # a worker on this host, pid long gone, claimed then died
        claim(
            session,
            InboxEvent,
            now=clock(),
            worker=f"{socket.gethostname()}:999999999:abcdef",
            lease=timedelta(minutes=10),
            limit=10,
        )
        enqueue(session, "Ux", [{"type": "text", "text": "x"}], now=clock())
        claim(
            session,
            OutboxMessage,
            now=clock(),
            worker="elsewhere:1:abcdef",
            lease=timedelta(minutes=10),
            limit=10,
        )
    worker = make_worker(services, stub, clock, name=f"{socket.gethostname()}:{os.getpid()}:mine00")
    assert worker.recover_from_dead_local_workers() == 1  # another machine's worker is left to its lease
    worker.drain()
    assert [r.status for r in rows(services, InboxEvent)] == ["done"]
    assert rows(services, OutboxMessage)[0].status == "processing"


def test_event_the_sdk_cannot_read_is_failed_with_the_reason_and_the_next_goes_on(
    client, services, stub, clock
):
    user = ev.new_user_id()
    broken = ev.text_event(user, "x")
    del broken["message"]["text"]  # passes the webhook's cheap checks; the SDK's model refuses it
    post_events(client, [broken, ev.text_event(user, "ต่อไป")])
    make_worker(services, stub, clock).drain()
    first, second = rows(services, InboxEvent)
    assert first.status == "failed" and "cannot parse stored event" in (first.last_error or "")
    assert second.status == "done"
    assert len(stub.calls("/message/reply")) == 1
    assert description(services, user) == "ต่อไป"


def test_a_file_that_is_not_an_image_gets_a_polite_answer_and_is_not_stored(client, services, clock):
    stub = LineStub(content=b"%PDF-1.4 not a photo")
    try:
        user = ev.new_user_id()
        post_events(client, [ev.image_event(user, "m9", timestamp_ms=int(clock().timestamp() * 1000))])
        make_worker(services, stub, clock).drain()
        assert rows(services, Photo) == []
        assert "ไม่ใช่รูปภาพ" in stub.calls("/message/reply")[0].body["messages"][0]["text"]
    finally:
        stub.stop()
