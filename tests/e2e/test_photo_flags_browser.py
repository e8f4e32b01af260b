"""A closure photo that matches the citizen's own, in headless Chromium (issue 17 points 2-3).

A Chatuchak officer resolves a complaint on the staff web with the citizen's photo, brightened and
date-stamped: the form comes back with the warning and both photos side by side, their text still in
it; kept with a reason, the resolution is flagged. The complaint page shows the flagged photo beside the
one it matches; the dashboard counts the flagged closure, its link is the list's "flagged" filter, and
the audit page lists it for review. Screenshots go to `.artifacts/`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LiveServer
from tests.e2e.test_admin_browser import SHOTS, signed_in
from tests.integration.test_photo_flags import edited, jpeg, scene
from tests.integration.test_photo_flags_admin import scenes  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def loaded(page: Page, selector: str) -> int:
    """How many of the images matching `selector` the browser actually decoded."""
    return int(page.eval_on_selector_all(selector, "els => els.filter(e => e.naturalWidth > 0).length"))


def test_an_officer_keeps_a_matching_after_photo_and_the_centre_finds_the_flag(
    browser: Browser,
    live_server: LiveServer,
    scenes: dict[str, str],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    code = scenes["code"]
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg(edited(scene(21))))  # the citizen's photo, brightened and date-stamped

    page = signed_in(browser, live_server, "officer1030")
    page.goto(f"{live_server.url}/admin/complaints/{code}")
    form = page.get_by_test_id("resolve-form")
    form.locator("textarea[name=text]").fill("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    form.locator("input[name=photos]").set_input_files(str(photo))
    form.get_by_role("button", name="แจ้งผลว่าแก้ไขเสร็จ").click()

    warning = page.get_by_test_id("photo-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("รูปของผู้แจ้งในเรื่องนี้")
    expect(warning.get_by_test_id("suspect")).to_have_count(1)
    assert loaded(page, '[data-testid="suspect"] img') == 2  # the upload beside the citizen's photo
    expect(warning.locator("textarea[name=text]")).to_have_value("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    shot(page, "photo-flag-warning.png")

    warning.get_by_role("button", name="บันทึก", exact=True).click()  # no reason: asked again, nothing lost
    expect(page.get_by_test_id("reason-missing")).to_be_visible()
    expect(page.get_by_test_id("warning-form").locator("textarea[name=text]")).to_have_value(
        "เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว"
    )
    page.get_by_test_id("warning-form").locator("textarea[name=keep_reason]").fill("ผู้แจ้งยืนยันว่าแก้ไขแล้ว")
    page.get_by_test_id("warning-form").get_by_role("button", name="บันทึก", exact=True).click()

    expect(page.locator(".flash").last).to_contain_text("ทำเครื่องหมาย")
    flag = page.get_by_test_id("flag")
    expect(flag).to_have_count(1)
    expect(flag).to_contain_text("ผู้แจ้งยืนยันว่าแก้ไขแล้ว")
    expect(flag).to_contain_text("officer1030")
    assert loaded(page, '[data-testid="flag"] img') == 2  # the kept photo beside the one it matches
    shot(page, "photo-flag-complaint.png")

    centre = signed_in(browser, live_server, "centre")
    count = centre.locator('tr[data-district="1030"] [data-flagged]')
    expect(count).to_have_text("1")
    count.get_by_role("link").click()
    expect(centre).to_have_url(f"{live_server.url}/admin/complaints?district=1030&flagged=1")
    expect(centre.get_by_test_id("complaints").locator("tbody tr")).to_have_count(1)
    expect(centre.get_by_test_id("complaints")).to_contain_text(code)
    expect(centre.get_by_label("รูปที่ถูกทำเครื่องหมาย")).to_have_value("1")  # the filter, kept in the form
    shot(centre, "photo-flag-list.png")

    centre.goto(f"{live_server.url}/admin/audit?month=2569-12")
    flagged = centre.get_by_test_id("flagged")
    expect(flagged.locator(f'tr[data-code="{code}"]')).to_contain_text("ผู้แจ้งยืนยันว่าแก้ไขแล้ว")
    shot(centre, "photo-flag-audit.png")
