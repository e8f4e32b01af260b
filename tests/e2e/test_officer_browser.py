"""An officer handles a complaint to the end in the sandbox chat page, in real headless Chromium.

As in `tests/e2e/test_intake_browser.py`, the page, the live server and the worker are the real ones:
every tap and typed line goes through the signed webhook, the inbox, the worker, the dialogs and
the fake LINE API, and the test reads only what the page shows (plus, at the end, the database).
One page plays both people of the sandbox's first visit, switching with its user picker: the
officer "เจ้าหน้าที่ สมหญิง" links her LINE account with a code, the citizen files a complaint
with a photo in Chatuchak, the officer gets the new-complaint card (a push), acknowledges it,
reports progress with a photo and resolves it with an "after" photo; the citizen sees each
notice (pushes, with the photos) and rates the fix.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect
from sqlalchemy import select

from bot.services import Services
from models import Complaint, ComplaintEvent, Photo
from models.clock import clock
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from tests.sandbox_page import CITIZEN, CODE, JATUJAK, OFFICER, Chat, street_photo

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"  # git-ignored

# The three photos differ in width, so the page's images can be told apart.
BEFORE_WIDTH, PROGRESS_WIDTH, AFTER_WIDTH = 320, 300, 280
PROGRESS_TEXT = "ช่างไฟฟ้าตรวจแล้ว รออะไหล่หลอดไฟ"
RESULT_TEXT = "เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว"


# --- fixtures and helpers (the page, the browser and the worker: tests/sandbox_page.py) -------


@pytest.fixture
def chat(districts: None, sandbox_chat: Chat) -> Chat:
    """The sandbox page, with the district boundaries loaded (routing by location)."""
    return sandbox_chat


def register_officer(services: Services) -> str:
    """An officer of Chatuchak (1030) and her one-time link code, as the admin would make them."""
    now = clock.now()
    with transaction(services.sessions) as session:
        officer = add_officer(session, "1030", "สมหญิง", "officer", now)
        return new_link_code(session, officer, now).code


def loaded_width(img: Locator) -> int:
    expect(img).to_have_js_property("complete", True)
    return int(img.evaluate("img => img.naturalWidth"))


# --- the test ----------------------------------------------------------------------------------


def test_an_officer_handles_a_complaint_and_the_citizen_hears_of_each_step(
    chat: Chat, services: Services, tmp_path: Path
) -> None:
    started = time.monotonic()
    link_code = register_officer(services)
    street = street_photo(tmp_path / "street.png", BEFORE_WIDTH, lamps_on=1)
    progress = street_photo(tmp_path / "progress.png", PROGRESS_WIDTH, lamps_on=2)
    after = street_photo(tmp_path / "after.png", AFTER_WIDTH, lamps_on=3)
    chat.open()

    # The officer links her LINE account.
    chat.be(OFFICER)
    chat.send_text(link_code)
    linked = chat.bot("เชื่อมบัญชี LINE")
    expect(linked).to_contain_text("สมหญิง")
    expect(linked).to_contain_text("สำนักงานเขตจตุจักร")

    # The citizen files a complaint with a photo in Chatuchak.
    chat.be(CITIZEN)
    chat.send_text("แจ้งเรื่อง")
    expect(chat.bot("กรุณาพิมพ์เล่าปัญหาที่พบ")).to_be_visible()
    chat.send_text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    expect(chat.bot("ส่งรูปภาพของปัญหาได้สูงสุด 4 รูป")).to_be_visible()
    chat.send_photo(street)
    expect(chat.bot("ได้รับรูปภาพแล้วค่ะ (1/4)")).to_be_visible()
    chat.chip("เสร็จแล้ว").click()
    expect(chat.bot("กรุณาส่งตำแหน่งของจุดที่พบปัญหา")).to_be_visible()
    chat.send_location(*JATUJAK)
    expect(chat.bot("ตำแหน่งนี้อยู่ในพื้นที่สำนักงานเขตจตุจักร")).to_be_visible()
    chat.chip("แสงสว่าง").click()
    expect(chat.card("ตรวจสอบก่อนส่งเรื่องค่ะ")).to_be_visible()
    chat.chip("ยืนยันส่งเรื่อง").click()
    filed = chat.bot("ส่งเรื่องเรียบร้อยแล้วค่ะ")
    expect(filed).to_contain_text(CODE)
    code = CODE.search(filed.inner_text())[0]  # type: ignore[index]

    # The officer has the new-complaint card (a push), with the citizen's photo and the buttons.
    chat.be(OFFICER)
    card = chat.card(f"เรื่องใหม่ {code}")
    expect(card).to_have_count(1)
    for shown in ("ไฟถนนดับ 3 ต้น หน้าซอย 5", "แสงสว่าง · จตุจักร", "สถานะ: ส่งถึงเขตแล้ว", "ต้องรับเรื่องภายใน"):
        expect(card).to_contain_text(shown)
    expect(card.get_by_role("button")).to_have_text(
        ["รับเรื่อง", "โอนเรื่อง", "ไม่รับเรื่อง", "ดูรายละเอียด", "ซ่อนจากสาธารณะ", "แผนที่"]
    )
    assert loaded_width(card.locator(".flex-hero img")) == BEFORE_WIDTH
    chat.screenshot(tmp_path / "officer-card.png")

    card.get_by_role("button", name="รับเรื่อง", exact=True).click()
    expect(chat.user("รับเรื่อง")).to_be_visible()
    expect(chat.bot(f"รับเรื่อง {code} แล้วค่ะ")).to_contain_text("ต้องรายงานความคืบหน้าครั้งแรกภายใน")

    # Progress, from the card the bot sent with the acknowledgement.
    acknowledged = chat.card("สถานะ: เขตรับเรื่องแล้ว")
    expect(acknowledged).to_contain_text("รายงานความคืบหน้าครั้งแรกภายใน")
    acknowledged.get_by_role("button", name="รายงานความคืบหน้า", exact=True).click()
    expect(chat.bot(f"พิมพ์ความคืบหน้าของเรื่อง {code}")).to_be_visible()
    chat.send_text(PROGRESS_TEXT)
    expect(chat.bot("แนบรูปความคืบหน้าได้สูงสุด 4 รูป")).to_be_visible()
    chat.send_photo(progress)
    expect(chat.bot("ได้รับรูปภาพแล้วค่ะ (1/4)")).to_be_visible()
    chat.chip("ส่ง").click()
    expect(chat.bot(f"บันทึกความคืบหน้าเรื่อง {code}")).to_be_visible()

    # Resolution: the code typed, then the card's button; the "after" photo is required.
    chat.send_text(code)
    expect(chat.bot(f"เรื่อง {code} (กำลังดำเนินการ)")).to_be_visible()
    shown = chat.card("สถานะ: กำลังดำเนินการ")
    expect(shown).to_have_count(1)
    shown.get_by_role("button", name="แก้ไขเสร็จ", exact=True).click()
    expect(chat.bot(f"พิมพ์ผลการแก้ไขเรื่อง {code}")).to_be_visible()
    chat.send_text(RESULT_TEXT)
    expect(chat.bot("ส่งรูปหลังแก้ไขอย่างน้อย 1 รูป")).to_be_visible()
    chat.chip("ส่ง").click()
    expect(chat.bot("ต้องมีรูปหลังแก้ไข")).to_be_visible()
    expect(chat.bot("ส่งรูปหลังแก้ไขอย่างน้อย 1 รูป")).to_have_count(2)  # asked again, "ส่ง" anew
    chat.send_photo(after)
    expect(chat.bot("ได้รับรูปภาพแล้วค่ะ (1/4)")).to_have_count(2)  # the progress photo was the first
    expect(chat.bot("ส่งรูปหลังแก้ไขอย่างน้อย 1 รูป")).to_have_count(2)  # not asked again: counted
    expect(chat.bot("ได้รับรูปภาพแล้วค่ะ (1/4) กด “ส่ง” เพื่อบันทึกผลการแก้ไข")).to_have_count(1)
    chat.chip("ส่ง").click()
    expect(chat.bot(f"บันทึกว่าแก้ไขเรื่อง {code} เสร็จแล้ว")).to_be_visible()

    # The citizen heard of each step (pushes, with the photos) and rates the fix.
    chat.be(CITIZEN)
    expect(chat.bot(f"สำนักงานเขตจตุจักรรับเรื่อง {code} แล้วค่ะ")).to_contain_text("จะรายงานความคืบหน้าภายใน")
    expect(chat.bot(f"ความคืบหน้าเรื่อง {code} จากสำนักงานเขตจตุจักรค่ะ")).to_contain_text(PROGRESS_TEXT)
    expect(chat.bot(f"สำนักงานเขตจตุจักรแก้ไขเรื่อง {code} เสร็จแล้วค่ะ")).to_contain_text(RESULT_TEXT)
    expect(chat.images).to_have_count(2)
    assert [loaded_width(img) for img in chat.images.all()] == [PROGRESS_WIDTH, AFTER_WIDTH]
    expect(chat.bot(f"พอใจกับการแก้ไขเรื่อง {code} แค่ไหนคะ")).to_be_visible()
    expect(chat.page.get_by_test_id("quick-replies").get_by_role("button")).to_have_text(
        ["5 ดาว", "4 ดาว", "3 ดาว", "2 ดาว", "1 ดาว", "ยังไม่ได้รับการแก้ไข"]
    )
    chat.chip("5 ดาว").click()
    expect(chat.user("⭐⭐⭐⭐⭐")).to_be_visible()
    expect(chat.bot("ขอบคุณสำหรับคะแนน 5 ดาว")).to_be_visible()
    chat.screenshot(tmp_path / "citizen-notices.png", height=1500)

    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        assert (complaint.status, complaint.rating, complaint.district_code) == ("resolved", 5, "1030")
        of_it = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
        events = session.scalars(of_it.order_by(ComplaintEvent.id)).all()
        kinds = [e.kind for e in events]
        assert kinds == ["filed", "routed", "acknowledged", "progress", "resolved", "rated"]
        kind_of = {e.id: e.kind for e in events}
        photos = session.scalars(select(Photo).where(Photo.complaint_id == complaint.id).order_by(Photo.id))
        assert [kind_of.get(p.event_id) for p in photos] == ["filed", "progress", "resolved"]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in ("officer-card.png", "citizen-notices.png"):
        shutil.copy(tmp_path / name, ARTIFACTS / name)
    print(f"\nofficer flow took {time.monotonic() - started:.1f} s")
