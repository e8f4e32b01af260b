"""The rich menu on the sandbox page, in real headless Chromium: the page shows the user's menu under the chat
(the citizen's default, the officer's once linked), and a tap sends what LINE would send for it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from bot.line_gateway import LineGateway
from bot.rich_menus import upload_menus
from bot.services import Services
from models.clock import clock
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from tests.conftest import LiveServer
from tests.sandbox_page import CITIZEN, CODE, JATUJAK, OFFICER, Chat

pytestmark = pytest.mark.browser


@pytest.fixture
def chat(districts: None, sandbox_chat: Chat, services: Services, live_server: LiveServer) -> Chat:
    """The sandbox page, the districts loaded, and the menus uploaded to its fake LINE (as release does)."""
    gateway = LineGateway(services.settings.line_channel_access_token, f"{live_server.url}/sandbox/line")
    try:
        outcomes = upload_menus(services, gateway)
    finally:
        gateway.close()
    assert [o.result for o in outcomes] == ["uploaded", "uploaded"]
    return sandbox_chat


def menu_area(chat: Chat, label: str) -> Locator:
    return chat.page.get_by_test_id("rich-menu").get_by_role("button", name=label, exact=True)


def shows_menu(chat: Chat, bar: str, areas: int) -> None:
    menu = chat.page.get_by_test_id("rich-menu")
    expect(menu).to_be_visible()
    expect(chat.page.get_by_test_id("rich-menu-bar")).to_contain_text(bar)
    expect(menu.get_by_test_id("rich-menu-area")).to_have_count(areas)
    image = chat.page.get_by_test_id("rich-menu-image")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 2500


def test_the_menu_shows_and_its_taps_act_like_lines(chat: Chat, services: Services) -> None:
    now = clock.now()
    with transaction(services.sessions) as session:
        code_to_link = new_link_code(session, add_officer(session, "1030", "สมหญิง", "officer", now), now).code
    chat.open()
    chat.follow()
    shows_menu(chat, "เมนู", 5)
    for label in ("แจ้งเรื่อง", "ติดตามเรื่อง", "แผนที่", "วิธีใช้", "ข้อมูลของฉัน"):
        expect(menu_area(chat, label)).to_be_visible()

    # The citizen files through the menu's "แจ้งเรื่อง", then finds the complaint through "ติดตามเรื่อง".
    menu_area(chat, "แจ้งเรื่อง").click()
    expect(chat.user("แจ้งเรื่อง")).to_be_visible()  # the tap sent the text, as LINE's message action does
    expect(chat.bot("กรุณาพิมพ์เล่าปัญหาที่พบ")).to_be_visible()
    chat.send_text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    expect(chat.bot("ส่งรูปภาพของปัญหาได้สูงสุด 4 รูป")).to_be_visible()
    chat.chip("ไม่มีรูป").click()
    chat.send_location(*JATUJAK)
    code = chat.file_complaint("แสงสว่าง")
    menu_area(chat, "ติดตามเรื่อง").click()
    expect(chat.user("ติดตามเรื่อง")).to_be_visible()
    expect(chat.bot(code).last).to_be_visible()
    assert CODE.search(chat.bot(code).last.inner_text())

    # The bar folds the menu away and brings it back.
    chat.page.get_by_test_id("rich-menu-bar").click()
    expect(chat.page.get_by_test_id("rich-menu-image")).to_be_hidden()
    chat.page.get_by_test_id("rich-menu-bar").click()
    expect(chat.page.get_by_test_id("rich-menu-image")).to_be_visible()

    # The officer links her account: the worker links the officer menu, and the page shows it.
    chat.be(OFFICER)
    shows_menu(chat, "เมนู", 5)  # not linked yet: the default, like every LINE user
    chat.send_text(code_to_link)
    expect(chat.bot("เชื่อมบัญชี LINE")).to_be_visible()
    shows_menu(chat, "เมนูงาน", 3)
    menu_area(chat, "เรื่องใหม่").click()
    waiting = chat.bot("เรื่องใหม่ที่รอรับของเขตจตุจักร 1 เรื่อง")
    expect(waiting).to_contain_text(code)
    menu_area(chat, "ติดตามงาน").click()
    expect(chat.bot("เรื่องค้างของเขตจตุจักร 1 เรื่อง")).to_contain_text(code)

    chat.be(CITIZEN)
    shows_menu(chat, "เมนู", 5)  # each user sees their own menu
