"""What the browser tests of the sandbox chat page share: fixtures, the page object, constants.

`tests/conftest.py` registers this module as a plugin (`pytest_plugins`), so its fixtures serve
every test: `browser` (headless Chromium), `boundaries`/`districts` (the district boundaries),
`worker` (the bot's worker against the live server) and `sandbox_chat` (the page, as a `Chat`).
The browser tests name it `chat` in their own module (conftest has a `chat` of its own, for the
webhook-level tests), adding there what their page needs first, such as `districts`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
import struct
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Locator, Page, Playwright, Request, expect, sync_playwright

from bot.line_gateway import LineGateway
from bot.services import Services
from bot.worker import Worker
from models.db import transaction
from models.districts import DistrictBoundary, import_boundaries, read_boundaries
from tests.conftest import SHARED_GEOJSON, LiveServer, require_or_skip

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

CITIZEN, OFFICER = "ประชาชน สมชาย", "เจ้าหน้าที่ สมหญิง"  # the sandbox's two first users
CODE = re.compile(r"\d{2}-[2-9A-HJ-NP-Z]{6}")  # a tracking code
JATUJAK = (13.8040, 100.5530)  # Chatuchak district (1030)


# --- fixtures ----------------------------------------------------------------------------------


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
        require_or_skip(f"district boundaries not found at {SHARED_GEOJSON}")
    return read_boundaries(SHARED_GEOJSON)


@pytest.fixture
def districts(services: Services, boundaries: list[DistrictBoundary]) -> None:
    """District boundaries in the database, as the release step loads them (routing by location)."""
    with transaction(services.sessions) as session:
        import_boundaries(session, boundaries)


@pytest.fixture
def worker(services: Services, live_server: LiveServer) -> Iterator[Worker]:
    """The bot's worker, sending through the live server's fake LINE API.

    Card and notice photos are linked under PUBLIC_BASE_URL; the live server's port is only known
    now, so the settings are made to point at it before the worker (which reads them) starts.
    """
    services.settings = dataclasses.replace(services.settings, public_base_url=live_server.url)
    stop = threading.Event()
    gateway = LineGateway(
        services.settings.line_channel_access_token, f"{live_server.url}/sandbox/line", check_messages=True
    )
    worker = Worker(services, gateway)
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        services.wake.set()
        thread.join(5)
        gateway.close()


# --- the page ----------------------------------------------------------------------------------


@dataclass
class Chat:
    """The sandbox page, with the locators a user's eyes would use."""

    page: Page
    url: str
    sent: list[str] = field(default_factory=list)  # the page's POSTs to the event builder and the webhook
    events: list[dict[str, Any]] = field(default_factory=list)  # what the page asked the event builder for
    delivered: list[dict[str, Any]] = field(default_factory=list)  # the webhook bodies it POSTed to /callback
    errors: list[str] = field(default_factory=list)  # uncaught script errors

    def record(self, request: Request) -> None:
        path = request.url.split("?", 1)[0]
        if request.method != "POST" or not path.endswith(("/callback", "/sandbox/api/events")):
            return
        self.sent.append(path)
        body = json.loads(request.post_data or "{}")
        (self.events if path.endswith("/sandbox/api/events") else self.delivered).append(body)

    @property
    def bubbles(self) -> Locator:
        return self.page.get_by_test_id("messages").locator(".bubble")

    def bot(self, text: str) -> Locator:
        return self.bubbles.and_(self.page.locator("[data-direction=bot]")).filter(has_text=text)

    def user(self, text: str) -> Locator:
        return self.bubbles.and_(self.page.locator("[data-direction=user]")).filter(has_text=text)

    def card(self, text: str) -> Locator:
        """A Flex message the bot sent, known by a text in it."""
        return self.bot(text).and_(self.page.locator("[data-type=flex]"))

    @property
    def images(self) -> Locator:
        """The photos the bot sent as image messages."""
        return self.bubbles.and_(self.page.locator("[data-direction=bot][data-type=image]")).locator("img")

    def chip(self, label: str) -> Locator:
        return self.page.get_by_test_id("quick-replies").get_by_role("button", name=label, exact=True)

    def open(self) -> str:
        """Open the page; the id of the LINE user it acts as."""
        self.page.goto(f"{self.url}/sandbox")
        select = self.page.get_by_test_id("user-select")
        expect(select).to_have_value(re.compile(r"^U[0-9a-f]{32}$"))
        return select.input_value()

    def select_user(self, name: str) -> None:
        self.page.get_by_test_id("user-select").select_option(label=name)

    def be(self, name: str) -> None:
        """Switch the page to another user, as with the picker at the top, and wait for the switch."""
        self.select_user(name)
        expect(self.page.get_by_test_id("user-select").locator("option:checked")).to_have_text(name)

    def follow(self) -> None:
        self.page.get_by_test_id("follow-button").click()
        expect(self.bot("ยินดีต้อนรับ")).to_be_visible()

    def send_text(self, text: str) -> None:
        box = self.page.get_by_test_id("text-input")
        box.fill(text)
        box.press("Enter")

    def send_photo(self, path: Path) -> None:
        self.page.get_by_test_id("photo-input").set_input_files(str(path))

    def send_location(self, latitude: float, longitude: float) -> None:
        """Through the location panel, opened by the bot's "ส่งตำแหน่ง" quick reply."""
        panel = self.page.get_by_test_id("location-panel")
        self.chip("ส่งตำแหน่ง").click()
        expect(panel).to_be_visible()
        self.page.get_by_test_id("latitude-input").fill(str(latitude))
        self.page.get_by_test_id("longitude-input").fill(str(longitude))
        self.page.get_by_test_id("send-location-button").click()
        expect(panel).to_be_hidden()

    def file_complaint(self, category: str) -> str:
        """Once the location is in: pick the category and confirm; the tracking code the bot answers with."""
        self.chip(category).click()
        self.chip("ยืนยันส่งเรื่อง").click()
        filed = self.bot("ส่งเรื่องเรียบร้อยแล้วค่ะ")
        expect(filed).to_contain_text(CODE)
        return str(CODE.search(filed.inner_text())[0])  # type: ignore[index]

    def send_sticker(self, face: str) -> None:
        """One of the sticker picker's stickers, known by the face the page shows for it."""
        self.page.get_by_test_id("sticker-button").click()
        panel = self.page.get_by_test_id("sticker-panel")
        panel.get_by_role("button", name=f"สติกเกอร์ {face}").click()
        expect(panel).to_be_hidden()

    def send_media(self, name: str, mime_type: str, data: bytes) -> None:
        """A video or a voice message (audio), through the composer's video/audio file input."""
        self.page.get_by_test_id("media-input").set_input_files(
            files=[{"name": name, "mimeType": mime_type, "buffer": data}]
        )

    def location_choices(self) -> list[dict[str, Any]]:
        """The location panel's named places, in the order offered: name, latitude, longitude, address."""
        return (
            self.page.get_by_test_id("landmark-select")
            .locator("option:not([value=''])")
            .evaluate_all(
                """options => options.map(o => ({name: o.textContent, latitude: Number(o.dataset.latitude),
                longitude: Number(o.dataset.longitude), address: o.dataset.address, selected: o.selected}))"""
            )
        )

    def screenshot(self, path: Path, height: int | None = None) -> None:
        """The chat as seen; a taller window first when the whole end of a conversation should show."""
        size = self.page.viewport_size
        if height and size:
            self.page.set_viewport_size({"width": size["width"], "height": height})
            self.page.get_by_test_id("messages").evaluate("m => { m.scrollTop = m.scrollHeight; }")
        try:
            for img in self.page.get_by_test_id("messages").locator("img").all():
                expect(img).to_have_js_property("complete", True)
            self.page.screenshot(path=str(path))
        finally:
            if height and size:
                self.page.set_viewport_size(size)


@pytest.fixture
def sandbox_chat(browser: Browser, live_server: LiveServer, worker: Worker) -> Iterator[Chat]:
    """The sandbox page in a phone-sized window; no script error may happen on it."""
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


# --- what the tests send -----------------------------------------------------------------------


def voice_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A WAV voice message of `seconds` of a quiet hum, which a browser can read the length of."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        frames = (int(800 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(int(seconds * rate)))
        wav.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return out.getvalue()


def street_photo(path: Path, width: int = 320, lamps_on: int = 1) -> Path:
    """A small PNG of a street at night with `lamps_on` of three lamps lit, made with Pillow."""
    image = Image.new("RGB", (width, width * 13 // 20), (24, 30, 54))
    draw = ImageDraw.Draw(image)
    road = image.height * 3 // 4
    draw.rectangle((0, road, width, image.height), fill=(70, 70, 78))
    for n, x in enumerate((width // 5, width // 2, width * 4 // 5)):
        draw.rectangle((x - 3, 40, x + 3, road), fill=(150, 150, 160))  # the pole
        draw.rectangle((x - 3, 40, x + 22, 46), fill=(150, 150, 160))  # its arm
        if n < lamps_on:
            draw.ellipse((x + 12, 44, x + 32, 60), fill=(255, 214, 90))
    image.save(path, format="PNG")
    return path
