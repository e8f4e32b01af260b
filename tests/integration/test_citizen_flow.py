"""The citizen's conversation: any way in, only what is missing asked, and every way out.

Through the webhook and the worker, on every backend; the harness starts on Monday
2026-11-23 09:00 in Bangkok.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.services import Services
from handlers.citizen_dialog import expire_idle_drafts
from models import Citizen, Complaint, ComplaintEvent, Dialog, Photo
from models.db import transaction
from tests.citizen_chat import JATUJAK, OUTSIDE_BANGKOK, SIAM, Chat, actions, complaints, flex_cards, texts

ASK_DESCRIPTION = "กรุณาพิมพ์เล่าปัญหา"
ASK_PHOTOS = "ส่งรูปภาพของปัญหาได้สูงสุด 4 รูป"
ASK_LOCATION = "กรุณาส่งตำแหน่งของจุดที่พบปัญหา"
ASK_CATEGORY = "ปัญหานี้เป็นเรื่องประเภทใดคะ"
EXPIRED = "ไม่มีการตอบเกิน 30 นาที จึงยกเลิกให้แล้ว"
CANCELLED = "ยกเลิกเรื่องที่กำลังแจ้งแล้วค่ะ"
NEAR_JATUJAK = (13.8041, 100.5531)  # about 15 m from JATUJAK


def dialog(services, user: str) -> Dialog:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        found = session.scalar(select(Dialog).where(Dialog.line_user_id == user))
        assert found is not None
        return found


def events(services, complaint: Complaint) -> dict[str, ComplaintEvent]:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        rows = session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id))
        return {e.kind: e for e in rows}


def to_summary(
    chat: Chat,
    description: str = "ไฟถนนดับ หน้าซอย 5",
    where: tuple[float, float] = JATUJAK,
    category: str = "แสงสว่าง",
) -> None:
    chat.text(description)
    chat.tap("ไม่มีรูป")
    chat.location(*where)
    chat.tap(category)
    assert flex_cards(chat.last), chat.said()


def file_one(chat: Chat, **kw: Any) -> str:
    to_summary(chat, **kw)
    chat.tap("ยืนยันส่งเรื่อง")
    assert "ส่งเรื่องเรียบร้อยแล้วค่ะ" in chat.said()
    return complaints(chat.services)[-1].tracking_code


def card_fields(messages: list[dict[str, Any]]) -> dict[str, str]:
    """The summary card's rows as {label: value}."""
    (card,) = flex_cards(messages)
    rows = card["contents"]["body"]["contents"]
    return {r["contents"][0]["text"]: r["contents"][1]["text"] for r in rows if r["type"] == "box"}


# ---- ways in: only what is missing is asked ----------------------------------------------------


def test_starting_with_a_photo_asks_for_the_description_then_the_place(chat: Chat, services) -> None:
    chat.photo("first")
    assert "(1/4)" in chat.said() and ASK_DESCRIPTION in chat.said()
    chat.text("ทางเท้าแตก กระเบื้องหลุด")
    assert ASK_LOCATION in chat.said() and ASK_PHOTOS not in chat.said()
    chat.location(*SIAM)
    assert "ปทุมวัน" in chat.said() and ASK_CATEGORY in chat.said()
    assert chat.last[-1]["quickReply"]["items"][0]["action"]["label"] == "ทางเท้า"


def test_starting_with_a_location_never_asks_for_it_again(chat: Chat, services) -> None:
    said = [texts(chat.location(*JATUJAK))]
    assert "จตุจักร" in said[0] and ASK_DESCRIPTION in said[0]
    said.append(texts(chat.text("ไฟถนนดับ 3 ต้น")))
    assert ASK_PHOTOS in said[-1]
    said.append(texts(chat.photo("p1")))
    said.append(texts(chat.tap("เสร็จแล้ว")))
    assert ASK_CATEGORY in said[-1]
    said.append(texts(chat.tap("แสงสว่าง")))
    assert card_fields(chat.last)["ส่งถึง"] == "สำนักงานเขตจตุจักร"
    assert not any(ASK_LOCATION in s for s in said)
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    assert (complaint.district_code, complaint.latitude) == ("1030", JATUJAK[0])


def test_starting_with_text_keeps_it_as_the_description(chat: Chat, services) -> None:
    chat.text("ขยะล้นถังหน้าตลาด")
    assert ASK_PHOTOS in chat.said() and ASK_DESCRIPTION not in chat.said()
    assert dialog(services, chat.user).data["description"] == "ขยะล้นถังหน้าตลาด"
    chat.tap("ไม่มีรูป")
    assert ASK_LOCATION in chat.said()


# ---- ways out: cancel and expiry -----------------------------------------------------------------

CANCEL_POINTS: dict[str, Callable[[Chat], object]] = {
    "describe": lambda c: c.text("แจ้งเรื่อง"),
    "photos": lambda c: (c.text("ไฟดับ"), c.photo("p1")),
    "outside": lambda c: (c.text("ไฟดับ"), c.tap("ไม่มีรูป"), c.location(*OUTSIDE_BANGKOK)),
    "confirm": to_summary,
}


@pytest.mark.parametrize("point", CANCEL_POINTS)
def test_cancel_drops_the_draft_and_files_nothing(chat: Chat, services, point: str) -> None:
    CANCEL_POINTS[point](chat)
    assert dialog(services, chat.user).state == point
    chat.text("ยกเลิก")
    assert CANCELLED in chat.said()
    state = dialog(services, chat.user)
    assert (state.state, state.data, state.expires_at) == ("idle", {}, None)
    assert complaints(services) == []
    chat.text("ยกเลิก")
    assert "ตอนนี้ไม่มีเรื่องที่กำลังแจ้งอยู่ค่ะ" in chat.said()


def test_the_cancel_button_on_the_summary_card_cancels(chat: Chat, services) -> None:
    to_summary(chat)
    chat.tap("ยกเลิก")
    assert CANCELLED in chat.said()
    assert dialog(services, chat.user).state == "idle" and complaints(services) == []


def test_a_message_after_31_minutes_expires_the_draft_then_starts_a_new_one(chat: Chat, services) -> None:
    chat.text("ไฟถนนดับ")
    chat.wait(minutes=31)
    chat.text("ถนนเป็นหลุมใหญ่")
    said = chat.said()
    assert EXPIRED in said and ASK_PHOTOS in said and said.index(EXPIRED) < said.index(ASK_PHOTOS)
    row = dialog(services, chat.user)
    assert (row.state, row.draft_no, row.data["description"]) == ("photos", 2, "ถนนเป็นหลุมใหญ่")
    assert complaints(services) == []


def test_the_expiry_notice_is_not_lost_in_a_set_of_photos(chat: Chat, services) -> None:
    chat.text("ไฟถนนดับ")
    chat.wait(minutes=31)
    said = [texts(chat.photo(f"s{i}", image_set=(i, 3))) for i in (1, 2, 3)]
    assert "(3/4)" in said[-1] and ASK_DESCRIPTION in said[-1]
    assert any(EXPIRED in s for s in said)  # the citizen must learn why the description is asked again


def test_the_sweep_expires_drafts_idle_for_30_minutes(client, services, stub) -> None:
    idle = Chat(client, services, stub)
    idle.text("ไฟถนนดับ")
    busy = Chat(client, services, stub, start=idle.at + timedelta(minutes=20))
    busy.text("ขยะล้นถัง")
    with transaction(services.sessions) as session:
        pushes = expire_idle_drafts(session, idle.at + timedelta(minutes=31))
    assert [user for user, _ in pushes] == [idle.user]
    assert EXPIRED in texts(pushes[0][1])
    assert (
        dialog(services, idle.user).state == "idle" and "description" not in dialog(services, idle.user).data
    )
    assert dialog(services, busy.user).state == "photos"
    assert complaints(services) == []
    idle.wait(minutes=32)
    idle.text("แจ้งเรื่อง")
    assert EXPIRED not in idle.said() and ASK_DESCRIPTION in idle.said()


def test_a_draft_idle_29_minutes_is_not_expired(chat: Chat, services) -> None:
    chat.text("ไฟถนนดับ")
    with transaction(services.sessions) as session:
        assert expire_idle_drafts(session, chat.at + timedelta(minutes=29)) == []
    chat.wait(minutes=29)
    chat.tap("ไม่มีรูป")
    assert EXPIRED not in chat.said() and ASK_LOCATION in chat.said()
    assert dialog(services, chat.user).data["description"] == "ไฟถนนดับ"


# ---- the place -----------------------------------------------------------------------------------


def test_outside_bangkok_offers_a_district_picker_and_files_to_the_picked_district(
    chat: Chat, services
) -> None:
    chat.text("ไฟถนนดับหน้าหมู่บ้าน")
    chat.tap("ไม่มีรูป")
    chat.location(*OUTSIDE_BANGKOK)
    assert "บริการนี้รับเรื่องเฉพาะในกรุงเทพฯ" in chat.said()
    chat.tap("เลือกเขต")
    (picker,) = flex_cards(chat.last)
    assert len([a for a in actions([picker]) if a["type"] == "postback"]) == 50
    chat.tap("บางรัก")
    assert "เลือกสำนักงานเขตบางรักแล้วค่ะ" in chat.said() and ASK_CATEGORY in chat.said()
    chat.tap("แสงสว่าง")
    chat.tap("ยืนยันส่งเรื่อง")
    assert "สำนักงานเขตบางรัก" in chat.said()
    (complaint,) = complaints(services)
    assert complaint.district_code == "1004"
    assert events(services, complaint)["routed"].data["how"] == "citizen"


@pytest.mark.parametrize("typed", ["บางรัก", "เขตบางรัก", "Bang Rak"])
def test_a_district_name_typed_instead_of_a_location(chat: Chat, services, typed: str) -> None:
    chat.text("ทางเท้าชำรุด")
    chat.tap("ไม่มีรูป")
    chat.text(typed)
    assert "เลือกสำนักงานเขตบางรักแล้วค่ะ" in chat.said() and ASK_CATEGORY in chat.said()
    data = dialog(services, chat.user).data
    assert (data["district"], data["routed_by"], data["description"]) == ("1004", "citizen", "ทางเท้าชำรุด")


def test_an_unknown_district_name_in_the_picker_is_asked_again(chat: Chat, services) -> None:
    chat.text("ทางเท้าชำรุด")
    chat.tap("ไม่มีรูป")
    chat.tap("เลือกเขต")
    chat.text("แอตแลนติส")
    assert "ไม่พบเขตชื่อ “แอตแลนติส”" in chat.said() and len(flex_cards(chat.last)) == 1
    assert dialog(services, chat.user).state == "pick_district"
    chat.text("จตุจักร")
    assert "เลือกสำนักงานเขตจตุจักรแล้วค่ะ" in chat.said()


# ---- the summary card: edit -----------------------------------------------------------------------


def test_editing_the_category_returns_to_the_summary_with_the_new_one(chat: Chat, services) -> None:
    to_summary(chat, description="เสาไฟเอียง หน้าซอย 5")
    assert card_fields(chat.last)["ประเภท"] == "แสงสว่าง"
    chat.tap("แก้ไข")
    assert "ต้องการแก้ไขส่วนไหนคะ" in chat.said()
    chat.tap("ประเภท")
    assert ASK_CATEGORY in chat.said()
    chat.tap("ถนน")
    assert card_fields(chat.last)["ประเภท"] == "ถนน"
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    assert complaint.category == "ถนน"


def test_editing_the_photos_clears_them(chat: Chat, services) -> None:
    chat.text("ต้นไม้ล้มขวางทาง")
    chat.photo("old")
    chat.tap("เสร็จแล้ว")
    chat.location(*JATUJAK)
    chat.tap("ต้นไม้")
    assert card_fields(chat.last)["รูปภาพ"] == "1 รูป"
    chat.tap("แก้ไข")
    chat.tap("รูปภาพ")
    assert "ลบรูปเดิมแล้วค่ะ" in chat.said() and ASK_PHOTOS in chat.said()
    assert dialog(services, chat.user).data["photo_ids"] == []
    chat.photo("new")
    chat.tap("เสร็จแล้ว")
    assert card_fields(chat.last)["รูปภาพ"] == "1 รูป"
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    with transaction(services.sessions) as session:
        attached = session.scalars(select(Photo.line_message_id).where(Photo.complaint_id == complaint.id))
        assert list(attached) == ["new"]


# ---- possible duplicates ----------------------------------------------------------------------


def test_a_nearby_open_complaint_of_the_same_category_is_pointed_out(client, services, stub) -> None:
    neighbour = Chat(client, services, stub)
    first = file_one(neighbour)
    other = Chat(client, services, stub, start=neighbour.at)
    to_summary(other, description="ไฟทางดับ มืดมาก", where=NEAR_JATUJAK)
    notice, card = other.last[-2], other.last[-1]
    assert "ใกล้จุดนี้ (ไม่เกิน 50 เมตร)" in texts([notice]) and first in texts([notice])
    assert card["type"] == "flex" and "อาจซ้ำกับเรื่องที่มีอยู่ใกล้ ๆ" in texts([card])
    other.tap("ยืนยันส่งเรื่อง")
    original, duplicate = complaints(services)
    assert duplicate.possible_duplicate_of_id == original.id
    assert events(services, duplicate)["filed"].data["possible_duplicates"] == [first]


def test_a_different_category_at_the_same_spot_is_not_a_duplicate(client, services, stub) -> None:
    neighbour = Chat(client, services, stub)
    file_one(neighbour)
    other = Chat(client, services, stub, start=neighbour.at)
    to_summary(other, description="ถนนเป็นหลุม", where=NEAR_JATUJAK, category="ถนน")
    assert "ใกล้จุดนี้" not in other.said()
    other.tap("ยืนยันส่งเรื่อง")
    _, second = complaints(services)
    assert second.possible_duplicate_of_id is None
    assert events(services, second)["filed"].data["possible_duplicates"] == []


# ---- status on demand ---------------------------------------------------------------------------


def test_tracking_lists_own_complaints_newest_first(chat: Chat, services) -> None:
    file_one(Chat(chat.client, services, chat.stub))  # someone else's
    chat.wait(minutes=5)
    older = file_one(chat)
    newer = file_one(chat, description="ขยะล้นถัง", where=SIAM, category="ความสะอาด")
    chat.text("ติดตามเรื่อง")
    said = chat.said()
    assert "(2 จาก 2 เรื่อง)" in said
    assert said.index(newer) < said.index(older)
    assert said.count("ส่งถึงเขตแล้ว รอเขตรับเรื่อง") == 2
    assert said.count("เขตต้องรับเรื่องภายใน 24 พ.ย. 2569") == 2
    assert "เขตปทุมวัน" in said and "เขตจตุจักร" in said


def test_tracking_with_no_complaints_says_so_and_keeps_the_draft(chat: Chat, services) -> None:
    chat.text("ไฟถนนดับ")
    chat.text("ติดตามเรื่อง")
    assert "คุณยังไม่มีเรื่องที่แจ้งไว้ค่ะ" in chat.said()
    assert ASK_PHOTOS in chat.said() and dialog(services, chat.user).state == "photos"
    chat.tap("ไม่มีรูป")
    assert ASK_LOCATION in chat.said()


def test_a_tracking_code_shows_status_and_history(chat: Chat, services) -> None:
    code = file_one(chat)
    chat.text(code.lower().replace("-", " "))
    said = chat.said()
    assert f"เรื่อง {code} ค่ะ" in said and "ประเภท: แสงสว่าง" in said
    assert "สถานะ: ส่งถึงเขตแล้ว รอเขตรับเรื่อง" in said and "24 พ.ย. 2569" in said
    assert "• 23 พ.ย. 2569 09:00 น. คุณแจ้งเรื่อง" in said
    assert "ส่งถึงสำนักงานเขตจตุจักร" in said


def test_another_citizens_code_is_answered_like_a_made_up_one(client, services, stub) -> None:
    owner = Chat(client, services, stub)
    code = file_one(owner, description="ไฟถนนดับ บ้านเลขที่ 99")
    stranger = Chat(client, services, stub, start=owner.at)
    made_up = "69-ZZZZZZ" if code != "69-ZZZZZZ" else "69-YYYYYY"
    theirs = texts(stranger.text(code))
    invented = texts(stranger.text(made_up))
    assert "ไม่พบเรื่องรหัส" in theirs
    assert theirs.replace(code, "CODE") == invented.replace(made_up, "CODE")
    answer = theirs.replace(code, "CODE")  # the random code itself may hold "99"
    assert "99" not in answer and "จตุจักร" not in answer and "แสงสว่าง" not in answer


# ---- lasting state ------------------------------------------------------------------------------


def test_the_draft_survives_a_restart(chat: Chat, services, stub) -> None:
    chat.text("ไฟถนนดับ หน้าซอย 5")
    chat.tap("ไม่มีรูป")
    chat.location(*JATUJAK)
    category_question = chat.last
    fresh = Services.from_settings(services.settings)
    try:
        after = Chat(create_app(services=fresh).test_client(), fresh, stub, user=chat.user, start=chat.at)
        after.tap("แสงสว่าง", category_question)
        assert card_fields(after.last)["ปัญหา"] == "ไฟถนนดับ หน้าซอย 5"
        after.tap("ยืนยันส่งเรื่อง")
        assert "ส่งเรื่องเรียบร้อยแล้วค่ะ" in after.said()
    finally:
        fresh.engine.dispose()
    (complaint,) = complaints(services)
    assert (complaint.district_code, complaint.category) == ("1030", "แสงสว่าง")


def test_an_english_speaking_citizen_gets_english(chat: Chat, services) -> None:
    chat.text("report")
    with transaction(services.sessions) as session:
        session.scalar(select(Citizen).where(Citizen.line_user_id == chat.user)).language = "en"
    chat.text("Street light broken in front of Soi 5")
    assert "Send up to 4 photos" in chat.said()
    chat.tap("No photo")
    assert "Please send the location of the problem" in chat.said()
    chat.location(*JATUJAK)
    assert "Chatuchak district office" in chat.said() and "What kind of problem" in chat.said()
    assert "แสงสว่าง" not in chat.said()  # the categories in English too
    chat.tap("Street lighting")
    assert "Please check before sending" in chat.said()
    chat.tap("Send report")
    assert "Your report was sent" in chat.said() and "ค่ะ" not in chat.said()
    assert complaints(services)[-1].category == "แสงสว่าง"  # recorded by its Thai name whatever the language
