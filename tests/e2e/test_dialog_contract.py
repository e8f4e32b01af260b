"""Contract tests: every message the citizen's dialog sends, checked against LINE's reply API.

A citizen files complaints through the real webhook, worker and dialog table (`tests.citizen_chat`),
in Thai and in English, on every database backend: a filing with a photo and every part of the
summary edited, a second filing at the same place (the duplicate notice) moved outside Bangkok
and back in through the district picker, and every command and unusable input the dialog
answers. Each reply the bot sent (`chat.last` after each step) is then

* sent through `bot.line_gateway.LineGateway` to Prism (`prism mock --errors`), which refuses a
  request that breaks LINE's OpenAPI spec (see `tests/e2e/test_gateway_contract.py`), and
* checked against LINE's documented limits, most of which Prism cannot see: it ignores the
  spec's `discriminator`, so it checks only the base `Message` schema (type, at most 13 quick
  replies, at most 5 messages), not Flex contents, labels or postback data. LINE answers a
  reply that breaks any of them with 400, and the citizen sees nothing.

What the dialog wrote to the outbox goes through Prism as well (`chat.last` is what the LINE SDK
made of it). The SDK turns our dicts into its models before sending, and a field it does not
know would vanish silently, so the tests also check that it sends every field the dialog set.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, update

from bot.line_gateway import LineCallError, LineGateway
from bot.sandbox import events as ev
from bot.services import Services
from handlers.citizen_dialog import expire_idle_drafts
from models import Citizen, Complaint, OutboxMessage
from models.db import transaction
from models.districts import DistrictLocator
from tests.citizen_chat import JATUJAK, OUTSIDE_BANGKOK, Chat, actions, flex_cards, texts
from tests.line_stub import LineStub
from tests.prism import PrismServer
from texts import CATALOGUES, say

pytestmark = pytest.mark.contract

T = TypeVar("T")

REPLY_TOKEN = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
USER_ID = "U4af4980629a1b2c3d4e5f60718293a4b"

# LINE's limits (Messaging API reference), counted in characters as LINE counts them (UTF-16).
MAX_MESSAGES_PER_REPLY = 5
MAX_TEXT = 5000
MAX_ALT_TEXT = 400
MAX_QUICK_REPLY_ITEMS = 13
MAX_QUICK_REPLY_LABEL = 20
MAX_FLEX_BUTTON_LABEL = 40
MAX_POSTBACK_DATA = 300
MAX_DISPLAY_TEXT = 300
MAX_MESSAGE_ACTION_TEXT = 300
MAX_URI = 1000
MAX_CAROUSEL_BUBBLES = 12
MAX_BUBBLE_JSON = 30 * 1024
MAX_CAROUSEL_JSON = 50 * 1024


# --- fixtures --------------------------------------------------------------------------------


def conforms(prism: PrismServer, what: str, call: Callable[[], T]) -> T:
    """Run a gateway call; if Prism refused it, fail with the violations and Prism's log."""
    try:
        return call()
    except LineCallError as exc:
        pytest.fail(
            f"Prism refused {what}: HTTP {exc.status}: {exc.detail}\n"
            f"sl-violations: {exc.headers.get('sl-violations', '(none)')}\n"
            f"--- Prism log ---\n{prism.log_tail()}"
        )


# --- the conversation ------------------------------------------------------------------------


@dataclass
class Batch:
    """What the bot sent after one thing the citizen did."""

    step: str
    messages: list[dict[str, Any]]
    push: bool = False


@dataclass
class Conversation:
    batches: list[Batch] = field(default_factory=list)
    reply_sizes: list[int] = field(default_factory=list)  # messages in each reply call the bot made
    # (what the dialog put in the outbox, what the LINE SDK then sent) for each call, in order
    outbox_vs_wire: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=list)


class Driver:
    """Drives one citizen through the dialog and records each reply, labelled by step."""

    def __init__(self, chat: Chat, lang: str, record: Conversation) -> None:
        self.chat, self.lang, self.record = chat, lang, record

    def say(self, key: str) -> str:
        return say(key, self.lang)

    def lead(self, key: str) -> str:
        """The start of a text, up to its first line break or placeholder: enough to know it by."""
        template = CATALOGUES[self.lang].get(key) or CATALOGUES["th"][key]
        start = re.split(r"[\n{]", template, maxsplit=1)[0].strip()
        assert len(start) >= 4, f"{key}: {template!r} starts with too little to recognise"
        return start

    def step(self, name: str, sent: list[dict[str, Any]], expect: str | None = None) -> list[dict[str, Any]]:
        assert sent, f"{name}: the bot sent nothing"
        if expect is not None:
            assert expect in self.chat.said(), f"{name}: expected {expect!r} in\n{self.chat.said()}"
        self.record.batches.append(Batch(f"{self.lang}: {name}", copy.deepcopy(sent)))
        return sent

    def text(self, name: str, body: str, expect: str | None = None) -> list[dict[str, Any]]:
        return self.step(name, self.chat.text(body), expect)

    def tap(
        self,
        name: str,
        label_key: str,
        messages: list[dict[str, Any]] | None = None,
        expect: str | None = None,
    ) -> list[dict[str, Any]]:
        label = self.say(label_key) if label_key.startswith("qr_") else label_key
        return self.step(name, self.chat.tap(label, messages), expect)


def converse(chat: Chat, services: Services, stub: LineStub, lang: str) -> Conversation:
    """A citizen's whole conversation: two filings, every edit, the picker and the odd inputs."""
    record = Conversation()
    d = Driver(chat, lang, record)
    lead = d.lead
    chat.send(ev.follow_event(chat.user))
    if lang != "th":
        with transaction(services.sessions) as session:
            session.execute(update(Citizen).where(Citizen.line_user_id == chat.user).values(language=lang))

    # ---- the first filing: a photo, a pinned place, then every part of the summary edited
    d.text("start", "แจ้งเรื่อง", lead("ask_description"))
    d.text("describe", "ไฟถนนดับ 3 ต้น หน้าซอย 5", lead("ask_photos"))
    d.step("photo", chat.photo(), say("photo_added", lang, count=1))
    d.tap("photos done", "qr_photos_done", expect=lead("ask_location"))
    d.step("location in Bangkok", chat.location(*JATUJAK, address="ถนนพหลโยธิน"), lead("ask_category"))
    lighting = (
        "แสงสว่าง" if lang == "th" else "Street lighting"
    )  # the category's button in the reader's language
    first_card = d.tap("category", lighting, expect=lead("summary_title"))
    assert "hero" in flex_cards(first_card)[0]["contents"], "the summary shows the photo"
    d.tap("edit", "qr_edit", expect=lead("ask_edit"))
    d.tap("edit the category", "qr_edit_category", expect=lead("ask_category"))
    d.text("category typed", "ไม่รู้ประเภท", say("category_unknown", lang, name="ไม่รู้ประเภท"))
    d.text("category typed by name", "แสงสว่าง", lead("summary_title"))
    d.tap("edit", "qr_edit", expect=lead("ask_edit"))
    d.tap("edit the photos", "qr_edit_photos", expect=lead("photos_cleared"))
    d.tap("no photos", "qr_no_photos", expect=lead("summary_title"))
    d.tap("edit", "qr_edit", expect=lead("ask_edit"))
    d.text("edit typed wrong", "อะไรนะ", lead("not_now"))
    d.tap("edit the description", "qr_edit_description", expect=lead("ask_description"))
    d.text("describe again", "ไฟถนนดับ 3 ต้น หน้าซอย 5 มืดมาก", lead("summary_title"))
    d.tap("edit", "qr_edit", expect=lead("ask_edit"))
    d.tap("edit the location", "qr_edit_location", expect=lead("ask_location"))
    d.step("location again", chat.location(*JATUJAK), lead("summary_title"))
    d.tap("edit", "qr_edit", expect=lead("ask_edit"))
    card = d.tap("back to the summary", "qr_back_to_summary", expect=lead("summary_title"))
    d.text("a detail after the summary", "เสาที่สองก็ดับ", lead("detail_added"))
    d.tap("confirm an outdated summary", "qr_confirm", card, lead("changed_since_card"))
    filed = d.tap("confirm", "qr_confirm", expect=lead("filed"))
    d.tap("confirm again", "qr_confirm", card, lead("already_filed"))
    with transaction(services.sessions) as session:
        code = session.scalars(select(Complaint.tracking_code).order_by(Complaint.id.desc())).first()
    assert code and code in texts(filed)

    # ---- status on demand
    d.text("track", "ติดตามเรื่อง", code)
    d.text("a tracking code", code, code)
    d.text("an unknown code", "69-ABCDEF", say("code_not_found", lang, code="69-ABCDEF"))

    # ---- the second filing: photo first, the same place (a possible duplicate), then the picker
    d.step("photo first", chat.photo(), lead("ask_description"))
    d.text("describe", "เสาไฟหน้าซอย 5 ไม่ติด", lead("ask_location"))
    d.step("the same place", chat.location(*JATUJAK), lead("ask_category"))
    d.tap("category", lighting, expect=lead("duplicates_found"))
    assert code in chat.said()  # the notice names the first complaint, a few metres away
    d.tap("edit", "qr_edit", expect=lead("ask_edit"))
    d.tap("edit the location", "qr_edit_location", expect=lead("ask_location"))
    d.step("location outside Bangkok", chat.location(*OUTSIDE_BANGKOK), lead("location_outside"))
    picker = d.tap("pick a district", "qr_pick_district", expect=lead("ask_district"))
    assert any(m["type"] == "flex" and m["contents"]["type"] == "carousel" for m in picker)
    d.text("an ambiguous district", "บาง", say("district_ambiguous", lang, name="บาง"))
    d.text("an unknown district", "ดาวอังคาร", say("district_unknown", lang, name="ดาวอังคาร"))
    bang_rak = "บางรัก" if lang == "th" else "Bang Rak"
    d.tap("a district from the picker", bang_rak, picker, lead("summary_title"))
    d.tap("confirm", "qr_confirm", expect=lead("filed"))

    # ---- a third draft: typed into being, the photo limit, the odd inputs, and cancelling
    d.text("a description from idle", "ถนนเป็นหลุมใหญ่ หน้าตลาด", lead("ask_photos"))
    for n in range(1, 4):
        d.step(f"photo {n}", chat.photo(), say("ask_more_photos", lang, left=4 - n))
    d.step("photo 4: the limit, so the next question", chat.photo(), lead("ask_location"))
    d.step("photo 5", chat.photo(), lead("photos_full"))
    d.tap("a button of an earlier draft", bang_rak, picker, lead("stale_button"))
    d.step("a forged button", chat.postback("p1:confirm:1:0::0123456789abcdef"), lead("refused_button"))
    d.text("start again", "แจ้งเรื่อง", lead("draft_in_progress"))
    d.step("a sticker", chat.send(_sticker(chat.user)), lead("sticker"))
    d.step("a video", chat.send(_video(chat.user)), lead("unsupported_message"))
    d.text("emoji only", "🙂🙂", lead("text_no_words"))
    d.text("too long", "ก" * 5001, lead("text_too_long"))
    d.step("null island", chat.location(0.0, 0.0), lead("location_invalid"))
    d.text("help", "วิธีใช้", lead("help"))
    d.text("thanks", "ขอบคุณ", lead("you_are_welcome"))
    d.text("cancel", "ยกเลิก", lead("cancelled"))
    d.text("cancel again", "ยกเลิก", lead("nothing_to_cancel"))
    d.text("help when idle", "สวัสดี", lead("help"))

    # ---- a draft left for half an hour: the sweep cancels it and pushes a notice
    d.text("start", "แจ้งเรื่อง", lead("ask_description"))
    with transaction(services.sessions) as session:
        pushes = expire_idle_drafts(session, chat.now() + timedelta(minutes=31))
    assert [user for user, _ in pushes] == [chat.user]
    record.batches.append(Batch(f"{lang}: draft expired (push)", copy.deepcopy(pushes[0][1]), push=True))

    record.reply_sizes = [len(c.body["messages"]) for c in stub.calls("/reply")]
    record.outbox_vs_wire = outbox_and_wire(services, stub, chat.user)
    return record


def outbox_and_wire(
    services: Services, stub: LineStub, user: str
) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    with transaction(services.sessions) as session:
        rows = session.scalars(
            select(OutboxMessage.messages).where(OutboxMessage.to == user).order_by(OutboxMessage.id)
        )
        outbox = [json.loads(row) for row in rows]
    wire = [
        c.body["messages"] for c in stub.calls("/v2/bot/message/") if c.path.endswith(("/reply", "/push"))
    ]
    assert len(outbox) == len(wire), "every outbox row was sent once"
    return list(zip(outbox, wire, strict=True))


def _sticker(user: str) -> dict[str, Any]:
    event = ev.base_event("message", user)
    event["message"] = {
        "type": "sticker",
        "id": ev.new_id(18),
        "quoteToken": ev.new_id(),
        "packageId": "446",
        "stickerId": "1988",
        "stickerResourceType": "STATIC",
    }
    return event


def _video(user: str) -> dict[str, Any]:
    event = ev.base_event("message", user)
    event["message"] = {
        "type": "video",
        "id": ev.new_id(18),
        "quoteToken": ev.new_id(),
        "duration": 3000,
        "contentProvider": {"type": "line"},
    }
    return event


def without_routing(client: Any, services: Services, lang: str) -> Conversation:
    """Routing by location off (no boundaries loaded): a location leads straight to the picker."""
    record = Conversation()
    stub = LineStub()
    try:
        chat = Chat(client, services, stub, locator=DistrictLocator([]))
        d = Driver(chat, lang, record)
        chat.send(ev.follow_event(chat.user))
        if lang != "th":
            with transaction(services.sessions) as session:
                session.execute(
                    update(Citizen).where(Citizen.line_user_id == chat.user).values(language=lang)
                )
        d.step("location, no routing", chat.location(*JATUJAK), say("location_no_routing", lang))
        record.reply_sizes = [len(c.body["messages"]) for c in stub.calls("/reply")]
        record.outbox_vs_wire = outbox_and_wire(services, stub, chat.user)
    finally:
        stub.stop()
    return record


# The conversation is the same for every test that reads it: each language on each database is
# held once per test process (it is a few seconds of chat), and every test gets its own copy.
_held: dict[tuple[str, str], Conversation] = {}


@pytest.fixture(params=["th", "en"])
def conversation(
    request: pytest.FixtureRequest, client: Any, services: Services, stub: LineStub
) -> Conversation:
    lang: str = request.param
    key = (lang, services.engine.dialect.name)
    if key not in _held:
        record = converse(Chat(client, services, stub), services, stub, lang)
        other = without_routing(client, services, lang)
        record.batches += other.batches
        record.reply_sizes += other.reply_sizes
        record.outbox_vs_wire += other.outbox_vs_wire
        _held[key] = record
    return copy.deepcopy(_held[key])


# --- LINE's limits, checked ourselves -----------------------------------------------------------


def chars(text: str) -> int:
    """Characters as LINE counts them: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def limit_problems(message: dict[str, Any]) -> list[str]:
    """Everything in one message that LINE's reply API would refuse (empty list: none)."""
    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    def check_action(action: dict[str, Any], where: str, max_label: int) -> None:
        kind = action.get("type")
        label = action.get("label")
        if kind in ("postback", "message", "location", "camera", "cameraRoll") or label is not None:
            check(
                isinstance(label, str) and 1 <= chars(label) <= max_label,
                f"{where}: label {label!r} is not 1..{max_label} characters",
            )
        if kind == "postback":
            data = action.get("data", "")
            check(
                1 <= chars(data) <= MAX_POSTBACK_DATA, f"{where}: postback data of {chars(data)} characters"
            )
            shown = action.get("displayText")
            if shown is not None:
                check(
                    1 <= chars(shown) <= MAX_DISPLAY_TEXT,
                    f"{where}: displayText of {chars(shown)} characters",
                )
                check(label == shown, f"{where}: label {label!r} cut short (displayText {shown!r})")
        elif kind == "message":
            text = action.get("text", "")
            check(
                1 <= chars(text) <= MAX_MESSAGE_ACTION_TEXT, f"{where}: message text of {chars(text)} chars"
            )
            check(label == text, f"{where}: label {label!r} cut short (sends {text!r})")
        elif kind == "uri":
            uri = action.get("uri", "")
            check(
                uri.startswith(("https://", "http://", "tel:", "line://")) and chars(uri) <= MAX_URI,
                f"{where}: uri {uri[:80]!r}",
            )
        else:
            check(kind in ("location", "camera", "cameraRoll"), f"{where}: unexpected action type {kind!r}")

    def walk_flex(node: Any, where: str) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "text":
                check(bool(node.get("text")) or bool(node.get("contents")), f"{where}: empty Flex text")
            if kind == "image":
                url = node.get("url", "")
                check(
                    url.startswith(("https://", "http://")) and chars(url) <= 2000,
                    f"{where}: image url {url!r}",
                )
            if isinstance(node.get("action"), dict):
                check_action(node["action"], f"{where}/{kind}", MAX_FLEX_BUTTON_LABEL)
            for key, value in node.items():
                if key != "action":
                    walk_flex(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk_flex(item, f"{where}[{i}]")

    kind = message.get("type")
    check(kind in ("text", "flex"), f"unexpected message type {kind!r}")
    if kind == "text":
        text = message.get("text", "")
        check(1 <= chars(text) <= MAX_TEXT, f"text of {chars(text)} characters")
    if kind == "flex":
        alt = message.get("altText", "")
        check(1 <= chars(alt) <= MAX_ALT_TEXT, f"altText of {chars(alt)} characters")
        container = message.get("contents", {})
        size = len(json.dumps(container, ensure_ascii=False, separators=(",", ":")).encode())
        if container.get("type") == "carousel":
            bubbles = container.get("contents", [])
            check(1 <= len(bubbles) <= MAX_CAROUSEL_BUBBLES, f"carousel of {len(bubbles)} bubbles")
            check(size <= MAX_CAROUSEL_JSON, f"carousel JSON of {size} bytes")
            check(all(b.get("type") == "bubble" for b in bubbles), "a carousel holds only bubbles")
            for b in bubbles:
                bsize = len(json.dumps(b, ensure_ascii=False, separators=(",", ":")).encode())
                check(bsize <= MAX_BUBBLE_JSON, f"bubble JSON of {bsize} bytes")
        else:
            check(container.get("type") == "bubble", f"Flex container {container.get('type')!r}")
            check(size <= MAX_BUBBLE_JSON, f"bubble JSON of {size} bytes")
        walk_flex(container, "flex")
    if "quickReply" in message:
        items = message["quickReply"].get("items", [])
        check(1 <= len(items) <= MAX_QUICK_REPLY_ITEMS, f"{len(items)} quick reply items")
        for i, item in enumerate(items):
            check(item.get("type") == "action", f"quick reply {i}: type {item.get('type')!r}")
            check_action(item.get("action", {}), f"quick reply {i}", MAX_QUICK_REPLY_LABEL)
    return problems


# --- the tests ---------------------------------------------------------------------------------


def test_every_reply_is_accepted_by_lines_reply_api(
    prism: PrismServer, gateway: LineGateway, conversation: Conversation
) -> None:
    for batch in conversation.batches:
        if batch.push:
            conforms(prism, batch.step, lambda b=batch: gateway.push(USER_ID, b.messages, str(uuid.uuid4())))
        else:
            conforms(prism, batch.step, lambda b=batch: gateway.reply(REPLY_TOKEN, b.messages))
    for n, (outbox, _) in enumerate(conversation.outbox_vs_wire):  # as the worker hands them over
        conforms(prism, f"outbox row {n}", lambda m=outbox: gateway.reply(REPLY_TOKEN, m))


def test_every_reply_keeps_within_lines_limits(conversation: Conversation) -> None:
    problems = [
        f"{batch.step}, message {n}: {problem}"
        for batch in conversation.batches
        for n, message in enumerate(batch.messages)
        for problem in limit_problems(message)
    ]
    problems += [
        f"{batch.step}: {len(batch.messages)} messages"
        for batch in conversation.batches
        if not 1 <= len(batch.messages) <= MAX_MESSAGES_PER_REPLY
    ]
    assert conversation.reply_sizes and max(conversation.reply_sizes) <= MAX_MESSAGES_PER_REPLY
    assert not problems, "\n".join(problems)


def test_the_sdk_sends_every_field_the_dialog_set(conversation: Conversation) -> None:
    """The gateway turns the dialog's dicts into the SDK's models; a field they do not know would be
    dropped without a word (a button without its action, a card without its photo)."""
    assert conversation.outbox_vs_wire
    for n, (outbox, wire) in enumerate(conversation.outbox_vs_wire):
        lost = missing(outbox, wire, f"call {n}")
        assert not lost, "the SDK did not send:\n" + "\n".join(lost)


def missing(ours: Any, sent: Any, path: str) -> list[str]:
    """Every field of `ours` that `sent` lacks or changed (fields `sent` adds, SDK defaults, are fine)."""
    if isinstance(ours, dict):
        if not isinstance(sent, dict):
            return [f"{path}: {sent!r} instead of an object"]
        return [
            lost
            for key, value in ours.items()
            for lost in ([f"{path}.{key}"] if key not in sent else missing(value, sent[key], f"{path}.{key}"))
        ]
    if isinstance(ours, list):
        if not isinstance(sent, list) or len(sent) != len(ours):
            return [f"{path}: {len(ours)} items became {sent!r:.80}"]
        return [
            lost
            for i, (a, b) in enumerate(zip(ours, sent, strict=True))
            for lost in missing(a, b, f"{path}[{i}]")
        ]
    return [] if ours == sent else [f"{path}: {ours!r} became {sent!r}"]


def test_the_conversation_covers_every_kind_of_message(conversation: Conversation) -> None:
    """The tests above are only as good as what the conversation reached."""
    messages = [m for batch in conversation.batches for m in batch.messages]
    assert {m["type"] for m in messages} == {"text", "flex"}
    assert {a["type"] for a in actions(messages)} == {
        "message",
        "postback",
        "location",
        "camera",
        "cameraRoll",
        "uri",
    }
    bubbles = [m["contents"] for m in messages if m["type"] == "flex" and m["contents"]["type"] == "bubble"]
    carousels = [
        m["contents"] for m in messages if m["type"] == "flex" and m["contents"]["type"] == "carousel"
    ]
    assert any("hero" in b for b in bubbles) and any("hero" not in b for b in bubbles)
    assert any("⚠" in texts([{"contents": b}]) for b in bubbles), "a summary with the duplicate note"
    assert max(len(c["contents"]) for c in carousels) == 5  # the picker: 50 districts, ten a card
    assert max(len(m.get("quickReply", {}).get("items", [])) for m in messages) == MAX_QUICK_REPLY_ITEMS
    assert max(len(b.messages) for b in conversation.batches) >= 3
    assert any(b.push for b in conversation.batches)


def test_the_limit_checks_catch_what_line_refuses() -> None:
    """The checker itself: each of these breaks one of LINE's limits."""
    long_label = {"type": "action", "action": {"type": "message", "label": "ก" * 21, "text": "ก" * 21}}
    emoji_label = {"type": "action", "action": {"type": "message", "label": "😀" * 11, "text": "😀" * 11}}
    cut = {"type": "action", "action": {"type": "postback", "label": "ab", "data": "x", "displayText": "abc"}}
    button = {
        "type": "button",
        "action": {"type": "postback", "label": "ก" * 41, "data": "d", "displayText": "ก" * 41},
    }
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [button]}}
    bad = {
        "14 quick replies": {"type": "text", "text": "x", "quickReply": {"items": [long_label] * 14}},
        "a 21-character label": {"type": "text", "text": "x", "quickReply": {"items": [long_label]}},
        "an 11-emoji label": {"type": "text", "text": "x", "quickReply": {"items": [emoji_label]}},
        "a label cut short": {"type": "text", "text": "x", "quickReply": {"items": [cut]}},
        "postback data of 301": {
            "type": "text",
            "text": "x",
            "quickReply": {
                "items": [{"type": "action", "action": {"type": "postback", "label": "a", "data": "d" * 301}}]
            },
        },
        "a 41-character button": {"type": "flex", "altText": "x", "contents": bubble},
        "altText of 401": {"type": "flex", "altText": "x" * 401, "contents": {"type": "bubble"}},
        "13 bubbles": {
            "type": "flex",
            "altText": "x",
            "contents": {"type": "carousel", "contents": [{"type": "bubble"}] * 13},
        },
        "text of 5001": {"type": "text", "text": "x" * 5001},
        "empty Flex text": {
            "type": "flex",
            "altText": "x",
            "contents": {
                "type": "bubble",
                "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": ""}]},
            },
        },
        "a javascript: link": {
            "type": "flex",
            "altText": "x",
            "contents": {
                "type": "bubble",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [],
                    "action": {"type": "uri", "label": "a", "uri": "javascript:alert(1)"},
                },
            },
        },
    }
    for name, message in bad.items():
        assert limit_problems(message), f"not caught: {name}"
    assert (
        limit_problems(
            {
                "type": "text",
                "text": "ก" * 5000,
                "quickReply": {
                    "items": [
                        {"type": "action", "action": {"type": "message", "label": "ก" * 20, "text": "ก" * 20}}
                    ]
                    * 13
                },
            }
        )
        == []
    )
