"""A district's LINE group in the sandbox, in real headless Chromium (issue 18 point 2).

An admin gives a group link code on the staff web; in the sandbox chat page a LINE group is made, the bot
invited, and the code typed there by the district's officer: the group is linked. A citizen files a
complaint in the district; its card appears in the group (not in the officer's own chat). A group member
who is not an officer taps "รับเรื่อง" and is refused politely, nothing done; the officer taps it and the
complaint is acknowledged, the group told. Everything goes through the page, the signed webhook, the
worker and the fake LINE API; the test reads what the pages show, and at the end the database.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from bot.services import Services
from models import Complaint, DistrictGroup
from models.clock import clock
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from models.staff import add_user
from tests.admin_web import PASSWORD
from tests.conftest import LiveServer
from tests.sandbox_page import CITIZEN, JATUJAK, OFFICER, Chat

pytestmark = pytest.mark.browser

GROUP = "กลุ่มงานเขตจตุจักร"


@pytest.fixture
def chat(districts: None, sandbox_chat: Chat) -> Chat:
    return sandbox_chat


def admin_gives_a_group_code(browser: Browser, live_server: LiveServer, services: Services) -> str:
    with transaction(services.sessions) as session:
        add_user(session, "centre", PASSWORD, "admin", None, clock.now())
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login")
        page.get_by_label("ชื่อผู้ใช้").fill("centre")
        page.get_by_label("รหัสผ่าน").fill(PASSWORD)
        page.get_by_role("button", name="เข้าสู่ระบบ").click()
        page.goto(f"{live_server.url}/admin/settings/groups")
        page.get_by_test_id("group-district").select_option("1030")
        page.get_by_test_id("form-code").get_by_role("button").click()
        expect(page.get_by_test_id("group-code-howto")).to_contain_text("เชิญบอทเข้ากลุ่ม LINE ของเขต")
        return page.get_by_test_id("group-code").inner_text().strip()
    finally:
        page.close()


def test_a_group_is_linked_gets_the_card_and_only_the_districts_officer_acts_from_it(
    chat: Chat, browser: Browser, live_server: LiveServer, services: Services
) -> None:
    group_code = admin_gives_a_group_code(browser, live_server, services)
    with transaction(services.sessions) as session:
        officer = add_officer(session, "1030", "สมหญิง", "officer", clock.now())
        link_code = new_link_code(session, officer, clock.now()).code
    chat.open()
    chat.be(OFFICER)
    chat.send_text(link_code)
    expect(chat.bot("เชื่อมบัญชี LINE")).to_be_visible()

    # A LINE group: made, the bot invited, the admin's code typed by the officer.
    chat.page.get_by_test_id("new-user-input").fill(GROUP)
    chat.page.get_by_test_id("add-group-button").click()
    expect(chat.page.get_by_test_id("user-select").locator("option:checked")).to_have_text(f"👥 {GROUP}")
    follow = chat.page.get_by_test_id("follow-button")
    expect(follow).to_have_text("เชิญบอทเข้ากลุ่ม")
    follow.click()
    expect(chat.bot("รหัสเชื่อมกลุ่ม")).to_be_visible()  # the greeting says how to link
    speaker = chat.page.get_by_test_id("speaker-select")
    speaker.select_option(label=OFFICER)
    chat.send_text(group_code)
    expect(chat.user(group_code).get_by_test_id("speaker")).to_have_text(OFFICER)
    expect(chat.bot("เชื่อมกลุ่มนี้กับสำนักงานเขตจตุจักร")).to_be_visible()

    # A citizen files a complaint in Chatuchak.
    chat.be(CITIZEN)
    chat.send_text("แจ้งเรื่อง")
    expect(chat.bot("กรุณาพิมพ์เล่าปัญหาที่พบ")).to_be_visible()
    chat.send_text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    chat.chip("ไม่มีรูป").click()
    chat.send_location(*JATUJAK)
    code = chat.file_complaint("แสงสว่าง")

    # The card is in the group, not in the officer's own chat.
    chat.be(f"👥 {GROUP}")
    card = chat.card(f"เรื่องใหม่ {code}")
    expect(card).to_have_count(1)
    chat.be(OFFICER)
    expect(chat.bot("เชื่อมบัญชี LINE")).to_be_visible()
    expect(chat.card(f"เรื่องใหม่ {code}")).to_have_count(0)

    # A member who is not an officer taps "รับเรื่อง": refused, nothing done.
    chat.be(f"👥 {GROUP}")
    speaker.select_option(label=CITIZEN)
    chat.card(f"เรื่องใหม่ {code}").get_by_role("button", name="รับเรื่อง", exact=True).click()
    expect(chat.bot("ใช้ได้เฉพาะเจ้าหน้าที่สำนักงานเขตจตุจักร")).to_be_visible()
    with transaction(services.sessions) as session:
        assert session.scalar(select(Complaint.status).where(Complaint.tracking_code == code)) == "routed"

    # The district's officer taps it: acknowledged, and the group sees who did it.
    speaker.select_option(label=OFFICER)
    chat.card(f"เรื่องใหม่ {code}").get_by_role("button", name="รับเรื่อง", exact=True).click()
    expect(chat.bot(f"สมหญิง: รับเรื่อง {code} แล้วค่ะ")).to_be_visible()
    expect(chat.card("สถานะ: เขตรับเรื่องแล้ว")).to_have_count(1)  # the card again, for the group
    with transaction(services.sessions) as session:
        assert (
            session.scalar(select(Complaint.status).where(Complaint.tracking_code == code)) == "acknowledged"
        )

    # The bot removed from the group: unlinked.
    chat.page.get_by_test_id("unfollow-button").click()
    expect(chat.page.get_by_text("นำบอทออกจากกลุ่มแล้ว")).to_be_visible()
    assert _unlinked_soon(services)


def _unlinked_soon(services: Services) -> bool:
    """The worker handles the leave event a moment after the page shows it sent."""
    for _ in range(100):
        with transaction(services.sessions) as session:
            if session.scalar(select(DistrictGroup.active)) is False:
                return True
        time.sleep(0.1)
    return False
