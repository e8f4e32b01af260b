"""Builders for LINE message objects (plain JSON dicts), used by every handler."""

from __future__ import annotations

from handlers.context import LineMessage


def text(body: str, quick_replies: list[dict[str, object]] | None = None) -> LineMessage:
    message: LineMessage = {"type": "text", "text": body[:5000]}
    if quick_replies:
        message["quickReply"] = {"items": quick_replies[:13]}
    return message


def quick_message(label: str, message_text: str | None = None) -> dict[str, object]:
    return {
        "type": "action",
        "action": {"type": "message", "label": label[:20], "text": message_text or label},
    }


def quick_location(label: str) -> dict[str, object]:
    return {"type": "action", "action": {"type": "location", "label": label[:20]}}


def quick_camera(label: str) -> dict[str, object]:
    return {"type": "action", "action": {"type": "camera", "label": label[:20]}}


def quick_camera_roll(label: str) -> dict[str, object]:
    return {"type": "action", "action": {"type": "cameraRoll", "label": label[:20]}}
