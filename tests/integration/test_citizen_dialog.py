"""The citizen's complaint dialog, end to end through the webhook and the worker (every backend)."""

from __future__ import annotations

from sqlalchemy import select

from models import ComplaintEvent, Dialog, Photo
from models.db import transaction
from tests.citizen_chat import JATUJAK, Chat, complaints, flex_cards


def test_a_complaint_with_photo_and_location_is_filed_to_the_right_district(chat: Chat, services) -> None:
    chat.text("แจ้งเรื่อง")
    assert "เล่าปัญหา" in chat.said()
    chat.text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    assert "ส่งรูปภาพ" in chat.said()
    chat.photo("p1")
    assert "(1/4)" in chat.said()
    chat.tap("เสร็จแล้ว")
    assert "ส่งตำแหน่ง" in chat.said()
    chat.location(*JATUJAK)
    assert "จตุจักร" in chat.said()
    assert chat.button("แสงสว่าง") == chat.button("แสงสว่าง")  # the likeliest category is offered
    first = [a for a in chat.last[-1]["quickReply"]["items"]][0]["action"]["label"]
    assert first == "แสงสว่าง"
    chat.tap("แสงสว่าง")
    (card,) = flex_cards(chat.last)
    assert "ไฟถนนดับ" in chat.said() and "จตุจักร" in chat.said() and "1 รูป" in chat.said()
    assert card["contents"]["hero"]["url"].startswith("http")
    chat.tap("ยืนยันส่งเรื่อง")
    said = chat.said()
    (complaint,) = complaints(services)
    assert complaint.tracking_code in said
    assert "สำนักงานเขตจตุจักร" in said and "ฝ่ายโยธา" in said
    assert "24 พ.ย. 2569" in said  # filed Monday 23 Nov: acknowledge by the end of the next working day
    assert complaint.district_code == "1030" and complaint.category == "แสงสว่าง"
    assert complaint.description == "ไฟถนนดับ 3 ต้น หน้าซอย 5"
    assert complaint.section == "ฝ่ายโยธา"
    assert complaint.created_at == complaint.routed_at == chat.at  # the confirming event's LINE time
    with transaction(services.sessions) as session:
        (photo,) = session.scalars(select(Photo))
        assert photo.complaint_id == complaint.id
        kinds = [e.kind for e in session.scalars(select(ComplaintEvent))]
        assert kinds == ["filed", "routed"]
        dialog = session.scalar(select(Dialog))
        assert dialog.state == "idle" and dialog.expires_at is None
