"""A call-taker files complaints on the staff intake page in real headless Chromium (issue 15, point 2).

The live server, the worker and the sandbox chat page are the real ones (tests/sandbox_page.py). The
officer "เจ้าหน้าที่ สมหญิง" of Chatuchak links her LINE account in the sandbox; a call-taker (the
`intake` role) signs in to the staff web, files one complaint by clicking on Chatuchak on the Leaflet
map and one by choosing the district by name (after the live hint named the first as a neighbour of
the pin she placed first), reads each tracking code off the page, large; and the officer has the
new-complaint card of each in her LINE chat.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.services import Services
from models import Complaint
from models.clock import clock
from models.db import transaction
from models.staff import add_user
from tests.admin_web import PASSWORD
from tests.conftest import LiveServer
from tests.e2e.test_officer_browser import register_officer
from tests.sandbox_page import CODE, JATUJAK, OFFICER, TIMEOUT_MS, Chat, street_photo

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"  # git-ignored: screenshots to look at
FIRST = "ไฟถนนดับ 3 ต้น หน้าซอยพหลโยธิน 7 ผู้ร้องโทรแจ้ง 1555"
SECOND = "หนังสือร้องเรียน: ไฟส่องสว่างในสวนสาธารณะดับ"
NEAR_JATUJAK = (13.80415, 100.55315)  # about 23 m from JATUJAK


@pytest.fixture
def chat(districts: None, sandbox_chat: Chat) -> Chat:
    """The sandbox page, with the district boundaries loaded (routing by location)."""
    return sandbox_chat


@pytest.fixture
def desk(browser: Browser, live_server: LiveServer, services: Services) -> Iterator[Page]:
    """The staff web signed in as a call-taker (the `intake` role), in a laptop-sized window."""
    with transaction(services.sessions) as session:
        add_user(session, "calltaker", PASSWORD, "intake", None, clock.now())
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/admin/login")
    page.get_by_label("ชื่อผู้ใช้").fill("calltaker")
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page).to_have_url(f"{live_server.url}/admin/intake")  # a call-taker starts on the form
    try:
        yield page
        assert not errors, f"script errors on the intake page: {errors}"
    finally:
        context.close()


def click_on_map(page: Page, latitude: float, longitude: float, zoom: int = 16) -> None:
    """A real mouse click on the map where the point is, zoomed in on it first as a call-taker would (the
    whole city fits the map at about 150 m a pixel)."""
    map_box = page.get_by_test_id("map")
    expect(map_box).to_have_attribute("data-ready", "1")
    map_box.scroll_into_view_if_needed()  # the mouse clicks within the window only
    x, y = page.evaluate(
        """([lat, lon, zoom]) => {
            window.intakeMap.setView([lat, lon], zoom, {animate: false});
            const p = window.intakeMap.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y];
        }""",
        [latitude, longitude, zoom],
    )
    box = map_box.bounding_box()
    assert box is not None and 0 < x < box["width"] and 0 < y < box["height"]
    page.mouse.click(box["x"] + x, box["y"] + y)


def read_code(page: Page, live_server: LiveServer) -> str:
    """The tracking code on the page after saving: shown large, to read out over the phone."""
    expect(page).to_have_url(re.compile(rf"{re.escape(live_server.url)}/admin/intake/filed/"))
    shown = page.get_by_test_id("tracking-code")
    expect(shown).to_have_text(CODE)
    size = float(shown.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size >= 40, f"the code is {size}px high: not large"
    return shown.inner_text().strip()


def test_a_call_taker_files_by_map_pin_and_by_district_name_and_the_officer_gets_the_cards(
    chat: Chat, desk: Page, live_server: LiveServer, services: Services, tmp_path: Path
) -> None:
    chat.open()
    chat.be(OFFICER)
    chat.send_text(register_officer(services))  # of Chatuchak (1030)
    expect(chat.bot("เชื่อมบัญชี LINE")).to_contain_text("สำนักงานเขตจตุจักร")

    # By phone, with a pin: a click on Chatuchak on the map.
    page = desk
    page.locator("select[name=channel]").select_option(label="โทรศัพท์ (1555)")
    page.get_by_label("รายละเอียดปัญหา").fill(FIRST)
    page.locator("select[name=category]").select_option(label="แสงสว่าง")
    click_on_map(page, *JATUJAK)
    expect(page.get_by_test_id("pin-status")).to_have_text("หมุดอยู่ในเขตจตุจักร")
    latitude = float(page.get_by_label("ละติจูด").input_value())
    longitude = float(page.get_by_label("ลองจิจูด").input_value())
    assert abs(latitude - JATUJAK[0]) < 0.0001 and abs(longitude - JATUJAK[1]) < 0.0001  # where clicked
    page.locator("input[name=photos]").set_input_files(str(street_photo(tmp_path / "street.png", 320)))
    page.get_by_label("เบอร์โทรศัพท์").fill("081-234-5678")
    page.locator("input[name=name]").fill("สมศรี ใจดี")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "intake-form.png"), full_page=True)
    page.get_by_test_id("save").click()
    first = read_code(page, live_server)
    expect(page.get_by_test_id("routed-to")).to_contain_text("จตุจักร")
    page.screenshot(path=str(tmp_path / "intake-filed.png"))

    # By letter, the district by name: a pin first (the live hint names the first complaint as near),
    # then the district chosen by name instead, which takes the pin away.
    page.get_by_test_id("next-complaint").click()
    page.locator("select[name=channel]").select_option(label="หนังสือ / จดหมาย")
    page.get_by_label("รายละเอียดปัญหา").fill(SECOND)
    page.locator("select[name=category]").select_option(label="แสงสว่าง")
    click_on_map(page, *NEAR_JATUJAK)
    expect(page.get_by_test_id("pin-status")).to_have_text("หมุดอยู่ในเขตจตุจักร")
    live = page.get_by_test_id("live-duplicates")
    expect(live).to_be_visible()
    expect(live).to_contain_text(first)
    page.get_by_test_id("district").select_option(label="จตุจักร")
    expect(live).to_be_hidden()
    expect(page.get_by_label("ละติจูด")).to_have_value("")
    page.get_by_test_id("save").click()
    second = read_code(page, live_server)
    assert second != first

    # The officer of Chatuchak has the new-complaint card of each, in LINE.
    chat.be(OFFICER)
    for code, words in ((first, FIRST), (second, SECOND)):
        card = chat.card(f"เรื่องใหม่ {code}")
        expect(card).to_have_count(1)
        expect(card).to_contain_text(words)
        expect(card.get_by_role("button", name="รับเรื่อง", exact=True)).to_be_visible()
    chat.screenshot(tmp_path / "intake-officer-cards.png", height=1400)

    with transaction(services.sessions) as session:
        rows = {
            c.tracking_code: c
            for c in session.scalars(select(Complaint).where(Complaint.citizen_id.is_(None)))
        }
        assert (rows[first].channel, rows[first].district_code, rows[first].reporter_phone) == (
            "phone",
            "1030",
            "0812345678",
        )
        assert rows[first].latitude is not None and rows[first].possible_duplicate_of_id is None
        assert (rows[second].channel, rows[second].district_code, rows[second].latitude) == (
            "letter",
            "1030",
            None,
        )
    for name in ("intake-filed.png", "intake-officer-cards.png"):
        shutil.copy(tmp_path / name, ARTIFACTS / name)
