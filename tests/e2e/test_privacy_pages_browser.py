"""The admins' personal-data pages in headless Chromium: reached from the settings menu, a request by
phone recorded with its 30-day deadline and carried out, and no page scrolling sideways or spilling a
control at any width (screenshots in `.artifacts/`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import Complaint
from models.db import transaction
from tests.conftest import LiveServer
from tests.e2e.test_admin_browser import SHOTS
from tests.e2e.test_admin_layout_browser import problems_at_each_width, sign_in_page
from tests.integration.test_data_requests import NAME, PHONE, phoned  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_a_request_by_phone_is_recorded_and_carried_out_in_the_browser(
    browser: Browser,
    live_server: LiveServer,
    services,  # type: ignore[no-untyped-def]
    phoned: dict[str, str],  # noqa: F811
) -> None:
    page = sign_in_page(browser, live_server, "centre")
    page.goto(f"{live_server.url}/admin/settings/holidays")
    page.get_by_test_id("settings-nav").get_by_role("link", name="ข้อมูลส่วนบุคคล").click()
    expect(page.get_by_role("heading", name="การเปิดดูข้อมูลส่วนบุคคล")).to_be_visible()
    page.get_by_test_id("privacy-nav").get_by_role("link", name="คำขอเกี่ยวกับข้อมูลส่วนบุคคล").click()

    form = page.get_by_test_id("form-request")
    form.get_by_label("ประเภทคำขอ").select_option("erase")
    form.get_by_label("ได้รับทาง").select_option("phone")
    form.get_by_label("ผู้ขอ: เบอร์โทรหรือรหัสเรื่อง").fill("089 111 2222")
    form.get_by_label("วันที่ได้รับคำขอ").fill("18/12/2569")
    form.get_by_role("button", name="บันทึกคำขอ").click()
    expect(page.get_by_text("บันทึกคำขอแล้ว กำหนดเสร็จ 17 ม.ค. 2570")).to_be_visible()
    row = page.get_by_test_id("data-requests").locator("tbody tr").first
    expect(row.get_by_test_id("due")).to_have_text("17 ม.ค. 2570")
    expect(row.get_by_test_id("state")).to_have_text("รอดำเนินการ (อีก 28 วัน)")

    url = page.url
    problems = problems_at_each_width(page, url)
    problems += problems_at_each_width(page, f"{live_server.url}/admin/privacy/access")
    assert not problems, "\n".join(problems)
    SHOTS.mkdir(exist_ok=True)
    page.goto(url)
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SHOTS / f"admin-data-requests-{width}.png"), full_page=True)

    row = page.get_by_test_id("data-requests").locator("tbody tr").first
    row.get_by_role("checkbox").check()
    row.get_by_role("button", name="ลบข้อมูลส่วนบุคคล").click()
    expect(page.get_by_text("ลบข้อมูลส่วนบุคคลแล้ว (2 เรื่อง)")).to_be_visible()
    expect(
        page.get_by_test_id("data-requests").locator("tbody tr").first.get_by_test_id("state")
    ).to_contain_text("ดำเนินการแล้ว")
    with transaction(services.sessions) as s:
        complaint = s.scalar(select(Complaint).where(Complaint.tracking_code == phoned["phoned"]))
        assert complaint.reporter_name is None and complaint.reporter_phone is None
    page.goto(f"{live_server.url}/admin/complaints/{phoned['phoned']}")
    expect(page.get_by_text(NAME)).to_have_count(0)
    expect(page.get_by_text(PHONE)).to_have_count(0)
    page.close()
