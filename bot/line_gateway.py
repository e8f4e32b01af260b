"""The one way out to LINE: every Messaging API call goes through `LineGateway`.

`LINE_API_BASE_URL`, when set, is used for every call, content downloads included, so a
local server (the sandbox, Prism, a test stub) can stand in for LINE. When unset, each API
keeps the SDK's own host: content lives on api-data.line.me, not api.line.me.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MarkMessagesAsReadByTokenRequest,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.models import Message

from handlers.context import Content, Profile

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = (3.0, 10.0)  # connect, read (seconds)

Messages = list[dict[str, Any]] | str  # message objects, or that list as JSON text


@dataclass(frozen=True)
class Quota:
    type: str  # "limited" | "none"
    limit: int | None  # messages a month when limited
    used: int  # this month's pushes (and multicasts, broadcasts) so far


class LineCallError(Exception):
    """A Messaging API call did not succeed.

    `status` is the HTTP status, or None when LINE could not be reached (timeout, refused).
    """

    def __init__(self, status: int | None, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"LINE {status or 'unreachable'}: {detail}")
        self.status = status
        self.detail = detail
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}

    @property
    def retryable(self) -> bool:
        """429, 5xx and network failures may succeed later; other 4xx never will."""
        return self.status is None or self.status == 429 or self.status >= 500

    @property
    def already_accepted(self) -> bool:
        """LINE answers 409 to a retried push whose retry key it has already accepted."""
        return self.status == 409 and "x-line-accepted-request-id" in self.headers


class UnreadableAnswer(LineCallError):
    """LINE answered 2xx with a body the SDK could not read: the call itself was accepted."""

    @property
    def retryable(self) -> bool:
        return False


class LineGateway:
    """`check_messages`: parse every outgoing message into the SDK's models first and raise on what they
    refuse (the tests' setting). Off in the service: the parse costs more than the rest of handling an
    event and finds nothing LINE would not answer with a 400, which fails the row at once."""

    def __init__(
        self, access_token: str, base_url: str | None, connections: int = 10, *, check_messages: bool = False
    ) -> None:
        self._check = check_messages
        config = Configuration(host=base_url, access_token=access_token)
        config.retries = False  # we retry ourselves, from the outbox, with back-off and a retry key
        # One kept-alive connection per thread that calls LINE at once; more would be opened and dropped.
        config.connection_pool_maxsize = connections
        self._client = ApiClient(config)
        self._api = MessagingApi(self._client)
        self._blob = MessagingApiBlob(self._client)

    def close(self) -> None:
        self._client.close()

    def reply(self, reply_token: str, messages: Messages) -> None:
        """`messages`: a list of message objects, or that list already as JSON (as the outbox keeps it)."""
        if self._check:
            ReplyMessageRequest(replyToken=reply_token, messages=_messages(messages))
        self._send("/v2/bot/message/reply", {"replyToken": reply_token}, messages)

    def push(self, to: str, messages: Messages, retry_key: str) -> None:
        if self._check:
            PushMessageRequest(to=to, messages=_messages(messages))
        self._send("/v2/bot/message/push", {"to": to}, messages, {"X-Line-Retry-Key": retry_key})

    def _send(
        self,
        path: str,
        fields: dict[str, Any],
        messages: Messages | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """A POST of JSON on the SDK's connections, with its headers, its host and its time-outs.

        Not through the SDK's models or its JSON encoding: for a reply or a push, parsing our messages
        and writing them out again (as ASCII escapes, three times the bytes of Thai) cost more than the
        rest of handling the event. The messages go as the outbox stored them. LINE's answer to a
        2xx is not read: the call was taken (a body that cannot be read must not undo that).
        """
        body = json.dumps(fields, ensure_ascii=False)
        if messages is not None:
            listed = messages if isinstance(messages, str) else json.dumps(messages, ensure_ascii=False)
            body = f'{body[:-1]}, "messages": {listed}}}'
        try:
            answer = self._client.rest_client.pool_manager.request(
                "POST",
                self._client.configuration.host + path,
                body=body.encode("utf-8"),
                headers={
                    **self._client.default_headers,
                    "Content-Type": "application/json",
                    **(headers or {}),
                },
                timeout=urllib3.Timeout(connect=REQUEST_TIMEOUT[0], read=REQUEST_TIMEOUT[1]),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise LineCallError(None, f"{type(exc).__name__}: {exc}") from exc
        if answer.status >= 300:
            raise LineCallError(answer.status, _error_detail(answer.data), dict(answer.headers))

    def show_loading(self, chat_id: str, seconds: int = 20) -> None:
        if self._check:
            ShowLoadingAnimationRequest(chatId=chat_id, loadingSeconds=seconds)
        self._send("/v2/bot/chat/loading/start", {"chatId": chat_id, "loadingSeconds": seconds})

    def mark_as_read(self, token: str) -> None:
        """Mark a user's messages read up to the one that carried `token` (its webhook's markAsReadToken)."""
        if self._check:
            MarkMessagesAsReadByTokenRequest(markAsReadToken=token)
        self._send("/v2/bot/chat/markAsRead", {"markAsReadToken": token})

    def get_profile(self, user_id: str) -> Profile:
        response = self._call(self._api.get_profile_with_http_info, user_id)
        profile = response.data
        return Profile(display_name=profile.display_name, language=getattr(profile, "language", None))

    def get_content(self, message_id: str) -> Content:
        response = self._call(self._blob.get_message_content_with_http_info, message_id)
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        return Content(bytes(response.data), headers.get("content-type", "application/octet-stream"))

    def get_quota(self) -> Quota:
        """The month's push quota and what is used of it, as LINE counts them (issue 18 point 7)."""
        quota = self._call(self._api.get_message_quota_with_http_info).data
        used = self._call(self._api.get_message_quota_consumption_with_http_info).data
        return Quota(str(quota.type), quota.value, int(used.total_usage))

    # ---- rich menus (issue 18): made by `rongtook release`, linked per user by the worker ------------

    def create_rich_menu(self, menu: dict[str, Any]) -> str:
        """Create a rich menu (its JSON only; the image follows); returns LINE's id for it."""
        request = RichMenuRequest.from_dict(menu)  # a ValueError here: our menu breaks LINE's model
        response = self._call(self._api.create_rich_menu_with_http_info, request)
        return str(response.data.rich_menu_id)

    def upload_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str) -> None:
        """The menu's image (JPEG or PNG, at most 1 MB), sent to api-data.line.me (or LINE_API_BASE_URL)."""
        self._call(
            self._blob.set_rich_menu_image_with_http_info,
            rich_menu_id,
            image,
            _headers={"Content-Type": content_type},
        )

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        self._call(self._api.set_default_rich_menu_with_http_info, rich_menu_id)

    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None:
        self._call(self._api.link_rich_menu_id_to_user_with_http_info, user_id, rich_menu_id)

    def unlink_rich_menu(self, user_id: str) -> None:
        """The user's own menu is removed: the default menu shows again."""
        self._call(self._api.unlink_rich_menu_id_from_user_with_http_info, user_id)

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        self._call(self._api.delete_rich_menu_with_http_info, rich_menu_id)

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, _request_timeout=REQUEST_TIMEOUT, **kwargs)
        except ApiException as exc:
            raise LineCallError(exc.status, _error_detail(exc.body), dict(exc.headers or {})) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise LineCallError(None, f"{type(exc).__name__}: {exc}") from exc
        except (ValueError, TypeError) as exc:  # the SDK checks the status first: this was a 2xx
            raise UnreadableAnswer(200, f"{type(exc).__name__}: {str(exc)[:300]}") from exc


def _messages(messages: Messages) -> list[Message]:
    listed = json.loads(messages) if isinstance(messages, str) else messages
    return [Message.from_dict(m) for m in listed]


def _error_detail(body: bytes | str | None) -> str:
    if not body:
        return "(no body)"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500]
    details = "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in data.get("details", []))
    return f"{data.get('message', text[:300])}" + (f" ({details})" if details else "")
