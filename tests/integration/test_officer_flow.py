"""Officers on LINE: linking, the card, acknowledge, progress, resolve, and what the citizen hears."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models import Complaint, ComplaintEvent, Photo
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from tests.citizen_chat import JATUJAK, Chat, flex_cards

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def register(services, district: str = "1030", name: str = "สมศรี", role: str = "officer") -> str:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        officer = add_officer(session, district, name, role, NOW)
        return new_link_code(session, officer, NOW).code


def file_one(citizen: Chat) -> str:
    citizen.text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    citizen.tap("ไม่มีรูป")
    citizen.location(*JATUJAK)
    citizen.tap("แสงสว่าง")
    citizen.tap("ยืนยันส่งเรื่อง")
    with transaction(citizen.services.sessions) as session:
        return session.scalars(select(Complaint.tracking_code).order_by(Complaint.id.desc())).first()  # type: ignore[return-value]


@pytest.fixture
def people(client, services, stub):  # type: ignore[no-untyped-def]
    citizen = Chat(client, services, stub)
    officer = Chat(client, services, stub)
    code = register(services)
    officer.text(code)
    assert "เชื่อมบัญชี LINE" in officer.said()
    return citizen, officer


def test_a_linked_officer_gets_the_card_and_handles_the_complaint_to_the_end(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    assert code in officer.said() and "ต้องรับเรื่องภายใน" in officer.said()

    officer.tap("รับเรื่อง", [card])
    assert "รับเรื่อง" in officer.said() and "ภายใน" in officer.said()
    assert "รับเรื่อง" in "".join(m.get("text", "") for m in citizen.inbox())

    officer.tap("รายงานความคืบหน้า")
    officer.text("ช่างไฟฟ้าตรวจแล้ว รออะไหล่")
    officer.photo("o1")
    officer.tap("ส่ง")
    assert "บันทึกความคืบหน้า" in officer.said()
    told = citizen.inbox()
    assert "ช่างไฟฟ้าตรวจแล้ว" in told[0]["text"] and told[1]["type"] == "image"

    officer.text(code)
    officer.tap("แก้ไขเสร็จ")
    officer.text("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    officer.tap("ส่ง")
    assert "ต้องมีรูปหลังแก้ไข" in officer.said()  # the after photo is required
    officer.photo("o2")
    officer.tap("ส่ง")
    told = citizen.inbox()
    assert "เปลี่ยนหลอดไฟครบ" in told[0]["text"] and told[1]["type"] == "image"
    citizen.last = told
    citizen.tap("5 ดาว")
    assert "5 ดาว" in citizen.said()
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint))
        assert (complaint.status, complaint.rating) == ("resolved", 5)
        kinds = [e.kind for e in session.scalars(select(ComplaintEvent).order_by(ComplaintEvent.id))]
        assert kinds == ["filed", "routed", "acknowledged", "progress", "resolved", "rated"]
        after = session.scalars(select(Photo).where(Photo.complaint_id == complaint.id)).all()
        assert len(after) == 2 and all(p.event_id for p in after)
