"""The sandbox: its fake LINE API answers as LINE does; its chat shows what the bot really got."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models import SandboxReplyToken
from models.clock import clock
from models.db import transaction

API = "/sandbox/line/v2/bot"


def auth(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = client.application.extensions["rongtook"].settings.line_channel_access_token
    return {"Authorization": f"Bearer {token}"}


def a_user(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/sandbox/api/users").json["users"][0]["user_id"]


def test_default_users_are_created_once(client):
    first = client.get("/sandbox/api/users").json["users"]
    second = client.get("/sandbox/api/users").json["users"]
    assert first == second
    assert [u["display_name"] for u in first] == ["ประชาชน สมชาย", "เจ้าหน้าที่ สมหญิง"]


def test_wrong_access_token_is_401(client):
    response = client.post(
        f"{API}/message/push", json={"to": "U1", "messages": []}, headers={"Authorization": "Bearer wrong"}
    )
    assert response.status_code == 401


def test_reply_token_is_single_use_and_expires(client, services):
    user = a_user(client)
    now = clock.now()
    with transaction(services.sessions) as session:
        session.add(SandboxReplyToken(token="fresh", line_user_id=user, issued_at=now))
        session.add(SandboxReplyToken(token="old", line_user_id=user, issued_at=now - timedelta(minutes=2)))
    message = {"messages": [{"type": "text", "text": "สวัสดีค่ะ"}]}
    assert (
        client.post(
            f"{API}/message/reply", json={"replyToken": "fresh", **message}, headers=auth(client)
        ).status_code
        == 200
    )
    again = client.post(f"{API}/message/reply", json={"replyToken": "fresh", **message}, headers=auth(client))
    assert (again.status_code, again.json["message"]) == (400, "Invalid reply token")
    assert (
        client.post(
            f"{API}/message/reply", json={"replyToken": "old", **message}, headers=auth(client)
        ).status_code
        == 400
    )
    shown = client.get(f"/sandbox/api/messages?user_id={user}").json["messages"]
    assert [m["payload"]["text"] for m in shown] == ["สวัสดีค่ะ"]


def test_push_checks_the_message_the_user_and_the_retry_key(client):
    user = a_user(client)
    body = {"to": user, "messages": [{"type": "text", "text": "แจ้งเตือน"}]}
    headers = dict(auth(client), **{"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"})
    assert client.post(f"{API}/message/push", json=body, headers=headers).status_code == 200
    again = client.post(f"{API}/message/push", json=body, headers=headers)
    assert again.status_code == 409 and again.headers["X-Line-Accepted-Request-Id"]
    assert (
        client.post(f"{API}/message/push", json=dict(body, to="Unobody"), headers=auth(client)).status_code
        == 400
    )
    bad = {"to": user, "messages": [{"type": "text"}]}
    assert client.post(f"{API}/message/push", json=bad, headers=auth(client)).status_code == 400
    assert len(client.get(f"/sandbox/api/messages?user_id={user}").json["messages"]) == 1


def test_profile_and_content(client):
    user = a_user(client)
    profile = client.get(f"{API}/profile/{user}", headers=auth(client))
    assert profile.json["displayName"] == "ประชาชน สมชาย"
    assert client.get(f"{API}/profile/Unobody", headers=auth(client)).status_code == 404
    import io

    upload = client.post(
        "/sandbox/api/content", data={"photo": (io.BytesIO(b"\x89PNG-data"), "a.png", "image/png")}
    )
    message_id = upload.json["message_id"]
    content = client.get(f"{API}/message/{message_id}/content", headers=auth(client))
    assert (content.status_code, content.data, content.mimetype) == (200, b"\x89PNG-data", "image/png")
    not_image = client.post(
        "/sandbox/api/content", data={"photo": (io.BytesIO(b"hello"), "a.txt", "text/plain")}
    )
    assert not_image.status_code == 400 and "รูปภาพ" in not_image.json["error"]


def test_a_user_message_shows_once_the_bot_got_it_and_a_failed_one_can_be_forgotten(client):
    user = a_user(client)
    built = client.post("/sandbox/api/events", json={"user_id": user, "type": "text", "text": "ส่งแล้ว"}).json
    assert client.get(f"/sandbox/api/messages?user_id={user}").json["messages"] == []  # still on its way
    client.post("/callback", data=built["body"], headers={"X-Line-Signature": built["signature"]})
    assert len(client.get(f"/sandbox/api/messages?user_id={user}").json["messages"]) == 1

    failed = client.post("/sandbox/api/events", json={"user_id": user, "type": "text", "text": "หาย"}).json
    event_id = json.loads(failed["body"])["events"][0]["webhookEventId"]
    assert client.delete(f"/sandbox/api/events/{event_id}").status_code == 204
    texts = [
        m["payload"]["message"]["text"]
        for m in client.get(f"/sandbox/api/messages?user_id={user}").json["messages"]
    ]
    assert texts == ["ส่งแล้ว"]


def test_bad_actions_get_thai_errors(client):
    user = a_user(client)
    for payload in (
        {"user_id": "Unobody", "type": "text", "text": "x"},
        {"user_id": user, "type": "text", "text": " "},
        {"user_id": user, "type": "location", "latitude": 95, "longitude": 100},
        {"user_id": user, "type": "dance"},
    ):
        response = client.post("/sandbox/api/events", json=payload)
        assert response.status_code == 400
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in response.json["error"])  # Thai text


@pytest.mark.parametrize("text", ["ไฟดับ \ud800 💡", "ถนนพัง\x00ตรงนี้", "\udfff"])
def test_a_message_with_characters_utf8_cannot_carry_is_built_delivered_and_shown(client, text):
    user = a_user(client)
    built = client.post("/sandbox/api/events", json={"user_id": user, "type": "text", "text": text})
    assert built.status_code == 200, built.get_data(as_text=True)
    body, signature = built.json["body"], built.json["signature"]
    delivered = client.post("/callback", data=body.encode("utf-8"), headers={"X-Line-Signature": signature})
    assert delivered.status_code == 200
    (shown,) = client.get(f"/sandbox/api/messages?user_id={user}").json["messages"]
    assert shown["payload"]["message"]["text"] == text  # the user's own bubble, as typed
