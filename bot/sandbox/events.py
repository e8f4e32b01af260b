"""Building and signing LINE webhook bodies, as LINE does.

Used by the sandbox chat page, the tests and the benchmark.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from models.clock import clock


def sign_body(channel_secret: str, body: str) -> str:
    """The X-Line-Signature of a body: base64(HMAC-SHA256(channel secret, body))."""
    digest = hmac.new(channel_secret.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def new_id(length: int = 26) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_user_id() -> str:
    return "U" + secrets.token_hex(16)


def base_event(
    kind: str,
    user_id: str,
    *,
    timestamp_ms: int | None = None,
    reply: bool = True,
    redelivery: bool = False,
    event_id: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms if timestamp_ms is not None else int(clock.now().timestamp() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or new_id(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply:
        event["replyToken"] = secrets.token_hex(16)
    return event


def follow_event(user_id: str, **kw: Any) -> dict[str, Any]:
    event = base_event("follow", user_id, **kw)
    event["follow"] = {"isUnblocked": False}
    return event


def unfollow_event(user_id: str, **kw: Any) -> dict[str, Any]:
    return base_event("unfollow", user_id, reply=False, **kw)


def text_event(user_id: str, text: str, **kw: Any) -> dict[str, Any]:
    event = base_event("message", user_id, **kw)
    event["message"] = {"type": "text", "id": new_id(18), "quoteToken": new_id(), "text": text}
    return event


def image_event(user_id: str, message_id: str, **kw: Any) -> dict[str, Any]:
    event = base_event("message", user_id, **kw)
    event["message"] = {
        "type": "image",
        "id": message_id,
        "quoteToken": new_id(),
        "contentProvider": {"type": "line"},
    }
    return event


def sticker_event(
    user_id: str, package_id: str, sticker_id: str, resource_type: str = "STATIC", **kw: Any
) -> dict[str, Any]:
    event = base_event("message", user_id, **kw)
    event["message"] = {
        "type": "sticker",
        "id": new_id(18),
        "quoteToken": new_id(),
        "packageId": package_id,
        "stickerId": sticker_id,
        "stickerResourceType": resource_type,
    }
    return event


def media_event(
    user_id: str, kind: str, message_id: str, duration_ms: int | None = None, **kw: Any
) -> dict[str, Any]:
    """A video or audio (voice) message, its content fetched like a photo's; only video has a quote token."""
    if kind not in ("video", "audio"):
        raise ValueError(f"not a video or audio message: {kind}")
    event = base_event("message", user_id, **kw)
    message: dict[str, Any] = {"type": kind, "id": message_id}
    if kind == "video":
        message["quoteToken"] = new_id()
    if duration_ms is not None:
        message["duration"] = duration_ms
    message["contentProvider"] = {"type": "line"}
    event["message"] = message
    return event


def location_event(
    user_id: str, latitude: float, longitude: float, title: str = "", address: str = "", **kw: Any
) -> dict[str, Any]:
    event = base_event("message", user_id, **kw)
    event["message"] = {"type": "location", "id": new_id(18), "latitude": latitude, "longitude": longitude}
    if title:
        event["message"]["title"] = title
    if address:
        event["message"]["address"] = address
    return event


def postback_event(user_id: str, data: str, **kw: Any) -> dict[str, Any]:
    event = base_event("postback", user_id, **kw)
    event["postback"] = {"data": data}
    return event


def new_group_id() -> str:
    return "C" + secrets.token_hex(16)


def in_group(event: dict[str, Any], group_id: str, user_id: str | None) -> dict[str, Any]:
    """The event as sent from a LINE group; `user_id` None: a member who has not accepted the bot's terms."""
    event["source"] = {"type": "group", "groupId": group_id, **({"userId": user_id} if user_id else {})}
    return event


def join_event(group_id: str, **kw: Any) -> dict[str, Any]:
    """The bot invited into a group."""
    event = base_event("join", "", **kw)
    event["source"] = {"type": "group", "groupId": group_id}
    return event


def leave_event(group_id: str, **kw: Any) -> dict[str, Any]:
    """The bot removed from (or leaving) a group: no reply token."""
    event = base_event("leave", "", reply=False, **kw)
    event["source"] = {"type": "group", "groupId": group_id}
    return event


def webhook_body(events: list[dict[str, Any]], destination: str = "Ub0t0000000000000000000000000000") -> str:
    return to_json({"destination": destination, "events": events})


def to_json(value: Any) -> str:
    """Compact JSON, Thai kept readable; escaped where UTF-8 cannot carry it (a lone surrogate, which a
    browser may send), as LINE's own JSON would be."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"))
    return text
