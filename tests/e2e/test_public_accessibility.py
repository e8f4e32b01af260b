"""Issue 16's accessibility bar, in real headless Chromium: every public page, Thai and English, on a phone
(360 px) and a laptop (1366 px).

On each: axe-core (axe-playwright-python) finds no serious or critical violation, `<html lang>` is set,
every `<img>` has alt text, the page does not scroll sideways on the phone, and a full-page screenshot is
kept under the test's tmp_path. Offline: no tile server is set, and a request off the live server fails
the test. The pages have content: complaints phoned in around Chatuchak, one acknowledged, with progress
and photos, resolved and rated.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select

from bot.services import Services
from bot.settings import Settings
from models import Complaint
from models.clock import clock
from models.db import transaction
from models.photos import save_photo
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import ADMIN, act
from tests.conftest import LiveServer, make_settings
from tests.line_stub import tiny_png
from tests.public_common import phoned_in
from tests.sandbox_page import TIMEOUT_MS

pytestmark = pytest.mark.browser

TODAY = datetime(2026, 12, 9, 15, tzinfo=BANGKOK)
CHATUCHAK = (13.8040, 100.5530)
WIDTHS = (360, 1366)
LANGUAGES = ("th", "en")
BLOCKING = ("serious", "critical")  # the bar; minor and moderate findings are printed, not failed
AXE = Axe()
FRIEND_URL = "https://line.me/R/ti/p/@rongtook"  # only shown (a link and a QR code), never fetched
ZOOM_IN = "([lat, lon]) => window.publicMap.setView([lat, lon], 16, {animate: false})"

# Each public page by name; `{code}` is the complaint with progress and photos.
PAGES = {
    "home": "/",
    "status": "/c/{code}",
    "status-404": "/c/69-ZZZZZZ",
    "map": "/map",
    "districts": "/districts",
    "district": "/districts/1030",
    "open-data": "/open-data",
}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """With the LINE account's add-friend link, so that the home page shows its QR code too."""
    return make_settings(db_url, tmp_path, LINE_ADD_FRIEND_URL=FRIEND_URL)


@pytest.fixture
def code(services: Services) -> str:
    """A few complaints so that every page has figures, rows and markers; the tracking code of the one
    that went all the way: acknowledged, a progress report, resolved with an "after" photo, rated."""
    clock.freeze(TODAY)
    for i, category in enumerate(("ถนน", "ความสะอาด", "น้ำท่วม")):
        point = (CHATUCHAK[0] + (i + 1) * 0.003, CHATUCHAK[1] - i * 0.002)
        phoned_in(services, datetime(2026, 12, 1 + i, 9, tzinfo=BANGKOK), category, "ทางเท้าชำรุด", *point)
    code = phoned_in(services, datetime(2026, 12, 4, 10, tzinfo=BANGKOK))
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        photo_dir = services.settings.photo_dir

        def photo(at: datetime) -> Any:
            return save_photo(session, photo_dir, tiny_png(), "image/png", at)

        act(session, "acknowledge", complaint, at=datetime(2026, 12, 7, 9, tzinfo=BANGKOK))
        act(session, "progress", complaint, at=datetime(2026, 12, 7, 14, tzinfo=BANGKOK), text="ส่งช่างแล้ว")
        at = datetime(2026, 12, 8, 16, tzinfo=BANGKOK)
        act(session, "resolve", complaint, at=at, text="เปลี่ยนหลอดไฟแล้ว", photos=[photo(at)])
        act(session, "rate", complaint, at=at + timedelta(hours=1), by=ADMIN, stars=4)  # rated by phone
    return code


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer) -> Iterator[dict[int, Page]]:
    """A reader's page at each width, in a context that may reach nothing but the live server."""
    contexts, opened, outside, errors = [], {}, [], []

    def only_ours(route: Route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        for width in WIDTHS:
            # A Thai reader's browser: the Thai pages are the bare addresses, the English ones ?lang=en.
            context = browser.new_context(viewport={"width": width, "height": 800}, locale="th-TH")
            context.set_default_timeout(TIMEOUT_MS)
            context.route("**/*", only_ours)
            contexts.append(context)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            opened[width] = page
        yield opened
        assert not errors, f"script errors: {errors}"
        assert not outside, f"a public page reached outside the app: {outside}"
    finally:
        for context in contexts:
            context.close()


# The outermost elements whose right edge passes the screen's, leaving out those inside a box that clips or
# scrolls (the map's panes): what to fix when the page scrolls sideways.
OUTERMOST_OVERFLOW = """(width) => {
  const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
    if (getComputedStyle(a).overflowX !== "visible") return true; return false; };
  const out = [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !clipped(e));
  return out.filter(e => !out.includes(e.parentElement)).slice(0, 5)
    .map(e => `${e.tagName.toLowerCase()}.${e.getAttribute("class") || ""}`
      + ` (${Math.round(e.getBoundingClientRect().right)} px)`);
}"""


def described(violation: dict[str, Any]) -> str:
    """One of axe's violations on one line, with (some of) the elements it was found on."""
    where = "; ".join(" ".join(map(str, n["target"])) for n in violation["nodes"][:5])
    return f"{violation['id']} ({violation['impact']}): {violation['help']} — {where}"


def problems_of(page: Page, width: int) -> list[str]:
    """What the issue's bar finds wrong with the page as shown now (empty: it passes)."""
    violations = AXE.run(page).response["violations"]
    found = [described(v) for v in violations if v["impact"] in BLOCKING]
    for v in violations:
        if v["impact"] not in BLOCKING:
            print(f"{page.url} at {width} px, below the bar: {described(v)}")
    if not page.evaluate("() => document.documentElement.lang"):
        found.append("<html> has no lang")
    without_alt = page.evaluate(
        "() => [...document.images].filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src)"
    )
    if without_alt:
        found.append(f"images without alt text: {without_alt}")
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if width == 360 and wide > 360 + 1:
        sticking_out = page.evaluate(OUTERMOST_OVERFLOW, 360)
        found.append(f"the page is {wide} px wide on a 360 px screen; sticking out: {sticking_out}")
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_public_page_meets_the_accessibility_bar(
    pages: dict[int, Page], live_server: LiveServer, code: str, name: str, lang: str, tmp_path: Path
) -> None:
    url = f"{live_server.url}{PAGES[name].format(code=code)}" + ("?lang=en" if lang == "en" else "")
    problems: dict[int, list[str]] = {}
    for width, page in pages.items():
        response = page.goto(url)
        assert response is not None
        assert response.status == (404 if name == "status-404" else 200), (url, response.status)
        expect(page.locator("h1")).to_be_visible()
        if name == "map":  # the boundaries and the markers drawn before axe looks
            expect(page.get_by_test_id("map")).to_have_attribute("data-ready", "1")
            expect(page.locator(".leaflet-overlay-pane path").first).to_be_attached()
        if name == "status":  # the place drawn on its small map, and the "after" photo shown
            expect(page.locator("#place-map .leaflet-overlay-pane path").first).to_be_attached()
            expect(page.get_by_test_id("photos-after").locator("img")).to_have_count(1)
        assert page.evaluate("() => document.documentElement.lang") == lang
        page.screenshot(path=str(tmp_path / f"{name}-{lang}-{width}.png"), full_page=True)
        problems[width] = problems_of(page, width)
        if name == "map":  # and with a marker's popup open, zoomed in on the complaints
            page.evaluate(ZOOM_IN, CHATUCHAK)
            page.locator(".leaflet-marker-icon.pin").first.click()
            expect(page.locator(".leaflet-popup-content [data-testid=popup]")).to_be_visible()
            expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in: true colours
            page.screenshot(path=str(tmp_path / f"{name}-popup-{lang}-{width}.png"), full_page=True)
            problems[width] += [f"with a popup open: {p}" for p in problems_of(page, width)]
    assert all(not found for found in problems.values()), f"{url}: {problems}"
    assert all((tmp_path / f"{name}-{lang}-{w}.png").stat().st_size > 0 for w in WIDTHS)
