"""The admin web in headless Chromium: sign in, the dashboard, filter, a complaint, Thai that renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LiveServer
from tests.test_admin_web import PASSWORD, world  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[1] / ".artifacts"  # git-ignored: screenshots to look at


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
    browser: Browser, live_server: LiveServer, world: dict[str, str]  # noqa: F811
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
    browser: Browser, live_server: LiveServer, world: dict[str, str]  # noqa: F811
) -> None:
    page = signed_in(browser, live_server, "officer1030")
    page.get_by_role("link", name="เรื่องร้องเรียน").click()
    expect(page.get_by_test_id("complaints").locator("tbody tr")).to_have_count(1)
    response = page.goto(f"{live_server.url}/admin/complaints/{world['theirs']}")
    assert response is not None and response.status == 404
    page.goto(f"{live_server.url}/admin/complaints/{world['ours']}")
    expect(page.get_by_role("heading", name=world["ours"], exact=False)).to_be_visible()
