"""A citizen files a complaint in the sandbox chat page, in real headless Chromium (every backend).

The page, the live server and the worker are the real ones (as in `tests/e2e/test_sandbox_browser.py`):
each tap and each typed line goes through the signed webhook, the inbox, the worker, the
citizen's dialog and the fake LINE API, and the test reads only what the page shows. The whole
filing, from the first message to the tracking code on screen, must take under a minute: the
issue's "file in under a minute". The test drives as fast as the page allows, so what is
measured is the bot's part (plus the page's polling).
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.services import Services
from models import Complaint, ComplaintEvent, Photo
from models.clock import clock
from models.db import transaction
from models.deadlines import ack_due, local_date
from models.thai_dates import BE_OFFSET, THAI_MONTHS_SHORT, thai_date
from models.working_days import load_calendar
from tests.sandbox_page import CODE, JATUJAK, Chat, street_photo

pytestmark = pytest.mark.browser

FILING_LIMIT_S = 60.0
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"  # git-ignored: screenshots to look at

MONTHS = "|".join(re.escape(m) for m in THAI_MONTHS_SHORT)
DUE = re.compile(rf"ภายใน (\d{{1,2}}) ({MONTHS}) (\d{{4}})")
OUTSIDE_BANGKOK = (13.69, 100.7501)  # Samut Prakan
BANGKOK = ZoneInfo("Asia/Bangkok")


# --- fixtures and helpers (the page, the browser and the worker: tests/sandbox_page.py) -------


@pytest.fixture
def chat(districts: None, sandbox_chat: Chat) -> Chat:
    """The sandbox page, with the district boundaries loaded (routing by location)."""
    return sandbox_chat


class Stopwatch:
    """Wall time of the filing; screenshots (the test's own work) are left out."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.paused = 0.0

    @contextmanager
    def pause(self) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.paused += time.monotonic() - start

    def seconds(self) -> float:
        return time.monotonic() - self.started - self.paused


def filed_complaint(services: Services, code: str) -> Complaint:
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None, f"no complaint {code} in the database"
        session.expunge(complaint)
        return complaint


def routed_how(services: Services, complaint: Complaint) -> str:
    """How the district was found, as the complaint's "routed" event records it."""
    with transaction(services.sessions) as session:
        event = session.scalar(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "routed"
            )
        )
        assert event is not None and event.data
        return str(event.data["how"])


def expected_due(services: Services, complaint: Complaint) -> date:
    assert complaint.routed_at is not None
    with transaction(services.sessions) as session:
        due = ack_due(complaint.routed_at, load_calendar(session))
    assert complaint.ack_due_at == due  # what was stored is what the deadline rules give
    return local_date(due)


def check_due_date(text: str, due: date) -> None:
    """The acknowledgement deadline is shown as Thai offices write dates: Buddhist Era year."""
    found = DUE.search(text)
    assert found, f"no Thai date in {text!r}"
    day, month, year = int(found[1]), THAI_MONTHS_SHORT.index(found[2]) + 1, int(found[3])
    shown = date(year - BE_OFFSET, month, day)
    assert year >= 2500, f"{year} is not a Buddhist Era year"
    assert shown == due and found[0].endswith(thai_date(due))
    today = clock.now().astimezone(BANGKOK).date()
    assert today < shown <= today + timedelta(days=21), f"due {shown}, filed {today}"


# --- the tests ---------------------------------------------------------------------------------


def test_a_citizen_files_a_complaint_in_under_a_minute(
    chat: Chat, services: Services, tmp_path: Path
) -> None:
    photo = street_photo(tmp_path / "streetlight.png")
    chat.open()

    clock = Stopwatch()
    chat.send_text("แจ้งเรื่อง")
    expect(chat.bot("กรุณาพิมพ์เล่าปัญหาที่พบ")).to_be_visible()
    chat.send_text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    expect(chat.bot("ส่งรูปภาพของปัญหาได้สูงสุด 4 รูป")).to_be_visible()
    chat.send_photo(photo)
    expect(chat.bot("ได้รับรูปภาพแล้วค่ะ (1/4)")).to_be_visible()
    chat.chip("เสร็จแล้ว").click()
    expect(chat.bot("กรุณาส่งตำแหน่งของจุดที่พบปัญหา")).to_be_visible()
    chat.send_location(*JATUJAK)
    expect(chat.bot("ตำแหน่งนี้อยู่ในพื้นที่สำนักงานเขตจตุจักร")).to_be_visible()
    expect(chat.chip("แสงสว่าง")).to_be_visible()
    chat.chip("แสงสว่าง").click()

    card = chat.card("ตรวจสอบก่อนส่งเรื่องค่ะ")
    expect(card).to_be_visible()
    for shown in ("ไฟถนนดับ 3 ต้น หน้าซอย 5", "แสงสว่าง", "สำนักงานเขตจตุจักร", "ปักหมุดแล้ว", "1 รูป"):
        expect(card).to_contain_text(shown)
    hero = card.locator(".flex-hero img")
    expect(hero).to_have_count(1)
    expect(hero).to_have_js_property("complete", True)
    assert hero.evaluate("img => img.naturalWidth") == 320  # the citizen's own photo, from /media/photos
    expect(chat.chip("ยืนยันส่งเรื่อง")).to_be_visible()
    with clock.pause():
        chat.page.screenshot(path=str(tmp_path / "intake-summary.png"))
        card.screenshot(path=str(tmp_path / "intake-summary-card.png"))

    card.get_by_role("button", name="ยืนยันส่งเรื่อง", exact=True).click()  # the card's own button
    filed = chat.bot("ส่งเรื่องเรียบร้อยแล้วค่ะ")
    expect(filed).to_contain_text(CODE)
    seconds = clock.seconds()
    print(f"filing took {seconds:.1f} s (limit 60 s)")  # shown with -s; the assertion is the limit
    print(f"\nfiling took {seconds:.1f} s (first message to tracking code on screen)")
    assert seconds < FILING_LIMIT_S, f"filing took {seconds:.1f} s"

    text = filed.inner_text()
    code = CODE.search(text)[0]  # type: ignore[index]
    assert "สำนักงานเขตจตุจักร" in text
    complaint = filed_complaint(services, code)
    assert (complaint.district_code, complaint.category) == ("1030", "แสงสว่าง")
    assert routed_how(services, complaint) == "location"
    assert complaint.description == "ไฟถนนดับ 3 ต้น หน้าซอย 5"
    check_due_date(text, expected_due(services, complaint))
    with transaction(services.sessions) as session:
        assert session.scalar(select(Photo.complaint_id)) == complaint.id
    expect(chat.user("ยืนยันส่งเรื่อง")).to_be_visible()  # the button's display text, as in LINE

    final = tmp_path / "intake.png"
    chat.page.screenshot(path=str(final))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(final, ARTIFACTS / "intake.png")
    shutil.copy(tmp_path / "intake-summary.png", ARTIFACTS / "intake-summary.png")

    # Status on demand: the list, then the complaint by its code.
    chat.send_text("ติดตามเรื่อง")
    listing = chat.bot("เรื่องที่คุณแจ้ง")
    expect(listing).to_contain_text(code)
    expect(listing).to_contain_text("แสงสว่าง")
    expect(chat.chip(code)).to_be_visible()
    chat.send_text(code)
    detail = chat.bot(f"เรื่อง {code} ค่ะ")
    expect(detail).to_contain_text("สถานะ: ส่งถึงเขตแล้ว รอเขตรับเรื่อง")
    expect(detail).to_contain_text("ส่งถึง: สำนักงานเขตจตุจักร")
    expect(detail).to_contain_text("คุณแจ้งเรื่อง")
    expect(detail).to_contain_text(f"เขตต้องรับเรื่องภายใน {thai_date(expected_due(services, complaint))}")


def test_outside_bangkok_the_citizen_picks_a_district(chat: Chat, services: Services, tmp_path: Path) -> None:
    chat.open()
    chat.send_text("แจ้งเรื่อง")
    expect(chat.bot("กรุณาพิมพ์เล่าปัญหาที่พบ")).to_be_visible()
    chat.send_text("ถนนเป็นหลุมลึก หน้าตลาด")
    expect(chat.bot("ส่งรูปภาพของปัญหา")).to_be_visible()
    chat.chip("ไม่มีรูป").click()
    expect(chat.bot("กรุณาส่งตำแหน่งของจุดที่พบปัญหา")).to_be_visible()
    chat.send_location(*OUTSIDE_BANGKOK)

    outside = chat.bot("ตำแหน่งนี้อยู่นอกกรุงเทพมหานคร")
    expect(outside).to_contain_text("บริการนี้รับเรื่องเฉพาะในกรุงเทพฯ")
    for label in ("ส่งตำแหน่งใหม่", "เลือกเขต", "ยกเลิก"):
        expect(chat.chip(label)).to_be_visible()
    chat.chip("เลือกเขต").click()

    picker = chat.bubbles.and_(chat.page.locator("[data-type=flex]")).filter(
        has=chat.page.get_by_role("button", name="บางรัก", exact=True)
    )
    expect(picker).to_have_count(1)
    expect(picker.locator(".flex-bubble")).to_have_count(5)  # 50 districts, ten to a card
    expect(picker.get_by_role("button")).to_have_count(50)
    expect(chat.bot("กรุณาพิมพ์ชื่อเขต หรือเลือกเขตจากรายการ")).to_be_visible()
    picker.get_by_role("button", name="บางรัก", exact=True).click()

    expect(chat.user("บางรัก")).to_be_visible()
    expect(chat.bot("เลือกสำนักงานเขตบางรักแล้วค่ะ")).to_be_visible()
    expect(chat.chip("ถนน")).to_be_visible()
    chat.chip("ถนน").click()
    card = chat.card("ตรวจสอบก่อนส่งเรื่องค่ะ")
    expect(card).to_contain_text("สำนักงานเขตบางรัก")
    expect(card).to_contain_text("ไม่มีรูป")
    expect(card.locator(".flex-hero")).to_have_count(0)
    chat.chip("ยืนยันส่งเรื่อง").click()  # this time the quick reply under the card

    filed = chat.bot("ส่งเรื่องเรียบร้อยแล้วค่ะ")
    expect(filed).to_contain_text(CODE)
    expect(filed).to_contain_text("ส่งถึง: สำนักงานเขตบางรัก")
    text = filed.inner_text()
    complaint = filed_complaint(services, CODE.search(text)[0])  # type: ignore[index]
    assert (complaint.district_code, complaint.category) == ("1004", "ถนน")
    assert routed_how(services, complaint) == "citizen"
    check_due_date(text, expected_due(services, complaint))
    chat.page.screenshot(path=str(tmp_path / "intake-outside.png"))
