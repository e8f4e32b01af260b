"""The sandbox chat page and its small JSON API.

The page never writes to the inbox itself: it asks `/sandbox/api/events` for a webhook
body and its signature, then POSTs them to `/callback` like LINE would, so every action
goes through the real webhook path.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import delete, select

from bot.sandbox import events as ev
from bot.services import Services
from models import InboxEvent, SandboxContent, SandboxMessage, SandboxReplyToken, SandboxUser
from models.clock import clock
from models.db import insert_or_ignore, transaction
from models.photos import MAX_PHOTO_BYTES

bp = Blueprint(
    "sandbox", __name__, url_prefix="/sandbox", template_folder="templates", static_folder="static"
)

PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
# Named places to send as a location without knowing coordinates.
LANDMARKS: list[dict[str, Any]] = [
    {"name": "พระบรมมหาราชวัง", "latitude": 13.7500, "longitude": 100.4913, "address": "ถนนหน้าพระลาน พระนคร"},
    {"name": "สวนจตุจักร", "latitude": 13.8040, "longitude": 100.5530, "address": "ถนนพหลโยธิน จตุจักร"},
    {"name": "สยามพารากอน", "latitude": 13.7462, "longitude": 100.5347, "address": "ถนนพระรามที่ 1 ปทุมวัน"},
    {
        "name": "วัดอรุณราชวราราม",
        "latitude": 13.7437,
        "longitude": 100.4889,
        "address": "ถนนอรุณอมรินทร์ บางกอกใหญ่",
    },
    {
        "name": "ท่าอากาศยานดอนเมือง",
        "latitude": 13.9126,
        "longitude": 100.6068,
        "address": "ถนนวิภาวดีรังสิต ดอนเมือง",
    },
    {
        "name": "สนามบินสุวรรณภูมิ (นอกกรุงเทพฯ)",
        "latitude": 13.6900,
        "longitude": 100.7501,
        "address": "สมุทรปราการ",
    },
]
DEFAULT_USERS = [
    ("ประชาชน สมชาย", "U5a4d80000000000000000000000c171e"),
    ("เจ้าหน้าที่ สมหญิง", "U5a4d8000000000000000000000000ff1"),
]
# A user message whose webhook is on its way holds the conversation back this long at most
# (the page reports a failed delivery at once; this covers a page closed mid-send).
WEBHOOK_IN_FLIGHT = timedelta(seconds=15)


def _services() -> Services:
    return current_app.extensions["rongtook"]


@bp.get("")
@bp.get("/")
def page() -> ResponseReturnValue:
    return render_template("sandbox/chat.html", landmarks=LANDMARKS)


@bp.get("/api/users")
def list_users() -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        now = clock.now()
        if session.scalar(select(SandboxUser.line_user_id).limit(1)) is None:
            # A first visit finds a citizen and an officer ready to chat. Fixed ids: two first
            # visits at once insert the same rows, and the loser's insert is simply ignored.
            for index, (name, user_id) in enumerate(DEFAULT_USERS):
                created = now + timedelta(microseconds=index)  # keeps the citizen first in the list
                insert_or_ignore(
                    session,
                    SandboxUser,
                    ["line_user_id"],
                    line_user_id=user_id,
                    display_name=name,
                    created_at=created,
                )
        users = session.scalars(
            select(SandboxUser).order_by(SandboxUser.created_at, SandboxUser.line_user_id)
        )
        return jsonify(users=[_user_json(u) for u in users])


@bp.post("/api/users")
def add_user() -> ResponseReturnValue:
    data = request.get_json(silent=True) or {}
    name = str(data.get("display_name", "")).strip()
    if not name or len(name) > 100:
        return jsonify(error="กรุณาใส่ชื่อผู้ใช้ (ไม่เกิน 100 ตัวอักษร)"), 400
    with transaction(_services().sessions) as session:
        user = SandboxUser(line_user_id=ev.new_user_id(), display_name=name, created_at=clock.now())
        session.add(user)
        return jsonify(user=_user_json(user)), 201


@bp.post("/api/content")
def upload_content() -> ResponseReturnValue:
    file = request.files.get("photo")
    if file is None:
        return jsonify(error="ไม่พบไฟล์รูปภาพ"), 400
    data = file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        return jsonify(error="รูปภาพใหญ่เกิน 10 MB"), 400
    content_type = (file.mimetype or "").lower()
    if content_type not in PHOTO_TYPES or not data:
        return jsonify(error="รองรับเฉพาะไฟล์รูปภาพ JPEG, PNG, GIF หรือ WebP"), 400
    message_id = ev.new_id(18)
    with transaction(_services().sessions) as session:
        session.add(
            SandboxContent(
                message_id=message_id, content_type=content_type, data=data, created_at=clock.now()
            )
        )
    return jsonify(message_id=message_id), 201


@bp.get("/content/<message_id>")
def show_content(message_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        item = session.get(SandboxContent, message_id)
        if item is None:
            return "not found", 404
        return Response(item.data, mimetype=item.content_type)


@bp.post("/api/events")
def build_event() -> ResponseReturnValue:
    """Make the webhook body for one user action, and sign it with the channel secret."""
    data = request.get_json(silent=True) or {}
    user_id, kind = str(data.get("user_id", "")), str(data.get("type", ""))
    with transaction(_services().sessions) as session:
        if session.get(SandboxUser, user_id) is None:
            return jsonify(error="ไม่พบผู้ใช้นี้ในแซนด์บ็อกซ์"), 400
        try:
            event = _event_for(kind, user_id, data)
        except (KeyError, TypeError, ValueError) as exc:
            return jsonify(error=f"ข้อมูลไม่ครบหรือไม่ถูกต้อง: {exc}"), 400
        now = clock.now()
        if "replyToken" in event:
            session.add(SandboxReplyToken(token=event["replyToken"], line_user_id=user_id, issued_at=now))
        # What the user's bubble shows; a postback's displayText is the chat's, not the webhook's.
        shown = dict(event, displayText=str(data["display_text"])) if data.get("display_text") else event
        session.add(
            SandboxMessage(
                line_user_id=user_id,
                direction="user",
                via=kind,
                payload=ev.to_json(shown),
                webhook_event_id=event["webhookEventId"],
                created_at=now,
            )
        )
    body = ev.webhook_body([event])
    return jsonify(body=body, signature=ev.sign_body(_services().settings.line_channel_secret, body))


@bp.delete("/api/events/<event_id>")
def forget_event(event_id: str) -> ResponseReturnValue:
    """The page could not deliver this event to /callback: it is not part of the conversation."""
    with transaction(_services().sessions) as session:
        delivered = session.scalar(select(InboxEvent.id).where(InboxEvent.webhook_event_id == event_id))
        if delivered is not None:
            return jsonify(error="เหตุการณ์นี้ถึงบอทแล้ว"), 409
        session.execute(
            delete(SandboxMessage).where(
                SandboxMessage.webhook_event_id == event_id, SandboxMessage.direction == "user"
            )
        )
    return "", 204


@bp.get("/api/messages")
def list_messages() -> ResponseReturnValue:
    """The conversation after message `after`: the bot's messages, and the user's once they reached the inbox.

    A user message whose webhook is still on its way holds back everything after it (so the page's
    cursor never skips it); one whose webhook failed is never shown, as LINE would not have sent it.
    """
    user_id = request.args.get("user_id", "")
    after = request.args.get("after", "0")
    after_id = int(after) if after.isdigit() else 0
    in_flight_since = clock.now() - WEBHOOK_IN_FLIGHT
    with transaction(_services().sessions) as session:
        rows = session.execute(
            select(SandboxMessage, InboxEvent.id)
            .outerjoin(InboxEvent, InboxEvent.webhook_event_id == SandboxMessage.webhook_event_id)
            .where(SandboxMessage.line_user_id == user_id, SandboxMessage.id > after_id)
            .order_by(SandboxMessage.id)
            .limit(200)
        )
        items = []
        for message, inbox_id in rows:
            if message.direction == "user" and inbox_id is None:
                if message.created_at > in_flight_since:
                    break
                continue
            items.append(
                {
                    "id": message.id,
                    "direction": message.direction,
                    "via": message.via,
                    "payload": json.loads(message.payload),
                    "created_at": message.created_at.isoformat(),
                }
            )
    return jsonify(messages=items)


def _event_for(kind: str, user_id: str, data: dict[str, Any]) -> dict[str, Any]:
    if kind == "follow":
        return ev.follow_event(user_id)
    if kind == "unfollow":
        return ev.unfollow_event(user_id)
    if kind == "text":
        text = str(data["text"]).strip()
        if not text or len(text) > 5000:
            raise ValueError("ข้อความต้องมี 1–5000 ตัวอักษร")
        return ev.text_event(user_id, text)
    if kind == "location":
        latitude, longitude = float(data["latitude"]), float(data["longitude"])
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("ละติจูด/ลองจิจูดอยู่นอกช่วง")
        return ev.location_event(
            user_id, latitude, longitude, str(data.get("title", ""))[:100], str(data.get("address", ""))[:100]
        )
    if kind == "postback":
        postback = str(data["data"])
        if len(postback) > 300:
            raise ValueError("postback data ยาวเกิน 300 ตัวอักษร")
        return ev.postback_event(user_id, postback)
    if kind == "image":
        return ev.image_event(user_id, str(data["message_id"]))
    raise ValueError(f"ไม่รู้จักชนิด '{kind}'")


def _user_json(user: SandboxUser) -> dict[str, str]:
    return {"user_id": user.line_user_id, "display_name": user.display_name}
