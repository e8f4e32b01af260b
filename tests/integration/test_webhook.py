"""POST /callback: signatures, the inbox, redelivery and malformed bodies (on every database backend)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.sandbox import events as ev
from models import InboxEvent
from models.db import transaction
from tests.conftest import post_events


def inbox_rows(services):  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def signed_post(client, body: str, secret: str | None = None):  # type: ignore[no-untyped-def]
    secret = secret or client.application.extensions["rongtook"].settings.line_channel_secret
    return client.post(
        "/callback", data=body.encode("utf-8"), headers={"X-Line-Signature": ev.sign_body(secret, body)}
    )


def test_valid_body_stores_one_row_per_event_and_answers_200(client, services):
    user = ev.new_user_id()
    events = [ev.follow_event(user), ev.text_event(user, "ถนนเป็นหลุม")]
    response = post_events(client, events)
    assert response.status_code == 200
    rows = inbox_rows(services)
    assert [r.webhook_event_id for r in rows] == [e["webhookEventId"] for e in events]
    assert [r.event_type for r in rows] == ["follow", "message"]
    assert all(r.status == "pending" and r.chat_key == user for r in rows)
    assert json.loads(rows[1].payload)["message"]["text"] == "ถนนเป็นหลุม"
    assert rows[1].event_at.timestamp() * 1000 == events[1]["timestamp"]


def test_wrong_or_missing_signature_is_refused_and_nothing_stored(client, services):
    body = ev.webhook_body([ev.text_event(ev.new_user_id(), "hello")])
    assert signed_post(client, body, secret="not-the-channel-secret").status_code == 400
    assert client.post("/callback", data=body).status_code == 400
    assert client.post("/callback", data=body, headers={"X-Line-Signature": "AAAA"}).status_code == 400
    assert inbox_rows(services) == []


def test_a_signature_for_another_body_is_refused(client, services):
    body = ev.webhook_body([ev.text_event(ev.new_user_id(), "hello")])
    tampered = body.replace("hello", "hullo")
    secret = services.settings.line_channel_secret
    response = client.post(
        "/callback", data=tampered, headers={"X-Line-Signature": ev.sign_body(secret, body)}
    )
    assert response.status_code == 400
    assert inbox_rows(services) == []


def test_redelivered_event_is_stored_once(client, services):
    event = ev.text_event(ev.new_user_id(), "ไฟดับ")
    assert post_events(client, [event]).status_code == 200
    redelivered = dict(event, deliveryContext={"isRedelivery": True})
    assert post_events(client, [redelivered]).status_code == 200
    assert post_events(client, [event, ev.text_event(ev.new_user_id(), "อีกเรื่อง")]).status_code == 200
    rows = inbox_rows(services)
    assert len(rows) == 2
    assert rows[0].webhook_event_id == event["webhookEventId"]


def test_bad_json_and_wrong_shapes_get_400_never_500(client, services):
    for body in ["{not json", "[]", '"text"', '{"destination":"U1"}', '{"events": {"a": 1}}', "null"]:
        response = signed_post(client, body)
        assert response.status_code == 400, body
    assert inbox_rows(services) == []


def test_unknown_and_incomplete_events_are_skipped_and_the_rest_stored(client, services):
    user = ev.new_user_id()
    good = ev.text_event(user, "ขยะล้น")
    unknown = dict(ev.base_event("somethingNew", user), somethingNew={"x": 1})
    no_id = ev.text_event(user, "x")
    del no_id["webhookEventId"]
    no_timestamp = ev.text_event(user, "x")
    del no_timestamp["timestamp"]
    bad_message = ev.text_event(user, "x")
    bad_message["message"] = {"type": "text"}  # no id, no text
    no_source = ev.text_event(user, "x")
    no_source["source"] = "nobody"
    body = ev.webhook_body([unknown, no_id, no_timestamp, bad_message, no_source, "not an event", good])  # type: ignore[list-item]
    response = signed_post(client, body)
    assert response.status_code == 200
    rows = inbox_rows(services)
    assert [r.webhook_event_id for r in rows] == [good["webhookEventId"]]


def test_line_verify_request_with_no_events_is_answered_200(client, services):
    assert signed_post(client, '{"destination":"Uxxxxxxxx","events":[]}').status_code == 200
    assert inbox_rows(services) == []


def test_body_that_is_not_utf8_is_refused(client, services):
    raw = b'{"events":[\xff]}'
    response = client.post("/callback", data=raw, headers={"X-Line-Signature": "x"})
    assert response.status_code == 400


def test_group_events_are_keyed_by_group(client, services):
    event = ev.text_event(ev.new_user_id(), "hi")
    event["source"] = {"type": "group", "groupId": "Cgroup1", "userId": "Uabc"}
    post_events(client, [event])
    assert inbox_rows(services)[0].chat_key == "group:Cgroup1"


def test_health_check_reports_database(client, services):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "mode": "sandbox"}


def test_every_page_finds_the_apps_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data().lstrip().startswith(b"<svg")


def test_inbox_count_is_exact_under_many_events(client, services):
    user = ev.new_user_id()
    events = [ev.text_event(user, f"ข้อความ {i}") for i in range(30)]
    for start in range(0, 30, 10):
        assert post_events(client, events[start : start + 10]).status_code == 200
    with transaction(services.sessions) as session:
        assert session.scalar(select(func.count(InboxEvent.id))) == 30
