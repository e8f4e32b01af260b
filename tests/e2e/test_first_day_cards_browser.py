"""The officer's card in the sandbox chat page says what happened, and shows no officer's photo.

Real headless Chromium against the live server and the running worker (tests/sandbox_page.py):
the officer "เจ้าหน้าที่ สมหญิง" of Chatuchak links her LINE account, the citizen files a complaint
without a photo, and the officer gets (1) a complaint transferred to her from Pathum Wan, whose
officer had reported progress with a photo, or (2) her own complaint back, reopened by the
citizen after she resolved it with an "after" photo. Each card is titled by what happened, says
why, and has no photo at all (the citizen sent none). Screenshots of both cards go to SCREENS.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from models import Complaint
from models.clock import clock
from models.db import transaction
from models.officer_links import add_officer
from models.photos import save_photo
from tests.e2e.test_officer_browser import register_officer
from tests.sandbox_page import CITIZEN, CODE, JATUJAK, OFFICER, Chat, street_photo

pytestmark = pytest.mark.browser

SCREENS = Path("/work/notes/screens")
SIAM = (13.7455, 100.5340)  # Pathum Wan (1007)
REASON = "จุดนี้อยู่ฝั่งถนนพหลโยธิน ในเขตจตุจักร"
NOT_FIXED = "ยังดับอยู่ 1 ต้น ตรงเสาที่ 3"


@pytest.fixture
def chat(districts: None, sandbox_chat: Chat) -> Chat:
    """The sandbox page, with the district boundaries loaded (routing by location)."""
    return sandbox_chat


def link_officer(chat: Chat, services: Services) -> None:
    chat.open()
    chat.be(OFFICER)
    chat.send_text(register_officer(services))  # of Chatuchak (1030)
    expect(chat.bot("เชื่อมบัญชี LINE")).to_contain_text("สำนักงานเขตจตุจักร")


def file_without_photo(chat: Chat, where: tuple[float, float], district: str) -> str:
    """The citizen files a street-light complaint with no photo; its tracking code."""
    chat.be(CITIZEN)
    chat.send_text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    chat.chip("ไม่มีรูป").click()
    expect(chat.bot("กรุณาส่งตำแหน่งของจุดที่พบปัญหา")).to_be_visible()
    chat.send_location(*where)
    expect(chat.bot(f"ตำแหน่งนี้อยู่ในพื้นที่สำนักงานเขต{district}")).to_be_visible()
    chat.chip("แสงสว่าง").click()
    chat.chip("ยืนยันส่งเรื่อง").click()
    filed = chat.bot("ส่งเรื่องเรียบร้อยแล้วค่ะ")
    expect(filed).to_contain_text(CODE)
    return CODE.search(filed.inner_text())[0]  # type: ignore[index]


def officer_card(chat: Chat, title: str, why: str, status: str, buttons: list[str], name: str) -> None:
    """The one card with this title says why and the status, is not "new", has no photo; shot to SCREENS."""
    chat.be(OFFICER)
    card = chat.card(title)
    expect(card).to_have_count(1)
    for shown in (why, f"สถานะ: {status}"):
        expect(card).to_contain_text(shown)
    expect(card).not_to_contain_text("เรื่องใหม่")
    expect(card.locator(".flex-hero")).to_have_count(0)  # no officer's photo: the citizen sent none
    expect(card.locator("img")).to_have_count(0)
    expect(card.get_by_role("button")).to_have_text(buttons)
    SCREENS.mkdir(parents=True, exist_ok=True)
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(SCREENS / name))


def test_a_card_transferred_in_names_the_district_and_the_reason_and_shows_no_officers_photo(
    chat: Chat, services: Services, tmp_path: Path
) -> None:
    link_officer(chat, services)
    code = file_without_photo(chat, SIAM, "ปทุมวัน")

    # Pathum Wan's officer (on the staff web, say) reports progress with a photo, then transfers it.
    progress = street_photo(tmp_path / "progress.png", 300, lamps_on=2).read_bytes()
    settings = services.settings
    with transaction(services.sessions) as session:
        pathum_wan = use_cases.Actor.officer(add_officer(session, "1007", "สมชาย", "officer", clock.now()))
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None and complaint.district_code == "1007"
        links = Links(settings.secret_key.encode(), settings.public_base_url)
        acting = use_cases.Acting(session, pathum_wan, clock.now(), links)
        use_cases.acknowledge(acting, complaint)
        photo = save_photo(session, settings.photo_dir, progress, "image/png", clock.now())
        use_cases.progress(acting, complaint, "ช่างตรวจแล้ว", [photo])
        use_cases.transfer(acting, complaint, "1030", REASON)
    services.wake.set()

    officer_card(  # without the Pathum Wan officer's progress photo
        chat,
        f"เรื่อง {code} โอนมาจากสำนักงานเขตปทุมวัน",
        f"เหตุผล: {REASON}",
        "ส่งถึงเขตแล้ว รอเขตรับเรื่อง",
        ["รับเรื่อง", "โอนเรื่อง", "ไม่รับเรื่อง", "ดูรายละเอียด", "ซ่อนจากสาธารณะ", "แผนที่"],
        "officer-card-transferred.png",
    )


def test_a_reopened_card_says_the_citizen_found_it_not_fixed_and_shows_no_after_photo(
    chat: Chat, services: Services, tmp_path: Path
) -> None:
    link_officer(chat, services)
    code = file_without_photo(chat, JATUJAK, "จตุจักร")

    chat.be(OFFICER)
    new = chat.card(f"เรื่องใหม่ {code}")
    expect(new.locator(".flex-hero")).to_have_count(0)
    new.get_by_role("button", name="รับเรื่อง", exact=True).click()
    working = chat.card(f"เรื่อง {code} · สถานะ: เขตรับเรื่องแล้ว")  # her own card: by its status
    expect(working).to_have_count(1)
    working.get_by_role("button", name="แก้ไขเสร็จ", exact=True).click()
    expect(chat.bot(f"พิมพ์ผลการแก้ไขเรื่อง {code}")).to_be_visible()
    chat.send_text("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    chat.send_photo(street_photo(tmp_path / "after.png", 280, lamps_on=3))
    expect(chat.bot("ได้รับรูปภาพแล้วค่ะ (1/4) กด “ส่ง” เพื่อบันทึกผลการแก้ไข")).to_be_visible()
    chat.chip("ส่ง").click()
    expect(chat.bot(f"บันทึกว่าแก้ไขเรื่อง {code} เสร็จแล้ว")).to_be_visible()

    chat.be(CITIZEN)
    expect(chat.bot(f"พอใจกับการแก้ไขเรื่อง {code} แค่ไหนคะ")).to_be_visible()
    chat.chip("ยังไม่ได้รับการแก้ไข").click()
    expect(chat.bot("กรุณาพิมพ์ว่ายังพบปัญหาอะไร")).to_be_visible()
    chat.send_text(NOT_FIXED)
    expect(chat.bot(f"ส่งเรื่อง {code} กลับให้สำนักงานเขตจตุจักรแล้วค่ะ")).to_be_visible()

    officer_card(  # without her own "after" photo
        chat,
        f"เรื่อง {code} ผู้แจ้งแจ้งว่ายังไม่ได้แก้ไข ครั้งที่ 1",
        f"ความเห็นผู้แจ้ง: {NOT_FIXED}",
        "กำลังดำเนินการ",
        ["รายงานความคืบหน้า", "แก้ไขเสร็จ", "โอนเรื่อง", "ไม่รับเรื่อง", "ดูรายละเอียด", "ซ่อนจากสาธารณะ", "แผนที่"],
        "officer-card-reopened.png",
    )
    expect(chat.card("เรื่องใหม่")).to_have_count(1)  # only the first card was "new"
