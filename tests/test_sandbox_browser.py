"""The sandbox chat page in real headless Chromium, against a live server and a running worker.

Every action on the page goes through the signed webhook (`/callback`), the inbox, the worker
and the fake LINE API, so these tests check what a user of the sandbox would see end to end.
"""

from __future__ import annotations

import json
import re
import struct
import threading
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, Request, expect, sync_playwright

from bot.line_gateway import LineGateway
from bot.services import Services
from bot.worker import Worker
from models import SandboxContent
from models.db import transaction
from models.districts import DistrictBoundary, import_boundaries, read_boundaries
from tests.conftest import SHARED_GEOJSON, LiveServer, require_or_skip

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 10_000
CITIZEN, OFFICER = "ประชาชน สมชาย", "เจ้าหน้าที่ สมหญิง"


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A valid PNG (solid orange), made with zlib alone."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x80\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        require_or_skip(f"Chromium not found at {CHROMIUM}")
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def boundaries() -> list[DistrictBoundary]:
    if not SHARED_GEOJSON.is_file():
        pytest.skip(f"district boundaries not found at {SHARED_GEOJSON}")
    return read_boundaries(SHARED_GEOJSON)


@pytest.fixture
def districts(services: Services, boundaries: list[DistrictBoundary]) -> None:
    """District boundaries in the database, as the release step loads them (routing by location)."""
    with transaction(services.sessions) as session:
        import_boundaries(session, boundaries)


@pytest.fixture
def worker(services: Services, live_server: LiveServer) -> Iterator[Worker]:
    """The bot's worker, sending through the live server's fake LINE API."""
    stop = threading.Event()
    gateway = LineGateway(services.settings.line_channel_access_token, f"{live_server.url}/sandbox/line")
    worker = Worker(services, gateway)
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        services.wake.set()
        thread.join(5)


@dataclass
class Chat:
    """The sandbox page, with the locators a user's eyes would use."""

    page: Page
    url: str
    sent: list[str] = field(default_factory=list)  # the page's POSTs to the event builder and the webhook
    events: list[dict[str, Any]] = field(default_factory=list)  # what the page asked the event builder for
    errors: list[str] = field(default_factory=list)  # uncaught script errors

    def record(self, request: Request) -> None:
        path = request.url.split("?", 1)[0]
        if request.method != "POST" or not path.endswith(("/callback", "/sandbox/api/events")):
            return
        self.sent.append(path)
        if path.endswith("/sandbox/api/events"):
            self.events.append(json.loads(request.post_data or "{}"))

    @property
    def bubbles(self) -> Locator:
        return self.page.get_by_test_id("messages").locator(".bubble")

    def bot(self, text: str) -> Locator:
        return self.bubbles.and_(self.page.locator("[data-direction=bot]")).filter(has_text=text)

    def user(self, text: str) -> Locator:
        return self.bubbles.and_(self.page.locator("[data-direction=user]")).filter(has_text=text)

    def chip(self, label: str) -> Locator:
        return self.page.get_by_test_id("quick-replies").get_by_role("button", name=label)

    def open(self) -> str:
        """Open the page; the id of the LINE user it acts as."""
        self.page.goto(f"{self.url}/sandbox")
        select = self.page.get_by_test_id("user-select")
        expect(select).to_have_value(re.compile(r"^U[0-9a-f]{32}$"))
        return select.input_value()

    def select_user(self, name: str) -> None:
        self.page.get_by_test_id("user-select").select_option(label=name)

    def send_text(self, text: str) -> None:
        box = self.page.get_by_test_id("text-input")
        box.fill(text)
        box.press("Enter")

    def follow(self) -> None:
        self.page.get_by_test_id("follow-button").click()
        expect(self.bot("ยินดีต้อนรับ")).to_be_visible()


@pytest.fixture
def chat(browser: Browser, live_server: LiveServer, worker: Worker) -> Iterator[Chat]:
    context = browser.new_context(viewport={"width": 390, "height": 780}, locale="th-TH")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    chat = Chat(page, live_server.url)
    page.on("request", chat.record)
    page.on("pageerror", lambda exc: chat.errors.append(str(exc)))
    try:
        yield chat
        assert not chat.errors, f"script errors on the page: {chat.errors}"
    finally:
        context.close()


def test_follow_shows_the_welcome_with_quick_replies(chat: Chat, tmp_path: Path) -> None:
    chat.open()
    expect(chat.page.get_by_test_id("user-select").locator("option:checked")).to_have_text(CITIZEN)
    chat.page.get_by_test_id("follow-button").click()

    expect(chat.user("คุณเพิ่มเพื่อนแล้ว")).to_be_visible()
    welcome = chat.bot("ยินดีต้อนรับ")
    expect(welcome).to_be_visible()
    expect(welcome).to_contain_text("สมชาย")  # the name from the (fake) LINE profile
    for label in ("ถ่ายรูป", "เลือกรูป", "ส่งตำแหน่ง"):
        expect(chat.chip(label)).to_be_visible()
    # Through the real path: one signed event, one delivery to /callback.
    assert [u.rsplit("/", 1)[-1] for u in chat.sent] == ["events", "callback"]
    chat.page.screenshot(path=str(tmp_path / "sandbox-follow.png"), full_page=True)

    chat.page.get_by_test_id("unfollow-button").click()
    expect(chat.user("คุณบล็อกบัญชีนี้แล้ว")).to_be_visible()
    expect(chat.page.get_by_test_id("quick-replies").get_by_role("button")).to_have_count(0)


def test_text_is_shown_and_answered(chat: Chat) -> None:
    chat.open()
    chat.send_text("ไฟถนนดับหน้าซอย 5")

    expect(chat.user("ไฟถนนดับหน้าซอย 5")).to_be_visible()
    answer = chat.bot("ได้รับข้อความแล้ว")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("ไฟถนนดับหน้าซอย 5")
    expect(chat.page.get_by_test_id("text-input")).to_have_value("")
    # The answer's quick replies, and a newline in the text kept as a line break.
    expect(chat.chip("ส่งตำแหน่ง")).to_be_visible()
    assert "\n" in answer.inner_text()


def test_location_from_a_landmark_via_the_quick_reply(districts: None, chat: Chat) -> None:
    chat.open()
    chat.follow()
    panel = chat.page.get_by_test_id("location-panel")
    expect(panel).to_be_hidden()
    chat.chip("ส่งตำแหน่ง").click()  # a LINE "location" action opens the location panel
    expect(panel).to_be_visible()

    chat.page.get_by_test_id("landmark-select").select_option(label="สวนจตุจักร")
    expect(chat.page.get_by_test_id("latitude-input")).to_have_value("13.804")
    expect(chat.page.get_by_test_id("longitude-input")).to_have_value("100.553")
    chat.page.get_by_test_id("send-location-button").click()

    expect(chat.user("📍 สวนจตุจักร")).to_be_visible()
    expect(chat.bot("จตุจักร")).to_be_visible()
    expect(panel).to_be_hidden()


def test_location_from_typed_coordinates(districts: None, chat: Chat) -> None:
    chat.open()
    chat.page.get_by_test_id("location-button").click()
    chat.page.get_by_test_id("latitude-input").fill("95")
    chat.page.get_by_test_id("longitude-input").fill("100.5")
    chat.page.get_by_test_id("send-location-button").click()
    expect(chat.page.get_by_test_id("notice")).to_contain_text("ละติจูด")
    assert chat.sent == []

    chat.page.get_by_test_id("latitude-input").fill("13.7563")
    chat.page.get_by_test_id("longitude-input").fill("100.5018")
    chat.page.get_by_test_id("send-location-button").click()
    expect(chat.user("📍")).to_be_visible()
    expect(chat.bot("สำนักงานเขต")).to_be_visible()


def test_photo_is_uploaded_shown_and_stored(chat: Chat, services: Services) -> None:
    chat.open()
    chat.page.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "pothole.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )

    expect(chat.bot("ได้รับรูปภาพแล้ว")).to_be_visible()
    mine = chat.bubbles.and_(chat.page.locator("[data-direction=user]")).locator("img")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("src", re.compile(r"^/sandbox/content/\w+$"))
    assert mine.evaluate("img => img.complete && img.naturalWidth") == 8  # the photo itself, served back
    stored = [p for p in Path(services.settings.photo_dir).rglob("*.png") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].read_bytes() == tiny_png()


def test_a_file_that_is_not_a_photo_is_refused(chat: Chat) -> None:
    chat.open()
    chat.page.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    expect(chat.page.get_by_test_id("notice")).to_contain_text("รูปภาพ")
    assert chat.sent == []
    expect(chat.bubbles).to_have_count(0)


def test_templates_flex_and_their_actions(chat: Chat, services: Services, live_server: LiveServer,
                                          tmp_path: Path) -> None:
    """What the bot may send besides text, and what tapping each kind of action does."""
    user_id = chat.open()
    with transaction(services.sessions) as session:
        session.add(SandboxContent(message_id="PIC1", content_type="image/png", data=tiny_png(48, 32),
                                   created_at=datetime.now(UTC)))
    picture = f"{live_server.url}/sandbox/content/PIC1"
    gateway = LineGateway(services.settings.line_channel_access_token, f"{live_server.url}/sandbox/line")
    gateway.push(user_id, [
        {"type": "location", "title": "สำนักงานเขตจตุจักร", "address": "ถนนพหลโยธิน",
         "latitude": 13.8283, "longitude": 100.5601},
        {"type": "template", "altText": "เรื่องของคุณ", "template": {"type": "carousel", "columns": [
            {"title": f"เรื่อง #{n}", "text": "รอดำเนินการ", "thumbnailImageUrl": picture,
             "actions": [{"type": "postback", "label": "ดูเรื่อง", "data": f"view={n}"}]} for n in (1, 2)]}},
    ], str(uuid.uuid4()))
    gateway.push(user_id, [
        {"type": "template", "altText": "เรื่องร้องเรียน", "template": {
            "type": "buttons", "title": "เรื่องร้องเรียน #12", "text": "ไฟถนนดับ\nซอย 5",
            "thumbnailImageUrl": picture, "actions": [
                {"type": "postback", "label": "ยืนยันเรื่อง", "data": "confirm=12", "displayText": "ยืนยันค่ะ"},
                {"type": "uri", "label": "เปิดลิงก์", "uri": f"{live_server.url}/healthz"},
            ]}},
        {"type": "template", "altText": "ปิดเรื่อง", "template": {
            "type": "confirm", "text": "ปิดเรื่องนี้ไหมคะ", "actions": [
                {"type": "postback", "label": "ปิดเลย", "data": "close=12"},
                {"type": "message", "label": "ยังก่อน", "text": "ยังไม่ปิดค่ะ"},
            ]}},
        {"type": "flex", "altText": "สถานะ", "contents": {
            "type": "bubble",
            "hero": {"type": "image", "url": picture, "size": "full"},
            "body": {"type": "box", "layout": "vertical", "contents": [
                {"type": "text", "text": "สถานะเรื่อง", "weight": "bold"},
                {"type": "box", "layout": "horizontal", "contents": [
                    {"type": "text", "text": "เขต"}, {"type": "text", "text": "จตุจักร"}]},
            ]},
            "footer": {"type": "box", "layout": "vertical", "contents": [
                {"type": "button", "style": "primary",
                 "action": {"type": "message", "label": "ติดตามเรื่อง", "text": "ติดตามเรื่อง 12"}},
                {"type": "button", "action": {"type": "clipboard", "label": "คัดลอกเลขเรื่อง",
                                              "clipboardText": "12"}},
            ]},
        }},
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        {"type": "text", "text": "เลือกได้เลยค่ะ", "quickReply": {"items": [
            {"type": "action", "action": {"type": "camera", "label": "ถ่ายรูป"}},
            {"type": "action", "action": {"type": "datetimepicker", "label": "เลือกวันที่", "data": "day",
                                          "mode": "date"}},
        ]}},
    ], str(uuid.uuid4()))
    gateway.close()

    bot = chat.bubbles.and_(chat.page.locator("[data-direction=bot]"))
    expect(bot).to_have_count(7)
    expect(chat.bot("สำนักงานเขตจตุจักร")).to_contain_text("ถนนพหลโยธิน")
    expect(chat.bot("เรื่อง #2").get_by_role("button", name="ดูเรื่อง")).to_have_count(2)  # one per column
    expect(chat.bot("[สติกเกอร์]")).to_be_visible()
    expect(chat.bot("สถานะเรื่อง").locator("img")).to_have_count(1)
    expect(chat.bot("เรื่องร้องเรียน #12")).to_contain_text("ไฟถนนดับ\nซอย 5")
    expect(chat.bot("เรื่องร้องเรียน #12").locator("img")).to_have_js_property("naturalWidth", 48)
    chat.page.screenshot(path=str(tmp_path / "sandbox-templates.png"), full_page=True)

    with chat.page.expect_file_chooser():  # camera / cameraRoll open the photo picker
        chat.chip("ถ่ายรูป").click()
    chat.page.once("dialog", lambda dialog: dialog.accept("2026-01-15"))
    chat.chip("เลือกวันที่").click()
    expect(chat.user("2026-01-15")).to_be_visible()
    expect(chat.page.get_by_test_id("quick-replies").get_by_role("button")).to_have_count(0)

    chat.bot("เรื่องร้องเรียน #12").get_by_role("button", name="ยืนยันเรื่อง").click()
    expect(chat.user("ยืนยันค่ะ")).to_be_visible()
    chat.bot("ปิดเรื่องนี้ไหมคะ").get_by_role("button", name="ปิดเลย").click()  # no displayText: the label
    expect(chat.user("ปิดเลย")).to_be_visible()
    chat.bot("สถานะเรื่อง").get_by_role("button", name="ติดตามเรื่อง").click()
    expect(chat.user("ติดตามเรื่อง 12")).to_be_visible()
    expect(chat.bot("ได้รับข้อความแล้ว")).to_contain_text("ติดตามเรื่อง 12")
    chat.bot("สถานะเรื่อง").get_by_role("button", name="คัดลอกเลขเรื่อง").click()
    expect(chat.page.get_by_test_id("notice")).to_contain_text("ยังไม่รองรับ")
    with chat.page.context.expect_page() as opened:
        chat.bot("เรื่องร้องเรียน #12").get_by_role("button", name="เปิดลิงก์").click()
    assert opened.value.url.endswith("/healthz")

    expect(chat.bot("ปุ่มนี้ใช้งานไม่ได้แล้ว")).to_have_count(3)  # the bot's answer to each postback
    assert [e for e in chat.events if e["type"] != "text"] == [
        {"user_id": user_id, "type": "postback", "data": "day", "display_text": "2026-01-15"},
        {"user_id": user_id, "type": "postback", "data": "confirm=12", "display_text": "ยืนยันค่ะ"},
        {"user_id": user_id, "type": "postback", "data": "close=12", "display_text": "ปิดเลย"},
    ]


def test_each_user_sees_only_their_own_conversation(chat: Chat) -> None:
    chat.open()
    chat.send_text("ข้อความจากประชาชน")
    expect(chat.bot("ข้อความจากประชาชน")).to_be_visible()

    chat.select_user(OFFICER)
    expect(chat.bubbles).to_have_count(0)
    chat.send_text("ข้อความจากเจ้าหน้าที่")
    expect(chat.bot("ข้อความจากเจ้าหน้าที่")).to_be_visible()
    expect(chat.page.get_by_test_id("messages")).not_to_contain_text("ประชาชน")

    chat.page.reload()  # the chosen user is remembered
    expect(chat.page.get_by_test_id("user-select").locator("option:checked")).to_have_text(OFFICER)
    expect(chat.user("ข้อความจากเจ้าหน้าที่")).to_be_visible()

    chat.select_user(CITIZEN)
    expect(chat.user("ข้อความจากประชาชน")).to_be_visible()
    expect(chat.bot("ข้อความจากประชาชน")).to_be_visible()
    expect(chat.page.get_by_test_id("messages")).not_to_contain_text("เจ้าหน้าที่")
    expect(chat.bubbles).to_have_count(2)


def test_a_new_user_starts_with_an_empty_chat(chat: Chat) -> None:
    chat.open()
    chat.send_text("สวัสดีค่ะ")
    expect(chat.bot("สวัสดีค่ะ")).to_be_visible()

    chat.page.get_by_test_id("new-user-input").fill("ผู้ทดสอบ ใหม่")
    chat.page.get_by_test_id("add-user-button").click()
    expect(chat.page.get_by_test_id("user-select").locator("option:checked")).to_have_text("ผู้ทดสอบ ใหม่")
    expect(chat.bubbles).to_have_count(0)
    chat.follow()
    expect(chat.bot("ยินดีต้อนรับ")).to_contain_text("ผู้ทดสอบ ใหม่")


def test_empty_text_is_refused_without_a_request(chat: Chat) -> None:
    chat.open()
    chat.page.get_by_test_id("send-button").click()
    notice = chat.page.get_by_test_id("notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("กรุณาพิมพ์ข้อความ")

    chat.send_text("   ")  # spaces only: refused the same way, and left in the box
    expect(notice).to_contain_text("กรุณาพิมพ์ข้อความ")
    expect(chat.page.get_by_test_id("text-input")).to_have_value("   ")
    chat.page.wait_for_timeout(800)  # more than one poll: nothing arrives
    expect(chat.bubbles).to_have_count(0)
    assert chat.sent == []


def test_a_refused_delivery_is_reported_and_the_text_kept(chat: Chat) -> None:
    chat.open()
    chat.page.route("**/callback", lambda route: route.fulfill(status=503, body="database unavailable"))
    chat.send_text("ถนนเป็นหลุม")
    notice = chat.page.get_by_test_id("notice")
    expect(notice).to_contain_text("503")
    expect(chat.page.get_by_test_id("text-input")).to_have_value("ถนนเป็นหลุม")

    chat.page.unroute("**/callback")
    chat.page.get_by_test_id("send-button").click()  # sending again works, and clears the box
    expect(chat.bot("ถนนเป็นหลุม")).to_be_visible()
    expect(chat.page.get_by_test_id("text-input")).to_have_value("")


def test_the_page_escapes_what_it_shows(chat: Chat) -> None:
    chat.open()
    chat.send_text('<img src=x onerror="window.pwned=1"><b>หนา</b>')
    expect(chat.bot("<b>หนา</b>")).to_be_visible()
    expect(chat.page.get_by_test_id("messages").locator("b, img")).to_have_count(0)
    assert chat.page.evaluate("window.pwned") is None

