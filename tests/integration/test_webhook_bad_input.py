"""Signed but bad: nothing a signed body holds causes a 5xx, and one bad event never costs another its place.

Ids not in LINE's form (too long, NUL, a lone surrogate, not a string) are skipped with a log line;
NUL and lone surrogates in free text become U+FFFD and the event is handled; JSON too deep is a 400.
The group commit tries each request alone when a shared write is refused.
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from bot.inbox import InboxWriter, _Waiting, inbox_rows
from bot.sandbox import events as ev
from bot.services import Services
from models import InboxEvent
from models.clock import clock
from models.db import transaction
from tests.conftest import LiveServer

LONE = "\ud800"  # a lone surrogate: valid in JSON as an escape, not encodable as UTF-8


def body_of(events: list[dict[str, Any]]) -> str:
    """The body as LINE's JSON may carry it: every non-ASCII character escaped (so lone surrogates too)."""
    return json.dumps({"destination": "U" + "0" * 32, "events": events})


def post(client: Any, body: str) -> Any:
    secret = client.application.extensions["rongtook"].settings.line_channel_secret
    return client.post(
        "/callback", data=body.encode("utf-8"), headers={"X-Line-Signature": ev.sign_body(secret, body)}
    )


def stored(services: Services) -> list[InboxEvent]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def with_field(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = event
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return event


ID_FIELDS = {
    "userId": ("source", "userId"),
    "replyToken": ("replyToken",),
    "webhookEventId": ("webhookEventId",),
    "message id": ("message", "id"),
}
BAD_IDS = {
    "lone surrogate": f"U{LONE}",
    "NUL": "U\x00" + "a" * 31,
    "too long": "U" + "a" * 150,
    "a number": 12345,
    "space": "U abc",
}


@pytest.mark.parametrize("bad", BAD_IDS, ids=list(BAD_IDS))
@pytest.mark.parametrize("field", ID_FIELDS, ids=list(ID_FIELDS))
def test_an_id_not_in_lines_form_is_skipped_and_the_others_are_stored(
    client: Any, services: Services, field: str, bad: str
) -> None:
    good_before = ev.text_event(ev.new_user_id(), "ไฟดับ")
    poison = with_field(ev.text_event(ev.new_user_id(), "ถนนพัง"), ID_FIELDS[field], BAD_IDS[bad])
    good_after = ev.follow_event(ev.new_user_id())
    response = post(client, body_of([good_before, poison, good_after]))
    assert response.status_code == 200
    ids = [r.webhook_event_id for r in stored(services)]
    assert ids == [good_before["webhookEventId"], good_after["webhookEventId"]]


@pytest.mark.parametrize("bad", ["\x00", LONE, "\udfff", f"a{LONE}\x00b"])
def test_bad_characters_in_free_text_become_replacement_characters_and_the_citizen_is_answered(
    chat: Any, services: Services, bad: str
) -> None:
    said = chat.send(ev.text_event(chat.user, f"ไฟดับ{bad}หน้าซอย 5"))
    assert said, "the citizen got no answer"
    (row,) = [r for r in stored(services) if r.event_type == "message"]
    text = json.loads(row.payload)["message"]["text"]
    assert text.startswith("ไฟดับ") and text.endswith("หน้าซอย 5")
    assert "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)
    assert "\ufffd" in text
    assert row.status == "done"


@pytest.mark.parametrize("data", [f"p1:{LONE}\x00:1", "p1:หมวด:1:1::กขคงจฉชซฌญฎฏฐฑฒณ"])
def test_a_postback_with_bad_characters_or_a_thai_signature_is_handled_and_the_chat_goes_on(
    chat: Any, services: Services, data: str
) -> None:
    chat.text("ไฟถนนดับ")  # a dialog in progress
    assert chat.send(ev.postback_event(chat.user, data)), "no answer to the forged button"
    (row,) = [r for r in stored(services) if r.event_type == "postback"]
    assert row.status == "done", row.last_error
    assert "\\u0000" not in row.payload
    assert chat.text("ยกเลิก"), "the chat is blocked after the bad postback"


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_json_nested_too_deeply_is_a_400_and_the_next_body_is_stored(
    client: Any, services: Services, depth: int
) -> None:
    deep = '{"destination":"x","events":[' + "[" * depth + "]" * depth + "]}"
    assert post(client, deep).status_code == 400
    event = ev.text_event(ev.new_user_id(), "ต่อไป")
    assert post(client, body_of([event])).status_code == 200
    assert [r.webhook_event_id for r in stored(services)] == [event["webhookEventId"]]


def test_an_event_deep_but_readable_is_stored_or_skipped_never_a_5xx(client: Any, services: Services) -> None:
    event = ev.text_event(ev.new_user_id(), "ลึก")
    event["message"]["extra"] = json.loads("[" * 900 + "]" * 900)
    good = ev.text_event(ev.new_user_id(), "ปกติ")
    assert post(client, body_of([event, good])).status_code == 200
    assert good["webhookEventId"] in {r.webhook_event_id for r in stored(services)}


def test_a_request_whose_rows_the_database_refuses_does_not_fail_the_others_of_its_group_commit(
    services: Services,
) -> None:
    writer = InboxWriter(services.engine)
    good_rows, _ = inbox_rows(body_of([ev.text_event(ev.new_user_id(), "ดี")]), clock.now())
    refused_rows, _ = inbox_rows(body_of([ev.text_event(ev.new_user_id(), "เสีย")]), clock.now())
    refused_rows[0]["payload"] = None  # NOT NULL: the database refuses this row, whatever the backend
    other_rows, _ = inbox_rows(body_of([ev.follow_event(ev.new_user_id())]), clock.now())
    batch = [_Waiting(good_rows), _Waiting(refused_rows), _Waiting(other_rows)]
    for waiting in batch[1:]:
        waiting.batch = None
    writer._write_batch(batch)
    assert batch[0].error is None and batch[2].error is None
    assert batch[1].error is not None
    ids = {r.webhook_event_id for r in stored(services)}
    assert ids == {good_rows[0]["webhook_event_id"], other_rows[0]["webhook_event_id"]}


def test_poison_and_valid_bodies_sent_at_once_all_answer_200_and_every_valid_event_is_stored(
    live_server: LiveServer, services: Services
) -> None:
    secret = services.settings.line_channel_secret
    valid = [ev.text_event(ev.new_user_id(), f"เรื่องที่ {i}") for i in range(40)]
    poison = [
        with_field(ev.text_event(ev.new_user_id(), "x"), ID_FIELDS[f], BAD_IDS[b])
        for f in ID_FIELDS
        for b in ("lone surrogate", "NUL", "too long")
    ]
    bodies = [body_of([e]) for e in valid + poison] + ['{"events":[' + "[" * 5000 + "]" * 5000 + "]}"]
    start = threading.Barrier(8)

    def send(body: str) -> int:
        request = urllib.request.Request(
            f"{live_server.url}/callback",
            data=body.encode("utf-8"),
            headers={"X-Line-Signature": ev.sign_body(secret, body), "Content-Type": "application/json"},
        )
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(5)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return int(response.status)
        except urllib.error.HTTPError as refused:
            return refused.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, bodies))
    assert statuses[: len(valid) + len(poison)] == [200] * (len(valid) + len(poison))
    assert statuses[-1] == 400  # the deep one: refused as malformed
    assert {r.webhook_event_id for r in stored(services)} == {e["webhookEventId"] for e in valid}
