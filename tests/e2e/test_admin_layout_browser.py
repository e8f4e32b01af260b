"""The admin web on the screens it is used on, in headless Chromium: a 360 px phone to a 1920 px monitor.

No page scrolls sideways and no form control spills out of its box, at each width; the top bar is
one line on a 1366 px laptop; the complaint page's actions are screenshot at 390, 820 and 1366 px
(`.artifacts/`, git-ignored, to be looked at). A first visit to the sign-in page says nothing of an
expired session, an ended one does; a day typed in Thai (d/m/yyyy, Buddhist Era) filters the list
and declares a holiday, and a day that does not exist is refused in words.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.services import Services
from models import Complaint
from models.clock import BANGKOK
from models.complaint_operations import Actor, acknowledge
from models.db import transaction
from models.working_days import load_calendar
from tests.admin_web import PASSWORD
from tests.conftest import LiveServer
from tests.e2e.test_admin_browser import SHOTS

pytestmark = pytest.mark.browser
WIDTHS = (360, 390, 641, 820, 1024, 1366, 1920)  # the five asked for, and either side of 40rem and 64rem
HEIGHT = 800
AGAIN = "กรุณาเข้าสู่ระบบอีกครั้ง"

# Every control shown, against its form's box (outside a form, its parent's): one that spills out lies
# over the next box. Then the page itself: wider than the window means scrolling sideways.
SPILLS = """() => {
  const problems = [];
  const root = document.scrollingElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`the page is ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
  }
  const slack = 1;  // sub-pixel rounding
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown
    const box = el.closest('form') || el.parentElement;
    const b = box.getBoundingClientRect();
    const inside = r.left >= b.left - slack && r.right <= b.right + slack
      && r.top >= b.top - slack && r.bottom <= b.bottom + slack;
    if (!inside) {
      const what = (el.name || el.innerText || el.type || '').trim().slice(0, 30);
      problems.push(`${el.tagName.toLowerCase()} "${what}" [${Math.round(r.left)}..${Math.round(r.right)}, `
        + `${Math.round(r.top)}..${Math.round(r.bottom)}] outside its ${box.tagName.toLowerCase()} `
        + `[${Math.round(b.left)}..${Math.round(b.right)}, ${Math.round(b.top)}..${Math.round(b.bottom)}]`);
    }
  }
  return problems;
}"""
ADMIN_PAGES = (
    "/",
    "/complaints",
    "/complaints/{ours}",
    "/complaints/{theirs}",
    "/kpi",
    "/kpi/1030",
    "/reports?district=1030",
    "/audit",
    "/complaints?lang=en",
    "/complaints/{ours}",
    "/?lang=th",
)  # fmt: skip; and every settings page, as their own menu links them
OFFICER_PAGES = ("/", "/complaints", "/complaints/{ours}", "/kpi", "/reports", "/audit")


@pytest.fixture
def acted(services: Services, world: dict[str, str]) -> dict[str, str]:
    """The world with `ours` (Chatuchak) acknowledged, so its page offers every action; `theirs` is
    still routed (its page offers "รับเรื่อง")."""
    with transaction(services.sessions) as s:
        ours = s.scalars(select(Complaint).where(Complaint.tracking_code == world["ours"])).one()
        at = datetime(2026, 11, 23, 14, tzinfo=BANGKOK)
        acknowledge(s, ours, Actor("officer", None, "1030", "สมหญิง"), at, load_calendar(s))
    return world


def sign_in_page(browser: Browser, live_server: LiveServer, username: str, width: int = 1366) -> Page:
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    page.goto(f"{live_server.url}/admin/login")
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    return page


def problems_at_each_width(page: Page, url: str) -> list[str]:
    """The page loaded once, then looked at in each width (the layout follows the window)."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        found += [f"{url} at {width} px: {p}" for p in page.evaluate(SPILLS)]
    return found


def test_no_page_scrolls_sideways_and_no_control_spills_out(
    browser: Browser, live_server: LiveServer, acted: dict[str, str]
) -> None:
    base = f"{live_server.url}/admin"
    login = browser.new_page(viewport={"width": 1366, "height": HEIGHT})
    problems = problems_at_each_width(login, f"{base}/login")
    login.close()
    for username, paths in (("centre", ADMIN_PAGES), ("officer1030", OFFICER_PAGES)):
        page = sign_in_page(browser, live_server, username)
        for path in paths:
            problems += problems_at_each_width(page, base + path.format(**acted))
        if username == "centre":
            page.goto(f"{base}/settings/holidays")
            menu = page.get_by_test_id("settings-nav").locator("a")
            settings = [live_server.url + path for path in menu.evaluate_all("a => a.map(l => l.pathname)")]
            assert len(settings) >= 3, settings  # the other settings pages (holidays is shown, not linked)
            for url in [f"{base}/settings/holidays", *settings]:
                problems += problems_at_each_width(page, url)
        page.close()
    assert not problems, "\n".join(problems)


def test_the_actions_fit_their_boxes_and_are_screenshot(
    browser: Browser, live_server: LiveServer, acted: dict[str, str]
) -> None:
    page = sign_in_page(browser, live_server, "officer1030")
    SHOTS.mkdir(exist_ok=True)
    for width in (390, 820, 1366):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.goto(f"{live_server.url}/admin/complaints/{acted['ours']}")
        expect(page.get_by_test_id("progress-form")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"admin-complaint-actions-{width}.png"), full_page=True)
    page.close()

    # "รับเรื่อง" alone in its box: as big as its word, not stretched to the tallest box beside it.
    page = sign_in_page(browser, live_server, "centre")
    page.goto(f"{live_server.url}/admin/complaints/{acted['theirs']}")
    button = page.get_by_role("button", name="รับเรื่อง", exact=True).bounding_box()
    form = page.get_by_test_id("transfer-form").bounding_box()
    line = page.evaluate("() => parseFloat(getComputedStyle(document.body).lineHeight)")
    assert button is not None and form is not None
    assert button["height"] < 2 * line and button["width"] < form["width"] / 2, (button, form)
    page.screenshot(path=str(SHOTS / "admin-complaint-acknowledge-1366.png"), full_page=True)
    page.close()


def test_the_top_bar_is_one_line_on_a_laptop(
    browser: Browser, live_server: LiveServer, acted: dict[str, str]
) -> None:
    """Every item of the bar on one row (each one's top above every other's bottom), none of them
    wrapped inside itself, in both languages, for the centre (every link) and a district head."""
    for username in ("centre", "head1030"):
        page = sign_in_page(browser, live_server, username)
        for language in ("th", "en"):
            page.goto(f"{live_server.url}/admin/?lang={language}")
            boxes = page.eval_on_selector_all(
                "header > *",
                "items => items.map(i => { const r = i.getBoundingClientRect(); return [r.top, r.bottom]; })",
            )
            line = page.evaluate("() => parseFloat(getComputedStyle(document.body).lineHeight)")
            where = (username, language, boxes)
            assert max(top for top, _ in boxes) < min(bottom for _, bottom in boxes), where
            assert max(bottom - top for top, bottom in boxes) < 1.6 * line, where
        page.close()


def test_a_first_visit_is_asked_to_sign_in_and_an_ended_session_to_sign_in_again(
    browser: Browser, live_server: LiveServer, acted: dict[str, str]
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": HEIGHT})  # a browser never here before
    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    expect(page.get_by_role("heading", name="เข้าสู่ระบบ")).to_be_visible()
    expect(page.get_by_text(AGAIN)).to_have_count(0)
    page.close()

    page = sign_in_page(browser, live_server, "centre", 390)
    # Every answer renews the session cookie: let the dashboard's last one arrive before it is cleared,
    # or that answer sets it again.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies(name="session")  # what the browser does when the 8 hours are over
    page.goto(f"{live_server.url}/admin/complaints")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    expect(page.get_by_text(AGAIN)).to_be_visible()
    page.close()


def test_a_day_typed_in_thai_filters_the_list_and_declares_a_holiday(
    browser: Browser, live_server: LiveServer, acted: dict[str, str]
) -> None:
    page = sign_in_page(browser, live_server, "centre", 390)
    page.goto(f"{live_server.url}/admin/complaints")
    rows = page.get_by_test_id("complaints").locator("tbody tr")
    expect(rows).to_have_count(2)  # both filed on 23 Nov 2026, 10:00 in Bangkok
    page.get_by_label("รับเรื่องตั้งแต่").fill("23/11/2569")
    page.get_by_label("ถึง", exact=True).fill("23/11/2569")
    page.get_by_role("button", name="กรอง").click()
    expect(rows).to_have_count(2)
    expect(page.get_by_label("รับเรื่องตั้งแต่")).to_have_value("23/11/2569")  # shown back in BE
    page.get_by_label("รับเรื่องตั้งแต่").fill("24/11/2569")
    page.get_by_label("ถึง", exact=True).fill("")
    page.get_by_role("button", name="กรอง").click()
    expect(page.get_by_test_id("no-results")).to_be_visible()
    page.get_by_label("รับเรื่องตั้งแต่").fill("31/2/2569")  # the right shape, but no such day
    page.get_by_role("button", name="กรอง").click()
    expect(page.get_by_test_id("error")).to_contain_text("วันที่ไม่ถูกต้อง: “31/2/2569”")
    expect(page.get_by_test_id("complaints")).to_have_count(0)
    expect(page.get_by_label("รับเรื่องตั้งแต่")).to_have_value("31/2/2569")  # kept, to be corrected

    def declare(day: str) -> None:
        add = page.get_by_test_id("form-add")
        for label, value in (("วันที่", day), ("ชื่อวันหยุด / เหตุผล", "วันหยุดพิเศษ (ทดสอบ)")):
            add.get_by_label(label).fill(value)
        add.get_by_role("button", name="บันทึก").click()

    page.goto(f"{live_server.url}/admin/settings/holidays?year=2570")
    declare("30/2/2570")
    expect(page.get_by_test_id("error")).to_contain_text("วันที่ไม่ถูกต้อง: “30/2/2570”")
    declare("4/1/2570")
    declared = page.get_by_test_id("holiday-2027-01-04")
    expect(declared).to_contain_text("วันหยุดพิเศษ (ทดสอบ)")
    expect(declared).to_have_attribute("data-kind", "holiday")
    page.close()
