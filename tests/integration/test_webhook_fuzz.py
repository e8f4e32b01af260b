"""1,200 signed bodies from a seeded generator: never a 5xx, and a valid event after them is answered.

The generator mutates valid events of every kind the bot handles: fields dropped, given the wrong
type, made too long, filled with NUL and lone surrogates, nested deep; whole bodies cut or of the
wrong shape. The seed is fixed, so a failure names the body that caused it and repeats.
"""

from __future__ import annotations

import json
import random
from typing import Any

from sqlalchemy import select

from bot.sandbox import events as ev
from bot.services import Services
from models import InboxEvent
from models.db import transaction
from tests.citizen_chat import Chat
from tests.line_stub import LineStub

BODIES = 1_200
SEED = 20_261_206

STRANGE_STRINGS = [
    "",
    "\x00",
    "\ud800",
    "\udfff\ud800",
    "ก" * 6000,
    "U" + "f" * 200,
    " ",
    "\n\t",
    "💡" * 50,
    "p1:หมวด:1:1::กขค",
    "p1:::",
    "'; DROP TABLE inbox_events; --",
    "<script>alert(1)</script>",
    "%s%s%n",
    "1e309",
]
STRANGE_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    1.5,
    float("1e308"),
    [],
    {},
    [1, "a"],
    {"a": None},
]


def valid_events(rng: random.Random) -> list[dict[str, Any]]:
    user = ev.new_user_id()
    return [
        ev.text_event(user, "ไฟดับหน้าซอย"),
        ev.follow_event(user),
        ev.image_event(user, ev.new_id(18)),
        ev.location_event(user, 13.80, 100.55),
        ev.postback_event(user, "p1:cat:1:abc"),
        ev.base_event("unfollow", user, reply=False),
    ]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def mutate(event: dict[str, Any], rng: random.Random) -> Any:
    for _ in range(rng.randint(1, 3)):
        where = rng.choice(paths(event))
        parent = event
        for key in where[:-1]:
            parent = parent[key]
        last = where[-1]
        choice = rng.random()
        if choice < 0.25 and isinstance(parent, dict):
            del parent[last]
            if not paths(event):
                break
        elif choice < 0.55:
            parent[last] = rng.choice(STRANGE_STRINGS)
        elif choice < 0.8:
            parent[last] = rng.choice(STRANGE_VALUES)
        else:  # deep, but not so deep that the event cannot be written out (whole bodies go deeper)
            depth = rng.choice([10, 100, 400])
            parent[last] = json.loads("[" * depth + "]" * depth)
    return event


def body(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.04:
        return rng.choice(["", "{", "[]", "null", '{"events": {}}', '{"events": [1, "x", null]}'])
    if kind < 0.07:
        depth = rng.choice([1500, 50_000])
        return '{"events":[' + "[" * depth + "]" * depth + "]}"
    events = [mutate(e, rng) for e in rng.sample(valid_events(rng), rng.randint(1, 3))]
    if rng.random() < 0.3:
        events.append(ev.text_event(ev.new_user_id(), "ปกติ"))  # a valid one beside the bad
    text = json.dumps({"destination": "U" + "0" * 32, "events": events})  # escapes keep it UTF-8
    return text[: rng.randint(1, len(text))] if rng.random() < 0.03 else text


def test_no_signed_body_causes_a_5xx_and_a_valid_event_after_them_is_answered(
    client: Any, services: Services, stub: LineStub
) -> None:
    rng = random.Random(SEED)
    secret = services.settings.line_channel_secret
    statuses: dict[int, int] = {}
    for n in range(BODIES):
        text = body(rng)
        response = client.post(
            "/callback",
            data=text.encode("utf-8"),  # ASCII: json.dumps escapes what UTF-8 cannot carry
            headers={"X-Line-Signature": ev.sign_body(secret, text)},
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (
            f"body {n} (seed {SEED}) got {response.status_code}: {text[:300]!r}"
        )
    assert statuses.get(200, 0) > BODIES // 2 and statuses.get(400, 0) > 0, statuses

    chat = Chat(client, services, stub)
    chat.worker.drain()  # the worker takes every stored fuzzed event and survives all of them
    with transaction(services.sessions) as session:
        left = session.scalars(
            select(InboxEvent.status).where(InboxEvent.status.in_(["pending", "processing"]))
        )
        assert list(left) == []
    assert chat.text("สวัสดีค่ะ"), "a valid event after the fuzzing got no answer"
