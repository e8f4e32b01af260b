"""Contract tests: `LineGateway`'s real HTTP calls, checked by Prism against LINE's OpenAPI spec.

Prism (`prism mock --errors`) validates each request (path, query, headers, security, JSON body)
against `messaging-api.yml` and answers a request that breaks the spec with 400/401/422 and an
`sl-violations` header; the gateway turns that into `LineCallError`. So "the call did not raise"
means "the request conforms to the spec". The content download (`/v2/bot/message/{id}/content`)
is in the same spec file (with its own server, api-data.line.me, which Prism ignores), so one
Prism instance serves every call.

Known blind spot: Prism ignores OpenAPI `discriminator`, so each message is only checked against
the base `Message` schema (`type` required, `quickReply.items` at most 13, ...), not its subtype:
`{"type": "text"}` without `text` would pass Prism. The SDK's pydantic models refuse that before
sending (see `test_sdk_refuses_a_text_message_without_text`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from linebot.v3.messaging import PushMessageRequest, ShowLoadingAnimationRequest
from pydantic.v1 import ValidationError

from bot import line_gateway
from bot.line_gateway import Content, LineCallError, LineGateway, Profile
from handlers import replies
from handlers.dispatch import welcome_items
from tests.prism import PrismServer
from texts import say

pytestmark = pytest.mark.contract

T = TypeVar("T")


USER_ID = "U4af4980629a1b2c3d4e5f60718293a4b"  # "U" + 32 hex digits, like a real user ID
REPLY_TOKEN = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
MESSAGE_ID = "325708"


def conforms(prism: PrismServer, call: Callable[[], T]) -> T:
    """Run a gateway call; if Prism refused it, fail with the violations and Prism's log."""
    try:
        return call()
    except LineCallError as exc:
        pytest.fail(
            f"Prism refused the request: HTTP {exc.status}: {exc.detail}\n"
            f"sl-violations: {exc.headers.get('sl-violations', '(none)')}\n"
            f"--- Prism log ---\n{prism.log_tail()}"
        )


def violations(exc: LineCallError) -> list[dict[str, Any]]:
    assert "sl-violations" in exc.headers, f"no sl-violations header: {exc.headers}"
    return json.loads(exc.headers["sl-violations"])


def all_quick_items(lang: str = "th") -> list[dict[str, object]]:
    return [
        replies.quick_message("แจ้งปัญหา" if lang == "th" else "Report a problem"),
        replies.quick_location(say("qr_send_location", lang)),
        replies.quick_camera(say("qr_camera", lang)),
        replies.quick_camera_roll(say("qr_camera_roll", lang)),
    ]


# --- calls that must conform -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["th", "en"])
def test_reply_welcome_with_every_quick_reply_type(
    prism: PrismServer, gateway: LineGateway, lang: str
) -> None:
    message = replies.text(say("welcome", lang, name=""), all_quick_items(lang))
    assert [i["action"]["type"] for i in message["quickReply"]["items"]] == [
        "message",
        "location",
        "camera",
        "cameraRoll",
    ]
    conforms(prism, lambda: gateway.reply(REPLY_TOKEN, [message]))


@pytest.mark.parametrize("lang", ["th", "en"])
def test_reply_with_the_handlerswelcome_items(prism: PrismServer, gateway: LineGateway, lang: str) -> None:
    message = replies.text(say("welcome", lang, name=" สมชาย"), welcome_items(lang))
    conforms(prism, lambda: gateway.reply(REPLY_TOKEN, [message]))


def test_reply_long_thai_text(prism: PrismServer, gateway: LineGateway) -> None:
    body = (say("welcome", name="") + "\n") * 40  # > 5000 characters, Thai with emoji and curly quotes
    assert len(body) > 5000
    message = replies.text(body, welcome_items("th"))
    assert len(message["text"]) == 5000
    conforms(prism, lambda: gateway.reply(REPLY_TOKEN, [message]))


def test_reply_with_five_messages(prism: PrismServer, gateway: LineGateway) -> None:
    messages = [
        replies.text(say("photo_added", count=3)),
        replies.text(say("location_in_district", district="บางรัก")),
        replies.text(say("location_outside")),
        replies.text(say("stale_button", "en")),
        replies.text(say("unsupported_message"), all_quick_items()),
    ]
    conforms(prism, lambda: gateway.reply(REPLY_TOKEN, messages))


def test_push_with_retry_key(prism: PrismServer, gateway: LineGateway) -> None:
    message = replies.text(say("detail_added"), welcome_items("th"))
    conforms(prism, lambda: gateway.push(USER_ID, [message], str(uuid.uuid4())))


@pytest.mark.parametrize("seconds", [5, 20, 60])
def test_show_loading(prism: PrismServer, gateway: LineGateway, seconds: int) -> None:
    conforms(prism, lambda: gateway.show_loading(USER_ID, seconds=seconds))


def test_show_loading_default(prism: PrismServer, gateway: LineGateway) -> None:
    conforms(prism, lambda: gateway.show_loading(USER_ID))


def test_get_profile(prism: PrismServer, gateway: LineGateway) -> None:
    profile = conforms(prism, lambda: gateway.get_profile(USER_ID))
    assert isinstance(profile, Profile)
    assert isinstance(profile.display_name, str) and profile.display_name
    assert profile.language is None or isinstance(profile.language, str)


def test_get_content(prism: PrismServer, gateway: LineGateway) -> None:
    content = conforms(prism, lambda: gateway.get_content(MESSAGE_ID))
    assert isinstance(content, Content)
    assert isinstance(content.data, bytes) and content.data
    assert content.content_type


# --- the check can fail ------------------------------------------------------------------------


def test_retry_key_reaches_prism_and_is_validated(gateway: LineGateway) -> None:
    """Prism checks the X-Line-Retry-Key header against `format: uuid`, so a bad key is refused:
    proof that the header our pushes carry is really sent and really checked."""
    with pytest.raises(LineCallError) as info:
        gateway.push(USER_ID, [replies.text("hello")], "not-a-uuid")
    assert info.value.status == 400
    [violation] = violations(info.value)
    assert violation["location"] == ["request", "header", "x-line-retry-key"]
    assert violation["code"] == "format"
    assert not info.value.retryable


def test_sdk_refuses_a_text_message_without_text(gateway: LineGateway) -> None:
    """The SDK validates messages before sending; Prism would not catch this one (see module doc)."""
    with pytest.raises(ValidationError, match="text"):
        gateway.push(USER_ID, [{"type": "text"}], str(uuid.uuid4()))


def _unvalidated(model: type) -> Callable[..., Any]:
    """A stand-in for an SDK request model that skips its client-side (pydantic) validation."""
    return lambda **fields: model.construct(**fields)


def test_body_violation_loading_seconds_too_large(
    monkeypatch: pytest.MonkeyPatch, gateway: LineGateway
) -> None:
    monkeypatch.setattr(
        line_gateway, "ShowLoadingAnimationRequest", _unvalidated(ShowLoadingAnimationRequest)
    )
    with pytest.raises(LineCallError) as info:
        gateway.show_loading(USER_ID, seconds=70)
    assert info.value.status == 400
    [violation] = violations(info.value)
    assert violation["location"] == ["request", "body", "loadingSeconds"]
    assert violation["code"] == "maximum"


def test_body_violation_push_without_messages(monkeypatch: pytest.MonkeyPatch, gateway: LineGateway) -> None:
    monkeypatch.setattr(line_gateway, "PushMessageRequest", _unvalidated(PushMessageRequest))
    with pytest.raises(LineCallError) as info:
        gateway.push(USER_ID, [], str(uuid.uuid4()))
    assert info.value.status == 400
    [violation] = violations(info.value)
    assert violation["location"] == ["request", "body", "messages"]
    assert violation["code"] == "minItems"


def test_missing_access_token_is_refused(prism: PrismServer) -> None:
    """Prism enforces the spec's bearer security: the token our gateway sends is what passes."""
    gw = LineGateway(access_token="", base_url=prism.base_url)
    try:
        with pytest.raises(LineCallError) as info:
            gw.get_profile(USER_ID)
    finally:
        gw.close()
    assert info.value.status == 401
