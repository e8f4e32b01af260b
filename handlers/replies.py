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


def quick_postback(label: str, data: str, display_text: str | None = None) -> dict[str, object]:
    return {
        "type": "action",
        "action": {
            "type": "postback",
            "label": label[:20],
            "data": data,
            "displayText": display_text or label,
        },
    }


def with_quick_replies(message: LineMessage, quick_replies: list[dict[str, object]]) -> LineMessage:
    """Any message (a Flex card too) may carry quick replies: they show under the last message sent."""
    if quick_replies:
        message["quickReply"] = {"items": quick_replies[:13]}
    return message


def flex(alt_text: str, contents: dict[str, object]) -> LineMessage:
    return {"type": "flex", "altText": alt_text[:400], "contents": contents}


def postback_button(label: str, data: str, display_text: str, style: str = "secondary") -> dict[str, object]:
    return {
        "type": "button",
        "style": style,
        "height": "sm",
        "action": {"type": "postback", "label": label[:40], "data": data, "displayText": display_text},
    }


def message_button(label: str, text_to_send: str, style: str = "link") -> dict[str, object]:
    return {
        "type": "button",
        "style": style,
        "height": "sm",
        "action": {"type": "message", "label": label[:40], "text": text_to_send},
    }
