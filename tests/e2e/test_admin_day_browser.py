"""A day's work on the admin web, in headless Chromium: a district head on a tablet, the centre on a laptop.

The app's clock runs from Thursday 3 December 2026, 10:00 in Bangkok. In November,
Chatuchak (1030) resolved one complaint on time and never acknowledged the world's `ours`; Phra Nakhon
(1001) never acknowledged `theirs`. Screenshots go to `.artifacts/` to be looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.services import Services
from models import Citizen, Photo
from models.clock import clock
from models.complaint_operations import Actor, acknowledge, file_complaint, report_progress, resolve
from models.db import transaction
from models.working_days import load_calendar
from tests.admin_web import NOW
from tests.conftest import LiveServer
from tests.e2e.test_admin_browser import SHOTS, signed_in
from tests.sandbox_page import Chat

pytestmark = pytest.mark.browser
BANGKOK = ZoneInfo("Asia/Bangkok")
TODAY = datetime(2026, 12, 3, 10, 0, tzinfo=BANGKOK)
TABLET = {"width": 820, "height": 1180}


@pytest.fixture
def november(app: Flask, services: Services, world: dict[str, str]) -> Iterator[dict[str, str]]:
    """The world's two complaints, plus one resolved on time in Chatuchak; the clock at TODAY."""
    codes = dict(world)
    with transaction(services.sessions) as s:
        calendar = load_calendar(s)
        citizen = s.scalars(select(Citizen)).first()
        assert citizen is not None
        c = file_complaint(
            s, citizen, description="ท่อระบายน้ำอุดตัน หน้าตลาด", category="ท่อระบายน้ำ",
            district_code="1030", latitude=None, longitude=None, photos=[], at=NOW, calendar=calendar,
        )  # fmt: skip
        officer = Actor("officer", None, "1030", "สมหญิง")
        acknowledge(s, c, officer, datetime(2026, 11, 23, 14, tzinfo=BANGKOK), calendar)
        report_progress(s, c, officer, datetime(2026, 11, 24, 9, tzinfo=BANGKOK), "ลอกท่อแล้วครึ่งหนึ่ง")
        after = Photo(path="before.png", content_type="image/png", size_bytes=1, sha256="x", created_at=NOW)
        s.add(after)
        s.flush()
        resolve(s, c, officer, datetime(2026, 11, 25, 9, tzinfo=BANGKOK), "ลอกท่อเสร็จแล้ว", [after])
        codes["resolved"] = c.tracking_code
    clock.start_at(TODAY)  # running on from there: the worker behind the sandbox needs time to pass
    return codes


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_a_district_head_runs_the_day_on_a_tablet(
    browser: Browser, live_server: LiveServer, november: dict[str, str]
) -> None:
    page = signed_in(browser, live_server, "head1030")
    page.set_viewport_size(TABLET)
    # What is late, at a glance: Chatuchak's own unacknowledged complaint, and the weekly chart.
    expect(page.locator('[data-overdue="ack"]')).to_have_text("1")
    expect(page.get_by_test_id("weekly")).to_be_visible()
    expect(page.get_by_test_id("districts").locator("tbody tr")).to_have_count(1)
    shot(page, "day-head-dashboard-tablet.png")

    # KPI: the district's own row, then why it lost points: `ours` was never acknowledged.
    page.get_by_role("link", name="KPI", exact=True).click()
    expect(page.get_by_test_id("kpi").locator("tbody tr")).to_have_count(1)
    shot(page, "day-head-kpi-tablet.png")
    page.get_by_test_id("kpi").get_by_role("link", name="จตุจักร").click()
    failing = page.get_by_role("link", name=november["ours"])
    expect(failing.first).to_be_visible()
    expect(page.get_by_text("ไม่ได้ตอบรับเรื่อง (กำหนด 24 พ.ย. 2569)").first).to_be_visible()
    shot(page, "day-head-kpi-district-tablet.png")
    failing.first.click()
    expect(page.get_by_role("heading", name=november["ours"], exact=False)).to_be_visible()

    # November's reports: the backlog holds `ours`; download the XLSX; submit the month on time.
    page.get_by_role("link", name="รายงานประจำเดือน").click()
    backlog = page.get_by_test_id("cpl-r001-table")
    expect(backlog).to_contain_text(november["ours"])
    with page.expect_download() as download:
        page.get_by_test_id("cpl-r003-xlsx").click()
    book = load_workbook(BytesIO(download.value.path().read_bytes()))
    assert any("CPL_R003" in str(cell) for row in book.active.iter_rows(values_only=True) for cell in row)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("submitted")).to_contain_text("ทันกำหนด")
    expect(page.locator('[data-month="2569-11"]')).to_have_attribute("data-state", "on_time")
    shot(page, "day-head-reports-tablet.png")

    # The audit is the centre's: a head reads it but has no draw button.
    page.get_by_role("link", name="สุ่มตรวจ").click()
    expect(page.get_by_test_id("draw-form")).to_have_count(0)


def test_the_centre_draws_and_marks_the_audit(
    browser: Browser, live_server: LiveServer, november: dict[str, str]
) -> None:
    page = signed_in(browser, live_server, "centre")
    page.get_by_role("link", name="สุ่มตรวจ").click()
    page.get_by_test_id("draw").click()
    items = page.get_by_test_id("items")
    expect(items).to_contain_text(november["resolved"])  # Chatuchak's only resolved complaint: 10 % is 1
    row = items.locator("tr", has_text=november["resolved"])
    row.get_by_label("ผลการตรวจ").select_option(label="สอดคล้องกับหลักฐาน")
    row.get_by_label("หมายเหตุ").fill("ภาพหลังดำเนินการตรงกับผลที่แจ้ง")
    row.get_by_role("button", name="บันทึกผลตรวจ").click()
    row = page.get_by_test_id("items").locator("tr", has_text=november["resolved"])
    expect(row).to_contain_text("ภาพหลังดำเนินการตรงกับผลที่แจ้ง")
    expect(row).to_contain_text("centre")
    shot(page, "day-centre-audit.png")


def test_the_centre_declares_a_holiday_and_gives_a_new_officer_the_web_and_line(
    browser: Browser, live_server: LiveServer, november: dict[str, str], districts: None, sandbox_chat: Chat
) -> None:
    page = signed_in(browser, live_server, "centre")
    page.get_by_role("link", name="ตั้งค่า").click()
    add = page.get_by_test_id("form-add")
    add.get_by_label("วันที่").fill("2026-12-04")
    add.get_by_label("ชื่อวันหยุด / เหตุผล").fill("วันหยุดพิเศษ (ทดสอบ)")
    add.get_by_role("button", name="บันทึก").click()
    expect(page.get_by_test_id("holiday-2026-12-04")).to_contain_text("วันหยุดพิเศษ (ทดสอบ)")
    shot(page, "day-centre-holidays.png")

    # A new officer of Chatuchak: a web account with a generated password, and a LINE link code.
    page.goto(f"{live_server.url}/admin/settings/users")
    form = page.get_by_test_id("form-add")
    form.get_by_label("ชื่อผู้ใช้", exact=True).fill("somying")
    form.get_by_label("บทบาท").select_option("officer")
    form.locator('select[name="district"]').select_option("1030")
    form.get_by_label("ชื่อที่แสดงใน LINE").fill("สมหญิง")
    form.get_by_role("button", name="บันทึก").click()
    password = page.get_by_test_id("generated-password").inner_text().strip()
    link_code = page.get_by_test_id("link-code").inner_text().strip()
    shot(page, "day-centre-new-officer.png")

    chat = sandbox_chat
    chat.open()
    chat.be("เจ้าหน้าที่ สมหญิง")
    chat.send_text(link_code)
    linked = chat.bot("เชื่อมบัญชี LINE")
    expect(linked).to_contain_text("สมหญิง")
    expect(linked).to_contain_text("สำนักงานเขตจตุจักร")

    officer = browser.new_page(viewport={"width": 1280, "height": 860})
    officer.goto(f"{live_server.url}/admin/login")
    officer.get_by_label("ชื่อผู้ใช้").fill("somying")
    officer.get_by_label("รหัสผ่าน").fill(password)
    officer.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(officer.get_by_role("heading", name="ภาพรวม")).to_be_visible()
    expect(officer.get_by_test_id("districts").locator("tbody tr")).to_have_count(1)
    expect(officer.get_by_role("link", name="ตั้งค่า")).to_have_count(0)  # settings are the centre's
