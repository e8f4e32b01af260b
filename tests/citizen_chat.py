"""A citizen talking to the bot in tests: signed webhook events in, the worker's LINE calls out.

Each `send` posts one event the way LINE does, lets the worker handle it, and returns the LINE
messages the bot sent back (reply or push). `tap(label)` finds a button with that label in the
bot's last messages (quick reply or Flex button) and sends what LINE would send for it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select

from bot.line_gateway import LineGateway
from bot.sandbox import events as ev
from bot.services import Services
from bot.settings import DEFAULT_BOUNDARIES
from bot.worker import Worker
from models import Complaint
from models.clock import clock
from models.db import transaction
from models.districts import DistrictLocator, read_boundaries
from tests.conftest import post_events
from tests.line_stub import LineStub

BANGKOK = ZoneInfo("Asia/Bangkok")
JATUJAK = (13.8040, 100.5530)  # Chatuchak (1030)
SIAM = (13.7455, 100.5340)  # Pathum Wan (1007)
OUTSIDE_BANGKOK = (13.69, 100.7501)  # Samut Prakan


@cache
def bangkok_locator() -> DistrictLocator:
    """The real district boundaries, read once per test run (the file is large)."""
    return DistrictLocator([(b.code, b.geometry) for b in read_boundaries(DEFAULT_BOUNDARIES)])


def texts(messages: list[dict[str, Any]]) -> str:
    """Everything readable in the messages, joined: texts, alt texts and Flex texts."""
    return "\n".join(_strings(messages))


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) and node.get("type") != "message" else []
        if isinstance(node.get("altText"), str):
            found.append(node["altText"])
        for key, value in node.items():
            if key not in ("text", "altText", "action"):
                found.extend(_strings(value))
        return found
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return []


def actions(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every tappable action in the messages: quick replies and Flex buttons."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("action"), dict) and "label" in node["action"]:
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(messages)
    return found


class Chat:
    def __init__(
        self,
        client: FlaskClient,
        services: Services,
        stub: LineStub,
        *,
        user: str | None = None,
        start: datetime | None = None,
        locator: DistrictLocator | None = None,
    ) -> None:
        self.client, self.services, self.stub = client, services, stub
        self.user = user or ev.new_user_id()
        self.at = start or datetime(2026, 11, 23, 9, 0, tzinfo=BANGKOK)  # a Monday
        self.worker = Worker(services, LineGateway("token", stub.url, check_messages=True), name="chat")
        self.worker._locator = locator if locator is not None else bangkok_locator()
        self.last: list[dict[str, Any]] = []
        self._seen = 0
        self._tokens: set[str] = set()  # reply tokens of this user's events: whose replies are whose

    def now(self) -> datetime:
        """The moment this chat's worker handles its last event: a second after the event."""
        return self.at + timedelta(seconds=1)

    def wait(self, **delta: float) -> None:
        self.at += timedelta(**delta)

    def send(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        self.at += timedelta(seconds=5)
        event["timestamp"] = int(self.at.timestamp() * 1000)
        if "replyToken" in event:
            self._tokens.add(event["replyToken"])
        # The app's one clock follows the chat: LINE's event time when the webhook stamps it, a
        # second later when the worker handles it (several chats in a test each bring their own time).
        clock.freeze(self.at)
        assert post_events(self.client, [event]).status_code == 200
        clock.freeze(self.now())
        self.worker.drain()
        return self._sent()

    def _sent(self) -> list[dict[str, Any]]:
        calls = [c for c in self.stub.calls("/v2/bot/message/") if c.path.endswith(("/reply", "/push"))]
        new, self._seen = calls[self._seen :], len(calls)
        self.last = [m for c in new if self._mine(c.body) for m in c.body["messages"]]
        return self.last

    def _mine(self, body: dict[str, Any]) -> bool:
        return body.get("to") == self.user or body.get("replyToken") in self._tokens

    def inbox(self) -> list[dict[str, Any]]:
        """Everything pushed or replied to this user since this chat last looked (e.g. after others acted)."""
        return self._sent()

    def text(self, body: str) -> list[dict[str, Any]]:
        return self.send(ev.text_event(self.user, body))

    def photo(
        self, message_id: str | None = None, image_set: tuple[int, int] | None = None
    ) -> list[dict[str, Any]]:
        event = ev.image_event(self.user, message_id or ev.new_id(18))
        if image_set:
            event["message"]["imageSet"] = {"id": "set1", "index": image_set[0], "total": image_set[1]}
        return self.send(event)

    def location(self, lat: float, lon: float, address: str = "") -> list[dict[str, Any]]:
        return self.send(ev.location_event(self.user, lat, lon, address=address))

    def postback(self, data: str) -> list[dict[str, Any]]:
        return self.send(ev.postback_event(self.user, data))

    def button(self, label: str, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        for action in actions(self.last if messages is None else messages):
            if action.get("label") == label:
                return action
        raise AssertionError(f"no button {label!r} in {[a.get('label') for a in actions(self.last)]}")

    def tap(self, label: str, messages: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        action = self.button(label, messages)
        if action["type"] == "postback":
            return self.postback(action["data"])
        if action["type"] == "message":
            return self.text(action["text"])
        raise AssertionError(f"{label!r} is a {action['type']} action; send the content instead")

    def said(self) -> str:
        return texts(self.last)


def flex_cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("type") == "flex"]


def dump(messages: list[dict[str, Any]]) -> str:
    return json.dumps(messages, ensure_ascii=False, indent=1)


def complaints(services: Services) -> list[Complaint]:
    """Every complaint filed so far, oldest first."""
    with transaction(services.sessions) as session:
        return list(session.scalars(select(Complaint).order_by(Complaint.id)))
