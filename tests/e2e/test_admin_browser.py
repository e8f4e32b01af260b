"""The admin web in headless Chromium: sign in, the dashboard, filter, a complaint, Thai that renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.services import Services
from models.clock import clock
from models.db import transaction
from models.staff import add_user
from tests.admin_web import PASSWORD
from tests.conftest import LiveServer
from tests.sandbox_page import CITIZEN, CODE, JATUJAK, Chat, street_photo

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / ".artifacts"  # git-ignored: screenshots to look at


def signed_in(browser: Browser, live_server: LiveServer, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(f"{live_server.url}/admin/login?next=/admin/?")
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    return page


def test_an_admin_signs_in_filters_and_opens_a_complaint(
    browser: Browser, live_server: LiveServer, world: dict[str, str]
) -> None:
    page = signed_in(browser, live_server, "centre")
    expect(page.get_by_role("heading", name="ภาพรวม")).to_be_visible()
    expect(page.locator('[data-status="routed"]')).to_have_text("2")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-dashboard.png"), full_page=True)

    page.get_by_role("link", name="เรื่องร้องเรียน").click()
    page.get_by_label("ค้นหา").fill("ขยะ")
    page.get_by_role("button", name="กรอง").click()
    rows = page.get_by_test_id("complaints").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ขยะล้นถัง")

    page.get_by_label("ค้นหา").fill("")
    page.get_by_role("button", name="กรอง").click()
    expect(rows).to_have_count(2)
    page.get_by_role("link", name=world["ours"]).click()
    expect(page.get_by_test_id("description")).to_contain_text('<script>alert("x")</script>')  # as text
    expect(page.get_by_test_id("deadlines")).to_contain_text("ต้องรับเรื่องภายใน")
    before = page.get_by_role("img", name="ภาพก่อนดำเนินการ")
    expect(before).to_have_count(1)
    page.screenshot(path=str(SHOTS / "admin-complaint.png"), full_page=True)
    # Thai glyphs have width: a font with Thai is installed and used, not boxes.
    width = page.evaluate(
        "() => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(document.body).font; return c.measureText('ภาพรวม').width; }"
    )
    assert width > 20


def test_a_district_officer_is_refused_another_districts_complaint(
    browser: Browser, live_server: LiveServer, world: dict[str, str]
) -> None:
    page = signed_in(browser, live_server, "officer1030")
    page.get_by_role("link", name="เรื่องร้องเรียน").click()
    expect(page.get_by_test_id("complaints").locator("tbody tr")).to_have_count(1)
    response = page.goto(f"{live_server.url}/admin/complaints/{world['theirs']}")
    assert response is not None and response.status == 404
    page.goto(f"{live_server.url}/admin/complaints/{world['ours']}")
    expect(page.get_by_role("heading", name=world["ours"], exact=False)).to_be_visible()


def test_a_complaint_filed_on_line_is_resolved_on_the_web_and_the_citizen_sees_it(
    browser: Browser, live_server: LiveServer, districts: None, sandbox_chat: Chat, services: Services,
    tmp_path: Path,
) -> None:  # fmt: skip
    with transaction(services.sessions) as session:
        add_user(session, "head1030", PASSWORD, "head", "1030", clock.now())
    chat = sandbox_chat
    chat.open()
    chat.be(CITIZEN)
    chat.send_text("แจ้งเรื่อง")
    expect(chat.bot("กรุณาพิมพ์เล่าปัญหาที่พบ")).to_be_visible()
    chat.send_text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    expect(chat.bot("ส่งรูปภาพของปัญหาได้สูงสุด 4 รูป")).to_be_visible()
    chat.chip("ไม่มีรูป").click()
    chat.send_location(*JATUJAK)
    chat.chip("แสงสว่าง").click()
    chat.chip("ยืนยันส่งเรื่อง").click()
    filed = chat.bot("ส่งเรื่องเรียบร้อยแล้วค่ะ")
    expect(filed).to_contain_text(CODE)
    code = CODE.search(filed.inner_text())[0]  # type: ignore[index]

    web = signed_in(browser, live_server, "head1030")
    web.goto(f"{live_server.url}/admin/complaints?q={code}")
    web.get_by_role("link", name=code).click()
    web.get_by_role("button", name="รับเรื่อง", exact=True).click()
    expect(web.get_by_text("รับเรื่องแล้ว ผู้ร้องได้รับแจ้งทาง LINE")).to_be_visible()
    resolve = web.get_by_test_id("resolve-form")
    resolve.get_by_label("ผลการดำเนินการ (ตอบผู้ร้อง)").fill("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    resolve.get_by_label("ภาพหลังดำเนินการ (อย่างน้อย 1 ภาพ)").set_input_files(
        str(street_photo(tmp_path / "after.png", 280, lamps_on=3))
    )
    resolve.get_by_role("button", name="แจ้งผลว่าแก้ไขเสร็จ").click()
    expect(web.get_by_text("บันทึกผลการดำเนินการแล้ว ผู้ร้องได้รับแจ้งทาง LINE")).to_be_visible()
    after = web.get_by_role("img", name="ภาพหลังดำเนินการ")
    expect(after).to_have_count(1)
    expect(after).to_have_js_property("naturalWidth", 280)
    SHOTS.mkdir(exist_ok=True)
    web.screenshot(path=str(SHOTS / "admin-resolved.png"), full_page=True)

    # The citizen, in the LINE sandbox, hears of both steps, the result with the after photo.
    expect(chat.bot(f"สำนักงานเขตจตุจักรรับเรื่อง {code} แล้วค่ะ")).to_be_visible()
    expect(chat.bot(f"สำนักงานเขตจตุจักรแก้ไขเรื่อง {code} เสร็จแล้วค่ะ")).to_contain_text("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    expect(chat.images).to_have_count(1)
    chat.screenshot(tmp_path / "citizen-told.png")
