"""The sandbox chat page and its small JSON API.

The page never writes to the inbox itself: it asks `/sandbox/api/events` for a webhook
body and its signature, then POSTs them to `/callback` like LINE would, so every action
goes through the real webhook path.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import shapely
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.sandbox import events as ev
from bot.sandbox.demo import DEFAULT_USERS, LANDMARKS, demo_district, district_address
from bot.services import Services
from models import (
    InboxEvent,
    SandboxContent,
    SandboxMessage,
    SandboxReplyToken,
    SandboxRichMenu,
    SandboxRichMenuLink,
    SandboxUser,
)
from models.clock import clock
from models.db import insert_or_ignore, transaction
from models.districts import District, DistrictLocator
from models.photos import MAX_PHOTO_BYTES

bp = Blueprint(
    "sandbox", __name__, url_prefix="/sandbox", template_folder="templates", static_folder="static"
)

PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
# A few of LINE's own stickers (packageId, stickerId, resource type), and what the page shows for each.
STICKERS: tuple[dict[str, str], ...] = (
    {"package_id": "446", "sticker_id": "1988", "resource_type": "STATIC", "face": "😊"},
    {"package_id": "446", "sticker_id": "1990", "resource_type": "STATIC", "face": "🙏"},
    {"package_id": "789", "sticker_id": "10855", "resource_type": "STATIC", "face": "😢"},
    {"package_id": "11537", "sticker_id": "52002734", "resource_type": "ANIMATION", "face": "👍"},
)
LOCATOR_KEY = "rongtook.sandbox.locator"  # in app.extensions: where a bare pin lies, for its address
# A user message whose webhook is on its way holds the conversation back this long at most
# (the page reports a failed delivery at once; this covers a page closed mid-send).
WEBHOOK_IN_FLIGHT = timedelta(seconds=15)


def _services() -> Services:
    return current_app.extensions["rongtook"]


@bp.get("")
@bp.get("/")
def page() -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        demo = demo_district(session)
    first = demo.places if demo else ()
    others = [place for place in LANDMARKS if place not in first]
    return render_template("sandbox/chat.html", demo=demo, landmarks=others, stickers=STICKERS)


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
    # A LINE group is a conversation of its own, kept like a user: its id (C…) is where the bot's
    # replies and pushes to the group land; its members speak in it (`speaker`, /api/events).
    new_id = ev.new_group_id() if data.get("group") is True else ev.new_user_id()
    with transaction(_services().sessions) as session:
        user = SandboxUser(line_user_id=new_id, display_name=name, created_at=clock.now())
        session.add(user)
        return jsonify(user=_user_json(user)), 201


@bp.post("/api/content")
def upload_content() -> ResponseReturnValue:
    """A photo, video or voice message's content, kept for the fake content API (as LINE keeps it)."""
    file = request.files.get("file") or request.files.get("photo")
    if file is None:
        return jsonify(error="ไม่พบไฟล์รูปภาพ วิดีโอ หรือเสียง"), 400
    data = file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        return jsonify(error="ไฟล์ใหญ่เกิน 10 MB"), 400
    content_type = (file.mimetype or "").lower()
    kind = _content_kind(content_type)
    if kind is None or not data or len(content_type) > 100:
        return jsonify(error="รองรับเฉพาะไฟล์รูปภาพ (JPEG, PNG, GIF, WebP) วิดีโอ หรือเสียง"), 400
    message_id = ev.new_id(18)
    with transaction(_services().sessions) as session:
        session.add(
            SandboxContent(
                message_id=message_id, content_type=content_type, data=data, created_at=clock.now()
            )
        )
    return jsonify(message_id=message_id, kind=kind), 201


def _content_kind(content_type: str) -> str | None:
    """The LINE message type for a file: image, video or audio (a voice message); None for anything else."""
    if content_type in PHOTO_TYPES:
        return "image"
    kind = content_type.split("/", 1)[0]
    return kind if kind in ("video", "audio") else None


@bp.get("/content/<message_id>")
def show_content(message_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        item = session.get(SandboxContent, message_id)
        if item is None:
            return "not found", 404
        # Ranges too: a browser's <video> and <audio> ask for parts of what they play.
        response = Response(item.data, mimetype=item.content_type)
        return response.make_conditional(request, accept_ranges=True, complete_length=len(item.data))


@bp.post("/api/events")
def build_event() -> ResponseReturnValue:
    """Make the webhook body for one user action, and sign it with the channel secret."""
    data = request.get_json(silent=True) or {}
    user_id, kind = str(data.get("user_id", "")), str(data.get("type", ""))
    with transaction(_services().sessions) as session:
        if session.get(SandboxUser, user_id) is None:
            return jsonify(error="ไม่พบผู้ใช้นี้ในแซนด์บ็อกซ์"), 400
        try:
            if is_group(user_id):
                event = _group_event_for(session, kind, user_id, str(data.get("speaker") or ""), data)
            else:
                event = _event_for(session, kind, user_id, data)
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


@bp.get("/api/rich-menu")
def user_rich_menu() -> ResponseReturnValue:
    """The rich menu LINE would show this user: their own link, else the default; null without either."""
    user_id = request.args.get("user_id", "")
    if is_group(user_id):
        return jsonify(menu=None)  # LINE shows no rich menu in a group
    with transaction(_services().sessions) as session:
        linked = session.get(SandboxRichMenuLink, user_id)
        menu = session.get(SandboxRichMenu, linked.rich_menu_id) if linked else None
        if menu is None:
            menu = session.scalar(select(SandboxRichMenu).where(SandboxRichMenu.is_default))
        if menu is None or menu.image is None:
            return jsonify(menu=None)
        body = json.loads(menu.body)
        return jsonify(
            menu={
                "id": menu.rich_menu_id,
                "size": body["size"],
                "chatBarText": body.get("chatBarText", ""),
                "selected": bool(body.get("selected")),
                "areas": body.get("areas", []),
                "image_url": url_for("sandbox.rich_menu_image", menu_id=menu.rich_menu_id),
            }
        )


@bp.get("/rich-menu/<menu_id>/image")
def rich_menu_image(menu_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        menu = session.get(SandboxRichMenu, menu_id)
        if menu is None or menu.image is None:
            return "not found", 404
        response = Response(menu.image, mimetype=menu.image_type or "image/png")
        response.headers["Cache-Control"] = "public, max-age=86400"  # a menu id's image never changes
        return response


def _event_for(session: Session, kind: str, user_id: str, data: dict[str, Any]) -> dict[str, Any]:
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
        # LINE's app names the place it sends; a bare pin gets its district as the address here.
        address = str(data.get("address", "")).strip() or _address_of(session, latitude, longitude)
        return ev.location_event(
            user_id, latitude, longitude, str(data.get("title", "")).strip()[:100], address[:100]
        )
    if kind == "postback":
        postback = str(data["data"])
        if len(postback) > 300:
            raise ValueError("postback data ยาวเกิน 300 ตัวอักษร")
        return ev.postback_event(user_id, postback)
    if kind == "sticker":
        package_id, sticker_id = str(data["package_id"]), str(data["sticker_id"])
        for sticker in STICKERS:
            if (sticker["package_id"], sticker["sticker_id"]) == (package_id, sticker_id):
                return ev.sticker_event(user_id, package_id, sticker_id, sticker["resource_type"])
        raise ValueError("ไม่มีสติกเกอร์นี้ในแชตทดลอง")
    if kind in ("image", "video", "audio"):
        message_id = str(data["message_id"])
        content_type = session.scalar(
            select(SandboxContent.content_type).where(SandboxContent.message_id == message_id)
        )
        if content_type is None or _content_kind(content_type) != kind:
            raise ValueError("ไม่พบไฟล์ที่อัปโหลด")
        if kind == "image":
            return ev.image_event(user_id, message_id)
        duration = data.get("duration_ms")
        duration_ms = int(duration) if duration is not None else None
        if duration_ms is not None and not 0 <= duration_ms <= 24 * 3600 * 1000:
            raise ValueError("ความยาวของวิดีโอหรือเสียงไม่ถูกต้อง")
        return ev.media_event(user_id, kind, message_id, duration_ms)
    raise ValueError(f"ไม่รู้จักชนิด '{kind}'")


def is_group(chat_id: str) -> bool:
    return chat_id.startswith("C")  # LINE's group ids start with C, user ids with U


def _group_event_for(
    session: Session, kind: str, group_id: str, speaker: str, data: dict[str, Any]
) -> dict[str, Any]:
    """An event in a LINE group: the bot invited (join) or removed (leave), or a member's message or tap.
    No `speaker`: a member who has not accepted the bot's terms, whom LINE does not name."""
    if kind in ("follow", "join"):
        return ev.join_event(group_id)
    if kind in ("unfollow", "leave"):
        return ev.leave_event(group_id)
    if speaker and (is_group(speaker) or session.get(SandboxUser, speaker) is None):
        raise ValueError("ไม่พบสมาชิกกลุ่มนี้ในแซนด์บ็อกซ์")
    event = _event_for(session, kind, speaker or ANONYMOUS, data)
    return ev.in_group(event, group_id, speaker or None)


ANONYMOUS = "U" + "0" * 32  # stands in while building a member's event; removed from its source


def _address_of(session: Session, latitude: float, longitude: float) -> str:
    """The district of a point as an address ("เขตจตุจักร กรุงเทพมหานคร"), or "" outside Bangkok's districts."""
    locator = current_app.extensions.get(LOCATOR_KEY)
    if locator is None:  # built once the boundaries are loaded; GEOS reads their GeoJSON fastest
        rows = session.execute(select(District.code, District.boundary).where(District.boundary.is_not(None)))
        locator = DistrictLocator([(code, shapely.from_geojson(boundary)) for code, boundary in rows])
        if locator.enabled:
            current_app.extensions[LOCATOR_KEY] = locator
    code = locator.locate(latitude, longitude)
    name = session.scalar(select(District.name_th).where(District.code == code)) if code else None
    return district_address(name) if name else ""


def _user_json(user: SandboxUser) -> dict[str, Any]:
    return {
        "user_id": user.line_user_id,
        "display_name": user.display_name,
        "group": is_group(user.line_user_id),
    }
