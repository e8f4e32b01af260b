"""A fake LINE Messaging API under /sandbox/line: answers like LINE and records what the bot sends.

It checks what LINE checks, so the sandbox catches the bot's mistakes: the bearer token,
the request body (through the SDK's own models), single-use reply tokens that expire after
a minute, the retry key of a push (a second push with the same key gets 409), known users, and the
rich menus' limits (sizes, areas, an image of the menu's size, uploaded once, before the menu is used).
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest, RichMenuRequest
from PIL import Image
from pydantic import ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.services import Services
from bot.settings import SANDBOX_API_PATH
from models import (
    SandboxContent,
    SandboxMessage,
    SandboxReplyToken,
    SandboxRetryKey,
    SandboxRichMenu,
    SandboxRichMenuLink,
    SandboxUser,
)
from models.clock import BANGKOK, clock
from models.db import transaction

bp = Blueprint("fake_line", __name__, url_prefix=SANDBOX_API_PATH)
REPLY_TOKEN_LIFETIME = timedelta(minutes=1)


def _services() -> Services:
    return current_app.extensions["rongtook"]


@bp.before_request
def check_token() -> ResponseReturnValue | None:
    expected = f"Bearer {_services().settings.line_channel_access_token}"
    if request.headers.get("Authorization") != expected:
        return _error(
            401, "Authentication failed. Confirm that the access token in the authorization header is valid."
        )
    return None


@bp.post("/v2/bot/message/reply")
def reply() -> ResponseReturnValue:
    body = _valid_body(ReplyMessageRequest)
    if isinstance(body, Response):
        return body
    now = clock.now()
    with transaction(_services().sessions) as session:
        token = session.get(SandboxReplyToken, str(body["replyToken"]))
        if token is None or token.used_at is not None or now - token.issued_at > REPLY_TOKEN_LIFETIME:
            return _error(400, "Invalid reply token")
        token.used_at = now
        sent = _record(session, token.line_user_id, "reply", body["messages"], now)
    return jsonify(sentMessages=sent), 200, _request_id()


@bp.post("/v2/bot/message/push")
def push() -> ResponseReturnValue:
    body = _valid_body(PushMessageRequest)
    if isinstance(body, Response):
        return body
    retry_key = request.headers.get("X-Line-Retry-Key")
    now = clock.now()
    with transaction(_services().sessions) as session:
        if retry_key:
            seen = session.get(SandboxRetryKey, retry_key)
            if seen is not None:
                response = _error(409, "The retry key is already accepted")
                response.headers["X-Line-Accepted-Request-Id"] = seen.request_id
                return response
        if session.get(SandboxUser, str(body["to"])) is None:
            return _error(400, "Failed to send messages", "to: no such user in the sandbox")
        limit = _services().settings.sandbox_push_quota
        if limit and _pushes_this_month(session, now) >= limit:
            return _error(429, "You have reached your monthly limit.")
        request_id = str(uuid.uuid4())
        if retry_key:
            session.add(SandboxRetryKey(retry_key=retry_key, request_id=request_id, created_at=now))
        sent = _record(session, str(body["to"]), "push", body["messages"], now)
    return jsonify(sentMessages=sent), 200, {"X-Line-Request-Id": request_id}


def _pushes_this_month(session: Session, now: datetime) -> int:
    """Push requests taken this month (each carries a retry key; LINE counts a push once per recipient)."""
    start = now.astimezone(BANGKOK).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    counted = select(func.count()).select_from(SandboxRetryKey).where(SandboxRetryKey.created_at >= start)
    return session.scalar(counted) or 0


@bp.get("/v2/bot/message/quota")
def quota() -> ResponseReturnValue:
    limit = _services().settings.sandbox_push_quota
    body = {"type": "limited", "value": limit} if limit else {"type": "none"}
    return jsonify(body), 200, _request_id()


@bp.get("/v2/bot/message/quota/consumption")
def consumption() -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        used = _pushes_this_month(session, clock.now())
    return jsonify(totalUsage=used), 200, _request_id()


@bp.post("/v2/bot/chat/loading/start")
def loading() -> ResponseReturnValue:
    body = _json_body()
    if isinstance(body, Response):
        return body
    seconds = body.get("loadingSeconds", 20)
    if not isinstance(body.get("chatId"), str) or seconds not in range(5, 61, 5):
        return _error(400, "The request body has 1 error(s)")
    return jsonify({}), 202, _request_id()


@bp.post("/v2/bot/chat/markAsRead")
def mark_as_read() -> ResponseReturnValue:
    """The sandbox's users read everything at once: a token is only checked for its form."""
    body = _json_body()
    if isinstance(body, Response):
        return body
    if not isinstance(body.get("markAsReadToken"), str) or not body["markAsReadToken"]:
        return _error(400, "The request body has 1 error(s)", "markAsReadToken: required")
    return jsonify({}), 200, _request_id()


@bp.get("/v2/bot/profile/<user_id>")
def profile(user_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        user = session.get(SandboxUser, user_id)
        if user is None:
            return _error(404, "Not found")
        return (
            jsonify(userId=user.line_user_id, displayName=user.display_name, language="th"),
            200,
            _request_id(),
        )


@bp.get("/v2/bot/message/<message_id>/content")
def content(message_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        item = session.get(SandboxContent, message_id)
        if item is None:
            return _error(404, "Not found")
        return Response(item.data, status=200, mimetype=item.content_type, headers=_request_id())


@bp.get("/v2/bot/message/<message_id>/content/transcoding")
def transcoding(message_id: str) -> ResponseReturnValue:
    """Whether a video's or audio's content can be fetched yet: in the sandbox, at once."""
    with transaction(_services().sessions) as session:
        if session.get(SandboxContent, message_id) is None:
            return _error(404, "Not found")
    return jsonify(status="succeeded"), 200, _request_id()


# ---- rich menus: kept in the database like the rest of the sandbox, checked as LINE checks them ------

RICH_MENU_SIZES = {(2500, 1686), (2500, 843), (1200, 810), (1200, 405), (800, 540), (800, 270)}
RICH_MENU_IMAGE_TYPES = {"image/png", "image/jpeg"}
RICH_MENU_MAX_IMAGE = 1024 * 1024


@bp.post("/v2/bot/richmenu")
def create_rich_menu() -> ResponseReturnValue:
    body = _valid_body(RichMenuRequest)
    if isinstance(body, Response):
        return body
    problem = _rich_menu_problem(body)
    if problem:
        return _error(400, "The request body has 1 error(s)", problem)
    menu_id = f"richmenu-{uuid.uuid4().hex}"
    with transaction(_services().sessions) as session:
        session.add(
            SandboxRichMenu(
                rich_menu_id=menu_id,
                body=json.dumps(body, ensure_ascii=False),
                is_default=False,
                created_at=clock.now(),
            )
        )
    return jsonify(richMenuId=menu_id), 200, _request_id()


def _rich_menu_problem(body: dict[str, Any]) -> str | None:
    size = body.get("size") or {}
    width, height = size.get("width"), size.get("height")
    if (width, height) not in RICH_MENU_SIZES:
        return f"size: {width}x{height} is not a rich menu size"
    areas = body.get("areas") or []
    if not 1 <= len(areas) <= 20:
        return "areas: between 1 and 20"
    if not 1 <= len(str(body.get("chatBarText", ""))) <= 14:
        return "chatBarText: at most 14 characters"
    for area in areas:
        b = area.get("bounds") or {}
        x, y, w, h = (int(b.get(k, -1)) for k in ("x", "y", "width", "height"))
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > width or y + h > height:
            return "areas[].bounds: outside the rich menu"
    return None


@bp.post("/v2/bot/richmenu/<menu_id>/content")
def upload_rich_menu_image(menu_id: str) -> ResponseReturnValue:
    content_type = (request.mimetype or "").lower()
    data = request.get_data()
    with transaction(_services().sessions) as session:
        menu = session.get(SandboxRichMenu, menu_id)
        if menu is None:
            return _error(404, "Not found")
        if menu.image is not None:
            return _error(400, "An image has already been uploaded to the richmenu")
        if content_type not in RICH_MENU_IMAGE_TYPES:
            return _error(415, "Unsupported Media Type")
        if not data or len(data) > RICH_MENU_MAX_IMAGE:
            return _error(413, "Request Entity Too Large")
        size = json.loads(menu.body)["size"]
        if _image_size(data) != (size["width"], size["height"]):
            return _error(400, "invalid image", "the image size must match the rich menu's size")
        menu.image, menu.image_type = data, content_type
    return jsonify({}), 200, _request_id()


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError):
        return None


@bp.post("/v2/bot/user/all/richmenu/<menu_id>")
def set_default_rich_menu(menu_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        menu = _usable_menu(session, menu_id)
        if isinstance(menu, Response):
            return menu
        session.execute(update(SandboxRichMenu).values(is_default=False))
        menu.is_default = True
    return jsonify({}), 200, _request_id()


@bp.get("/v2/bot/user/all/richmenu")
def get_default_rich_menu() -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        menu_id = session.scalar(select(SandboxRichMenu.rich_menu_id).where(SandboxRichMenu.is_default))
    if menu_id is None:
        return _error(404, "no default richmenu")
    return jsonify(richMenuId=menu_id), 200, _request_id()


@bp.post("/v2/bot/user/<user_id>/richmenu/<menu_id>")
def link_rich_menu(user_id: str, menu_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        menu = _usable_menu(session, menu_id)
        if isinstance(menu, Response):
            return menu
        if session.get(SandboxUser, user_id) is None:
            return _error(400, "Invalid user ID", "userId: no such user in the sandbox")
        link = session.get(SandboxRichMenuLink, user_id)
        if link is None:
            session.add(
                SandboxRichMenuLink(line_user_id=user_id, rich_menu_id=menu_id, linked_at=clock.now())
            )
        else:
            link.rich_menu_id, link.linked_at = menu_id, clock.now()
    return jsonify({}), 200, _request_id()


@bp.get("/v2/bot/user/<user_id>/richmenu")
def get_user_rich_menu(user_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        link = session.get(SandboxRichMenuLink, user_id)
        if link is None:
            return _error(404, "the user has no richmenu")
        return jsonify(richMenuId=link.rich_menu_id), 200, _request_id()


@bp.delete("/v2/bot/user/<user_id>/richmenu")
def unlink_rich_menu(user_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        session.execute(delete(SandboxRichMenuLink).where(SandboxRichMenuLink.line_user_id == user_id))
    return jsonify({}), 200, _request_id()


@bp.delete("/v2/bot/richmenu/<menu_id>")
def delete_rich_menu(menu_id: str) -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        menu = session.get(SandboxRichMenu, menu_id)
        if menu is None:
            return _error(404, "Not found")
        # As at LINE: its users fall back to the default menu, and a deleted default leaves none.
        session.execute(delete(SandboxRichMenuLink).where(SandboxRichMenuLink.rich_menu_id == menu_id))
        session.delete(menu)
    return jsonify({}), 200, _request_id()


@bp.get("/v2/bot/richmenu/list")
def list_rich_menus() -> ResponseReturnValue:
    with transaction(_services().sessions) as session:
        menus = session.scalars(select(SandboxRichMenu).order_by(SandboxRichMenu.created_at))
        listed = [{"richMenuId": m.rich_menu_id, **json.loads(m.body)} for m in menus]
    return jsonify(richmenus=listed), 200, _request_id()


def _usable_menu(session: Session, menu_id: str) -> SandboxRichMenu | Response:
    menu = session.get(SandboxRichMenu, menu_id)
    if menu is None:
        return _error(404, "Not found")
    if menu.image is None:
        return _error(400, "must upload richmenu image before applying it to user")
    return menu


def _record(
    session: Session, user_id: str, via: str, messages: list[dict[str, Any]], now: datetime
) -> list[dict[str, str]]:
    sent = []
    for message in messages:
        row = SandboxMessage(
            line_user_id=user_id,
            direction="bot",
            via=via,
            payload=json.dumps(message, ensure_ascii=False),
            created_at=now,
        )
        session.add(row)
        session.flush()
        sent.append({"id": str(row.id), "quoteToken": uuid.uuid4().hex})
    return sent


def _valid_body(model: Any) -> dict[str, Any] | Response:
    """The JSON body if the SDK's own model for this request accepts it (as LINE's API would)."""
    body = _json_body()
    if isinstance(body, Response):
        return body
    try:
        model.from_dict(body)
    except (ValidationError, ValueError, TypeError) as exc:
        return _error(400, "The request body has 1 error(s)", str(exc)[:300])
    return body


def _json_body() -> dict[str, Any] | Response:
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        return _error(400, "The request body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "The request body has 1 error(s)")
    return body


def _error(status: int, message: str, detail: str | None = None) -> Response:
    payload: dict[str, Any] = {"message": message}
    if detail:
        payload["details"] = [{"message": detail, "property": ""}]
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(_request_id())
    return response


def _request_id() -> dict[str, str]:
    return {"X-Line-Request-Id": str(uuid.uuid4())}
