"""Answer templates in headless Chromium (issue 18 point 3): an admin reaches the page from the settings
menu, adds progress templates for one category, sees them listed with their LINE buttons, moves and
deletes one; a result
template longer than LINE allows is refused on its form with the message, the typed text kept and the
counter showing it over. No control spills out at any width (screenshots in `.artifacts/`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from bot.services import Services
from models.answer_templates import MAX_TEXT, RESULT, label_of, templates_of
from models.db import transaction
from tests.conftest import LiveServer
from tests.e2e.test_admin_browser import SHOTS
from tests.e2e.test_admin_layout_browser import problems_at_each_width, sign_in_page

pytestmark = pytest.mark.browser
ORDERED = "ประสานการไฟฟ้านครหลวงแล้ว รอเข้าซ่อมสายไฟ"
CHECKED = "เจ้าหน้าที่ตรวจสอบพื้นที่แล้ว กำลังสั่งอะไหล่หลอดไฟ คาดว่าจะเปลี่ยนได้ภายใน 3 วันทำการ"


def test_an_admin_adds_a_template_and_a_too_long_one_is_refused_with_the_message(
    browser: Browser, live_server: LiveServer, services: Services, world: dict[str, str]
) -> None:
    page = sign_in_page(browser, live_server, "centre")
    page.goto(f"{live_server.url}/admin/settings/holidays")
    page.get_by_test_id("settings-nav").get_by_role("link", name="ข้อความสำเร็จรูป").click()
    expect(page.get_by_role("heading", name="ข้อความสำเร็จรูป", exact=True)).to_be_visible()
    picker = page.get_by_test_id("pick-category")
    picker.get_by_label("ประเภทเรื่อง").select_option("lighting")
    picker.get_by_role("button", name="แสดง").click()

    progress = page.get_by_test_id("templates-progress")
    expect(progress.get_by_role("heading")).to_contain_text("แสงสว่าง · ความคืบหน้า")
    add = page.get_by_test_id("form-add-progress")
    add.get_by_label("ข้อความ").fill(CHECKED)
    expect(add.locator("output")).to_have_text(str(len(CHECKED)))  # counted as typed
    add.get_by_role("button", name="เพิ่มข้อความ").click()
    expect(page.locator(".flash")).to_contain_text(f"เพิ่มข้อความสำเร็จรูป “{label_of(CHECKED)}”")
    listed = progress.get_by_test_id("template")
    expect(listed).to_have_count(1)
    expect(listed.get_by_label("ข้อความ")).to_have_value(CHECKED)
    expect(listed.get_by_test_id("label")).to_have_text(label_of(CHECKED))
    expect(page.locator('tr[data-code="lighting"] td[data-kind="progress"]')).to_have_text("1")

    page.get_by_test_id("form-add-progress").get_by_label("ข้อความ").fill(ORDERED)
    page.get_by_test_id("form-add-progress").get_by_role("button", name="เพิ่มข้อความ").click()
    expect(listed).to_have_count(2)
    listed.first.get_by_role("button", name="เลื่อนลง").click()  # the row's own buttons work
    expect(listed.first.get_by_label("ข้อความ")).to_have_value(ORDERED)
    expect(listed.nth(1).get_by_label("ข้อความ")).to_have_value(CHECKED)
    listed.first.get_by_role("button", name="ลบ").click()
    expect(page.locator(".flash")).to_contain_text("ลบข้อความสำเร็จรูป")
    expect(listed).to_have_count(1)

    too_long = "เปลี่ยนหลอดไฟแล้ว " + "ก" * MAX_TEXT
    result = page.get_by_test_id("form-add-result")
    result.get_by_label("ข้อความ").fill(too_long)
    expect(result.locator("output[data-over]")).to_have_text(str(len(too_long)))
    result.get_by_role("button", name="เพิ่มข้อความ").click()
    refused = page.get_by_test_id("form-add-result")
    expect(refused.get_by_role("alert")).to_have_text(
        f"ข้อความยาว {len(too_long)} ตัวอักษร เกินที่ LINE ส่งได้ ({MAX_TEXT} ตัวอักษร) กรุณาย่อให้สั้นลง"
    )
    expect(refused.get_by_label("ข้อความ")).to_have_value(too_long)  # nothing typed is lost
    expect(page.get_by_test_id("templates-result").get_by_test_id("template")).to_have_count(0)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-answer-templates-refused.png"), full_page=True)
    with transaction(services.sessions) as session:
        assert templates_of(session, "lighting", RESULT) == []

    problems = problems_at_each_width(
        page, f"{live_server.url}/admin/settings/answer_templates?category=lighting"
    )
    assert not problems, "\n".join(problems)
    page.set_viewport_size({"width": 390, "height": 800})
    page.screenshot(path=str(SHOTS / "admin-answer-templates-390.png"), full_page=True)
    page.close()
