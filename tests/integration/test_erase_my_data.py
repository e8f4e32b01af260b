"""'ลบข้อมูลของฉัน': the citizen's identity erased and their texts masked, the public record and the KPI kept."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from kpi.database_scoring import score_database
from kpi.schemes import load_kpi32
from models import Channel, Citizen, Complaint, ComplaintEvent, Dialog, InboxEvent, OutboxMessage, Photo
from models import complaint_operations as operations
from models.clock import clock
from models.db import transaction
from models.outbox import enqueue
from models.personal_data import NOT_SENT_ERASED, erase_citizen, erase_reporter, mask_personal_text
from models.working_days import load_calendar
from tests.citizen_chat import JATUJAK, Chat, complaints

BANGKOK = ZoneInfo("Asia/Bangkok")
OFFICER = operations.Actor("officer", None, "1030", "สมศรี")
PRIVATE = ("081-234-5678", "somchai@example.com", "1-2345-67890-12-3", "089-876-5432")
AS_OF = datetime(2026, 12, 31, 23, 59, 59, tzinfo=BANGKOK)


def bkk(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BANGKOK)


def file_one(chat: Chat, description: str) -> Complaint:
    chat.text(description)
    chat.photo()
    chat.tap("เสร็จแล้ว")
    chat.location(*JATUJAK)
    chat.tap("แสงสว่าง")
    chat.tap("ยืนยันส่งเรื่อง")
    return complaints(chat.services)[-1]


def after_photo(s: Any, at: datetime) -> list[Photo]:
    """An officer's "after" photo (a resolution needs one)."""
    photo = Photo(path="after.png", content_type="image/png", size_bytes=1, sha256="a", created_at=at)
    s.add(photo)
    s.flush()
    return [photo]


def links() -> Links:
    return Links(signing_key=b"k" * 32, public_base_url="https://rongtook.example")


def kpi(services: Services) -> list[Any]:
    """The KPI scorer's verdicts for Chatuchak, every lost point explained (as the KPI pages score)."""
    return score_database(services.sessions, load_kpi32(), 2570, AS_OF, ["1030"], workers=1)


def snapshot(services: Services) -> dict[str, Any]:
    """What stays for the public record: complaints, events and photos, by their ids and kinds."""
    with transaction(services.sessions) as s:
        return {
            "complaints": [
                (c.id, c.tracking_code, c.citizen_id, c.status, c.routed_at, c.resolved_at, c.rating)
                for c in s.scalars(select(Complaint).order_by(Complaint.id))
            ],
            "events": [
                (e.id, e.complaint_id, e.kind, e.at, e.actor_kind)
                for e in s.scalars(select(ComplaintEvent).order_by(ComplaintEvent.id))
            ],
            "photos": [
                (p.id, p.complaint_id, p.path, p.sha256) for p in s.scalars(select(Photo).order_by(Photo.id))
            ],
        }


def all_text(services: Services) -> str:
    with transaction(services.sessions) as s:
        parts = [c.description for c in s.scalars(select(Complaint))]
        for e in s.scalars(select(ComplaintEvent)):
            parts += [e.text or "", json.dumps(e.data, ensure_ascii=False)]
    return "\n".join(parts)


def handled_history(services: Services, chat: Chat) -> tuple[Complaint, Complaint]:
    """One complaint resolved, reopened with the citizen's words and resolved again, one still open."""
    done = file_one(chat, f"ไฟดับทั้งซอย ติดต่อ {PRIVATE[0]} หรือ {PRIVATE[1]} บัตร {PRIVATE[2]}")
    still_open = file_one(chat, "ท่อระบายน้ำอุดตันหน้าบ้านเลขที่ 123/45")
    with transaction(services.sessions) as s:
        calendar = load_calendar(s)
        c = s.get(Complaint, done.id)
        citizen = s.get(Citizen, c.citizen_id)
        operations.acknowledge(s, c, OFFICER, bkk(23, 14), calendar)
        operations.report_progress(s, c, OFFICER, bkk(24, 9), "ช่างตรวจแล้ว")
        operations.resolve(s, c, OFFICER, bkk(25, 9), "เปลี่ยนหลอดแล้ว 3 ต้น", after_photo(s, bkk(25, 9)))
        operations.reopen(s, c, citizen, bkk(26, 9), f"ยังดับอยู่ 1 ต้น โทร {PRIVATE[3]}")
        operations.report_progress(s, c, OFFICER, bkk(27, 9), "ช่างเข้าแก้ไขอีกครั้ง")
        operations.resolve(s, c, OFFICER, bkk(30, 9), "ซ่อมครบแล้ว", after_photo(s, bkk(30, 9)))
        operations.rate(s, c, citizen, bkk(30, 10), 5)
    return done, still_open


def test_erasure_keeps_the_record_and_the_kpi_and_masks_the_citizens_words(
    chat: Chat, services: Services
) -> None:
    done, still_open = handled_history(services, chat)
    assert all(private in all_text(services) for private in PRIVATE)
    before_kpi, before = kpi(services), snapshot(services)
    assert before_kpi[0].n == 2

    chat.text("ลบข้อมูลของฉัน")
    said = chat.said()
    assert "ชื่อและบัญชี LINE ของคุณจะถูกลบ" in said
    assert "เรื่องที่ยังดำเนินการอยู่ 1 เรื่อง" in said and "ไม่ได้รับแจ้งความคืบหน้าอีก" in said
    assert "บันทึกสาธารณะ" in said and "กู้คืนไม่ได้" in said
    with transaction(services.sessions) as s:  # nothing happens before the confirmation
        assert s.scalar(select(Citizen).where(Citizen.line_user_id == chat.user)) is not None
    confirm = chat.button("ยืนยันลบข้อมูล")
    chat.tap("ยืนยันลบข้อมูล")
    assert "ลบข้อมูลส่วนบุคคลของคุณแล้ว" in chat.said()

    with transaction(services.sessions) as s:
        (citizen,) = s.scalars(select(Citizen))
        assert citizen.id == done.citizen_id  # the same row, now a pseudonym
        assert citizen.line_user_id.startswith("erased-") and chat.user not in citizen.line_user_id
        assert citizen.display_name is None and not citizen.following
        assert s.scalar(select(func.count()).select_from(Dialog).where(Dialog.line_user_id == chat.user)) == 0
        masked = s.get(Complaint, done.id)
        assert masked.description == ("ไฟดับทั้งซอย ติดต่อ [ซ่อนเบอร์โทร] หรือ [ซ่อนอีเมล] บัตร [ซ่อนเลขประจำตัวประชาชน]")
        assert s.get(Complaint, still_open.id).description == "ท่อระบายน้ำอุดตันหน้าบ้านเลขที่ 123/45"
    text = all_text(services)
    assert not any(private in text for private in PRIVATE)
    assert "ยังดับอยู่ 1 ต้น โทร [ซ่อนเบอร์โทร]" in text  # the reopening's words, masked
    assert "เปลี่ยนหลอดแล้ว 3 ต้น" in text  # the district's answers as they were
    with transaction(services.sessions) as s:  # what the chat carried is forgotten too
        carried = [*s.scalars(select(InboxEvent.payload)), *s.scalars(select(OutboxMessage.messages))]
        assert not any(private in row for row in carried for private in PRIVATE)
        assert not any("ไฟดับทั้งซอย" in row for row in carried)
    assert snapshot(services) == before  # complaints, events and photos all stay
    assert kpi(services) == before_kpi  # the KPI identical, to the last explained point
    with transaction(services.sessions) as s:
        for photo in s.scalars(select(Photo).where(Photo.citizen_id.is_not(None))):  # the citizen's files
            assert (services.settings.photo_dir / photo.path).exists()

    # Twice: the same button again is answered, and changes nothing.
    chat.postback(confirm["data"])
    assert "ถูกลบไปแล้ว" in chat.said()
    assert snapshot(services) == before and kpi(services) == before_kpi


def test_an_erased_citizens_open_complaint_is_handled_without_notices_to_them(
    chat: Chat, services: Services
) -> None:
    complaint = file_one(chat, "ไฟดับหน้าซอย 9")
    chat.text("ลบข้อมูลของฉัน")
    chat.tap("ยืนยันลบข้อมูล")
    with transaction(services.sessions) as s:
        c = s.get(Complaint, complaint.id)
        last = s.scalar(select(func.max(OutboxMessage.id))) or 0
        acting = use_cases.Acting(s, OFFICER, bkk(23, 15), links())
        use_cases.acknowledge(acting, c)
        use_cases.progress(use_cases.Acting(s, OFFICER, bkk(24, 9), links()), c, "ช่างตรวจแล้ว", [])
        resolving = use_cases.Acting(s, OFFICER, bkk(25, 9), links())
        use_cases.resolve(resolving, c, "ซ่อมเสร็จแล้ว", after_photo(s, bkk(25, 9)))
        assert c.status == "resolved"
        assert list(s.scalars(select(OutboxMessage.to).where(OutboxMessage.id > last))) == []  # to no one
    chat.inbox()
    assert chat.said() == ""  # nothing reached the LINE user


def test_notices_queued_before_the_erasure_are_not_sent(chat: Chat, services: Services) -> None:
    file_one(chat, "ไฟดับหน้าซอย 7")
    chat.text("ลบข้อมูลของฉัน")
    chat.said()
    with transaction(services.sessions) as s:  # a progress notice queued, and one that failed, meanwhile
        at = clock.now()
        waiting = enqueue(s, chat.user, [{"type": "text", "text": "ความคืบหน้า: ช่างเข้าตรวจแล้ว"}], now=at)
        failed = enqueue(s, chat.user, [{"type": "text", "text": "ผลการแก้ไข: เสร็จแล้ว"}], now=at)
        failed.status = "failed"
        ids = [waiting.id, failed.id]
    chat.tap("ยืนยันลบข้อมูล")
    said = chat.said()
    assert "ลบข้อมูลส่วนบุคคลของคุณแล้ว" in said
    assert "ช่างเข้าตรวจแล้ว" not in said and "ผลการแก้ไข" not in said
    with transaction(services.sessions) as s:
        for row in s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
            assert (row.status, row.messages, row.last_error) == ("done", "[]", NOT_SENT_ERASED)
            assert row.to.startswith("erased-") and row.sent_as is None


def test_after_erasure_the_same_line_user_is_a_new_citizen(chat: Chat, services: Services) -> None:
    code = file_one(chat, "ขยะล้นถังหน้าตลาด").tracking_code
    chat.text("ลบข้อมูลของฉัน")
    chat.tap("ยืนยันลบข้อมูล")
    chat.text("ติดตามเรื่อง")
    assert "ยังไม่มีเรื่องที่แจ้งไว้" in chat.said() and code not in chat.said()
    chat.text(code)  # their old code: no longer theirs
    assert "ขยะล้นถัง" not in chat.said()
    with transaction(services.sessions) as s:
        rows = list(s.scalars(select(Citizen).order_by(Citizen.id)))
        assert len(rows) == 2 and rows[0].line_user_id.startswith("erased-")
        assert rows[1].line_user_id == chat.user and rows[1].id != rows[0].id


def test_erase_in_the_middle_of_a_draft_says_so_and_keep_keeps_it(chat: Chat, services: Services) -> None:
    chat.text("ถนนเป็นหลุมลึก โทร 081-234-5678")
    assert "ส่งรูปภาพ" in chat.said()
    chat.text("ลบข้อมูลของฉัน")
    assert "กำลังแจ้งอยู่ (ยังไม่ได้ส่ง) จะถูกยกเลิก" in chat.said()
    chat.tap("ไม่ลบ")
    said = chat.said()
    assert "ไม่ได้ลบข้อมูล" in said and "ส่งรูปภาพ" in said  # the draft's question again
    with transaction(services.sessions) as s:
        dialog = s.scalar(select(Dialog).where(Dialog.line_user_id == chat.user))
        assert dialog.state == "photos" and dialog.data["description"].startswith("ถนนเป็นหลุมลึก")
    chat.text("ลบข้อมูลของฉัน")
    chat.tap("ยืนยันลบข้อมูล")
    assert "ลบข้อมูลส่วนบุคคลของคุณแล้ว" in chat.said()
    with transaction(services.sessions) as s:
        dialog = s.scalar(select(Dialog).where(Dialog.line_user_id == chat.user))
        assert dialog is None or (dialog.state == "idle" and not dialog.data.get("description"))
    chat.text("เสร็จแล้ว")  # the old draft's words lead nowhere now
    assert complaints(services) == []


def test_two_confirmations_asked_for_and_both_tapped(chat: Chat, services: Services) -> None:
    file_one(chat, "ไฟดับ")
    chat.text("ลบข้อมูลของฉัน")
    first = chat.button("ยืนยันลบข้อมูล")
    chat.text("ลบข้อมูลของฉัน")
    chat.tap("ยืนยันลบข้อมูล")
    assert "ลบข้อมูลส่วนบุคคลของคุณแล้ว" in chat.said()
    chat.postback(first["data"])
    assert "ถูกลบไปแล้ว" in chat.said()
    with transaction(services.sessions) as s:  # the tap came from the LINE user, now a new citizen, kept
        erased, new = s.scalars(select(Citizen).order_by(Citizen.id))
        assert erased.line_user_id.startswith("erased-") and new.line_user_id == chat.user


def test_the_use_case_is_idempotent(services: Services) -> None:
    at = bkk(23, 9)
    with transaction(services.sessions) as s:
        citizen = Citizen(line_user_id="U" + "2" * 32, display_name="สมชาย", created_at=at, updated_at=at)
        s.add(citizen)
        s.flush()
        acting = use_cases.Acting(s, operations.Actor("admin", None, None, "admin"), at, links())
        first = use_cases.erase_citizen(acting, citizen)
        again = use_cases.erase_citizen(acting, citizen)
        assert not first.already_erased and first.citizen_id == citizen.id and first.complaint_ids == []
        assert again.already_erased and again.complaint_ids == []
        assert erase_citizen(s, citizen, at).already_erased


def test_a_phoned_in_reporters_contact_is_erased(services: Services) -> None:
    at = bkk(23, 9)
    with transaction(services.sessions) as s:
        acting = use_cases.Acting(s, operations.Actor("admin", None, None, "call-taker"), at, links())
        complaint = use_cases.file(
            acting,
            None,
            description="ไฟดับหน้าบ้าน ติดต่อกลับ 02-123-4567 หรือ somsri@example.com",
            category="แสงสว่าง",
            district_code="1030",
            latitude=None,
            longitude=None,
            photos=[],
            reporter=operations.Reporter(
                channel=Channel.PHONE.value, name="สมศรี ใจดี", phone="021234567", email="somsri@example.com"
            ),
        )
        before = kpi_snapshot = (complaint.status, complaint.ack_due_at, complaint.routed_at)
        erasure = erase_reporter(s, complaint, at)
        assert erasure == erasure.__class__(None, [complaint.id], False)
        assert complaint.reporter_name is None and complaint.reporter_phone is None
        assert complaint.reporter_email is None
        assert complaint.description == "ไฟดับหน้าบ้าน ติดต่อกลับ [ซ่อนเบอร์โทร] หรือ [ซ่อนอีเมล]"
        filed = s.scalar(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "filed"
            )
        )
        assert filed.text == complaint.description
        assert (complaint.status, complaint.ack_due_at, complaint.routed_at) == before == kpi_snapshot
        assert erase_reporter(s, complaint, at).already_erased  # twice: nothing left


def test_masking_the_same_text_is_what_the_erasure_stores() -> None:
    assert mask_personal_text("โทร 081-234-5678") == "โทร [ซ่อนเบอร์โทร]"
