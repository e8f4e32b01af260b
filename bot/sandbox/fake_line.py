"""A fake LINE Messaging API under /sandbox/line: answers like LINE and records what the bot sends.

It checks what LINE checks, so the sandbox catches the bot's mistakes: the bearer token,
the request body (through the SDK's own models), single-use reply tokens that expire after
a minute, the retry key of a push (a second push with the same key gets 409), known users.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.services import Services
from bot.settings import SANDBOX_API_PATH
from models import SandboxContent, SandboxMessage, SandboxReplyToken, SandboxRetryKey, SandboxUser
from models.clock import clock
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
        request_id = str(uuid.uuid4())
        if retry_key:
            session.add(SandboxRetryKey(retry_key=retry_key, request_id=request_id, created_at=now))
        sent = _record(session, str(body["to"]), "push", body["messages"], now)
    return jsonify(sentMessages=sent), 200, {"X-Line-Request-Id": request_id}


@bp.post("/v2/bot/chat/loading/start")
def loading() -> ResponseReturnValue:
    body = _json_body()
    if isinstance(body, Response):
        return body
    seconds = body.get("loadingSeconds", 20)
    if not isinstance(body.get("chatId"), str) or seconds not in range(5, 61, 5):
        return _error(400, "The request body has 1 error(s)")
    return jsonify({}), 202, _request_id()


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
