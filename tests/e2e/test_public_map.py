"""The public map `/map` in real headless Chromium, offline (no tile server: the district boundaries on a
plain background; any request off the live server fails the test).

Complaints phoned in around Chatuchak, one of them with a script in its category and description:
the map loads with its boundaries and markers (grouped by Leaflet.markercluster when the whole city is
in view); zoomed in, a marker opens a popup with the category as plain text and a link to the
complaint's page, which opens; with the server's limit made small, the server's counts per cell are
drawn instead; a filter reloads the visible area. Screenshots at 360 px and 1366 px wide.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import update

import models.map_data
from bot.services import Services
from models import Complaint
from models.clock import clock
from models.db import transaction
from tests.citizen_chat import BANGKOK
from tests.conftest import LiveServer
from tests.public_common import phoned_in
from tests.sandbox_page import TIMEOUT_MS

pytestmark = pytest.mark.browser

TODAY = datetime(2026, 12, 7, 9, tzinfo=BANGKOK)
CHATUCHAK = (13.8040, 100.5530)
XSS = '<img src=x onerror="window.__xss=1">ไฟดับ'
XSS_WORDS = "<script>window.__xss=2</script> โทร 0812345678"


@pytest.fixture
def filed(services: Services) -> dict[str, str]:
    clock.freeze(TODAY)
    codes = {}
    for i, (name, category) in enumerate((("light", "แสงสว่าง"), ("road", "ถนน"), ("xss", XSS))):
        at = datetime(2026, 12, 1 + i, 9, tzinfo=BANGKOK)
        point = (CHATUCHAK[0] + i * 0.002, CHATUCHAK[1])  # about 220 m apart
        words = XSS_WORDS if name == "xss" else "ไฟดับหน้าบ้าน"
        codes[name] = phoned_in(services, at, category, words, latitude=point[0], longitude=point[1])
    with transaction(services.sessions) as session:
        session.execute(
            update(Complaint).where(Complaint.tracking_code == codes["road"]).values(status="resolved")
        )
    return codes


def reader(browser: Browser, live_server: LiveServer, width: int) -> Iterator[Page]:
    """A reader's page, `width` px wide, that may reach nothing but the live server."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="th-TH")
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def only_ours(route: Route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_ours)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
        assert not errors, f"script errors on the map page: {errors}"
        assert not outside, f"the map reached outside the app: {outside}"
    finally:
        context.close()


@pytest.fixture
def laptop(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    yield from reader(browser, live_server, 1366)


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    yield from reader(browser, live_server, 360)


def opened(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_test_id("map")).to_have_attribute("data-ready", "1")
    expect(page.locator(".leaflet-overlay-pane path").first).to_be_attached()  # the boundaries


def test_markers_popups_and_the_page_they_link_to(
    laptop: Page, live_server: LiveServer, filed: dict[str, str], tmp_path: Path
) -> None:
    page = laptop
    opened(page, f"{live_server.url}/map")
    expect(page.get_by_test_id("map-summary")).to_have_text("พบ 3 เรื่องในบริเวณที่เห็นค่ะ")
    expect(page.get_by_test_id("map")).to_have_attribute("data-kind", "points")
    # The whole city in view: the three, 220 m apart, are one marker cluster of 3.
    expect(page.locator(".marker-cluster")).to_have_text("3")
    page.screenshot(path=str(tmp_path / "map-1366.png"), full_page=True)

    page.evaluate(
        "([lat, lon]) => window.publicMap.setView([lat + 0.002, lon], 16, {animate: false})", CHATUCHAK
    )
    expect(page.locator(".leaflet-marker-icon.pin")).to_have_count(3)
    expect(page.locator(".leaflet-marker-icon.pin.resolved")).to_have_count(1)  # coloured by status
    page.locator('.leaflet-marker-icon.pin[title*="onerror"]').click()
    popup = page.locator(".leaflet-popup-content [data-testid=popup]")
    expect(popup).to_be_visible()
    expect(popup.locator("strong")).to_have_text(XSS)  # the script shown as text, not run
    expect(popup).to_contain_text("จตุจักร")
    expect(popup).to_contain_text("3 ธ.ค. 2569")
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    assert "0812345678" not in page.content() and "<script>window.__xss" not in page.content()
    link = popup.get_by_role("link")
    expect(link).to_have_attribute("href", f"/c/{filed['xss']}")
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in
    page.screenshot(path=str(tmp_path / "map-popup-1366.png"))
    link.click()
    expect(page).to_have_url(f"{live_server.url}/c/{filed['xss']}")
    expect(page.locator("h1, .code").first).to_be_visible()
    assert filed["xss"] in page.content()


def test_server_clusters_and_filters_and_a_phone_sized_screen(
    phone: Page,
    live_server: LiveServer,
    filed: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models.map_data, "MAX_POINTS", 2)  # the live server runs in this process
    page = phone
    opened(page, f"{live_server.url}/map")
    box = page.get_by_test_id("map")
    expect(box).to_have_attribute("data-kind", "clusters")
    cells = page.locator(".cell-count")
    expect(cells.first).to_be_visible()
    total = sum(int(text) for text in cells.all_inner_texts())
    assert total == 3
    expect(page.get_by_test_id("map-summary")).to_contain_text("ซูมเข้า")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px screen"
    page.screenshot(path=str(tmp_path / "map-360.png"), full_page=True)

    # A filter: only the resolved one, few enough to be a point again; the address keeps the filter.
    page.locator("select[name=status]").select_option("resolved")
    page.get_by_role("button", name="แสดงบนแผนที่").click()
    expect(box).to_have_attribute("data-kind", "points")
    expect(page.get_by_test_id("map-summary")).to_have_text("พบ 1 เรื่องในบริเวณที่เห็นค่ะ")
    assert "status=resolved" in page.url
    page.screenshot(path=str(tmp_path / "map-360-filtered.png"), full_page=True)
    assert all(p.stat().st_size > 0 for p in tmp_path.glob("map-360*.png"))
