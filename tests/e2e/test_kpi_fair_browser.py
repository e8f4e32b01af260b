"""The KPI page in headless Chromium in the middle of the year: the pending count, the switch to the literal
view, and a district's start date saved on the settings page (issue points 12 and 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bot.services import Services
from tests.conftest import LiveServer
from tests.e2e.test_admin_browser import SHOTS, signed_in
from tests.e2e.test_kpi_cli_fair import handled_and_fresh

pytestmark = pytest.mark.browser
MID_YEAR = "fy=2570&as_of=2027-03-31"


def test_the_kpi_page_shows_the_pending_and_the_literal_view(
    browser: Browser, live_server: LiveServer, services: Services, world: dict[str, str]
) -> None:
    _, fresh = handled_and_fresh(services)
    page = signed_in(browser, live_server, "centre")
    page.goto(f"{live_server.url}/admin/kpi?{MID_YEAR}")
    expect(page.get_by_test_id("pending")).to_contain_text("ขั้นที่ 1 1 เรื่อง · ขั้นที่ 2 1 เรื่อง")
    row = page.locator('tr[data-district="1007"]')
    expect(row.locator('[data-col="step1_correct"]')).to_have_text("1/1")
    expect(row.locator('[data-col="step1_pending"]')).to_have_text("1")
    expect(row.locator('[data-col="step1_points"]')).to_have_text("1.0000")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-kpi-pending.png"), full_page=True)

    page.get_by_test_id("view-switch").get_by_role("link").click()  # the other view: literal
    expect(page).to_have_url(f"{live_server.url}/admin/kpi?fy=2570&as_of=2027-03-31&view=literal")
    expect(row.locator('[data-col="step1_correct"]')).to_have_text("1/2")
    expect(row.locator('[data-col="step1_pending"]')).to_have_text("0")
    expect(page.get_by_test_id("pending")).to_have_count(0)

    row.get_by_role("link").click()  # the district, in the same view
    expect(page.get_by_test_id("failures")).to_contain_text(fresh)
    expect(page.get_by_test_id("failures")).to_contain_text("ยังไม่ได้ตอบรับเรื่อง (ครบกำหนด 1 เม.ย. 2570)")
    page.get_by_test_id("view-switch").get_by_role("link").click()  # back to the default view
    expect(page.get_by_test_id("pending-list")).to_contain_text(fresh)
    expect(page.get_by_test_id("no-failures")).to_be_visible()


def test_an_admin_saves_a_districts_start_date_and_step_3_follows(
    browser: Browser, live_server: LiveServer, world: dict[str, str], tmp_path: Path
) -> None:
    page = signed_in(browser, live_server, "centre")
    page.goto(f"{live_server.url}/admin/settings/holidays")
    page.get_by_test_id("settings-nav").get_by_role("link", name="วันเริ่มใช้ระบบ (KPI)").click()
    expect(page.get_by_test_id("kpi-start-default")).to_have_text("ไม่ได้ตั้ง (นับทุกเดือน)")
    form = page.get_by_test_id("form-set")
    form.get_by_label("เขต").select_option("1007")
    form.get_by_label("วันที่").fill("15/3/2570")
    form.get_by_role("button", name="บันทึก").click()
    expect(page.locator("p.flash")).to_contain_text("ตั้งวันเริ่มใช้ระบบของเขต ปทุมวัน เป็น 15 มี.ค. 2570 แล้ว")
    row = page.get_by_test_id("kpi-start-1007")
    expect(row.locator('[data-col="own"]')).to_have_text("15 มี.ค. 2570")

    page.goto(f"{live_server.url}/admin/kpi?fy=2570&as_of=2027-10-31")
    expect(page.locator('tr[data-district="1007"] [data-col="step3_months"]')).to_have_text("0/7")
    expect(page.locator('tr[data-district="1030"] [data-col="step3_months"]')).to_have_text("0/12")
