"""Inputs the citizen's dialog cannot use: each gets a polite Thai answer and breaks nothing.

After every bad input the draft keeps what it had and the next normal input carries on.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox import events as ev
from models import Dialog, Photo
from models.db import transaction
from models.photos import MAX_PHOTO_BYTES
from tests.citizen_chat import JATUJAK, Chat, complaints, flex_cards, texts
from tests.conftest import post_events
from tests.line_stub import tiny_png

ASK_DESCRIPTION = "กรุณาพิมพ์เล่าปัญหา"
ASK_PHOTOS = "ส่งรูปภาพของปัญหาได้สูงสุด 4 รูป"
ASK_LOCATION = "กรุณาส่งตำแหน่งของจุดที่พบปัญหา"
REFUSED = "ปุ่มนี้ใช้งานไม่ได้"


def draft(services, user: str) -> tuple[str, int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The citizen's dialog as (state, draft number, draft data)."""
    with transaction(services.sessions) as session:
        dialog = session.scalar(select(Dialog).where(Dialog.line_user_id == user))
        assert dialog is not None
        return dialog.state, dialog.draft_no, dict(dialog.data)


def photo_count(services) -> int:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return session.scalar(select(func.count(Photo.id))) or 0


def stored_files(services) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(p) for p in services.settings.photo_dir.rglob("*") if p.is_file()]


def to_summary(chat: Chat, description: str = "ไฟถนนดับ หน้าซอย 5") -> None:
    chat.text(description)
    chat.tap("ไม่มีรูป")
    chat.location(*JATUJAK)
    chat.tap("แสงสว่าง")
    assert flex_cards(chat.last), chat.said()


def message_event(user: str, message: dict[str, Any]) -> dict[str, Any]:
    event = ev.base_event("message", user)
    event["message"] = {"id": ev.new_id(18), "quoteToken": ev.new_id(), **message}
    return event


STICKER = {"type": "sticker", "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC"}
VIDEO = {"type": "video", "duration": 6000, "contentProvider": {"type": "line"}}
AUDIO = {"type": "audio", "duration": 4000, "contentProvider": {"type": "line"}}
FILE = {"type": "file", "fileName": "complaint.pdf", "fileSize": 20480}


def test_a_sticker_is_thanked_and_the_question_repeated(chat: Chat, services) -> None:
    chat.text("แจ้งเรื่อง")
    before = draft(services, chat.user)
    chat.send(message_event(chat.user, STICKER))
    assert "สติกเกอร์ใช้แทนข้อความไม่ได้" in chat.said() and ASK_DESCRIPTION in chat.said()
    assert draft(services, chat.user) == before
    chat.text("ทางเท้าพัง")
    assert ASK_PHOTOS in chat.said()


@pytest.mark.parametrize("message", [VIDEO, AUDIO, FILE], ids=["video", "audio", "file"])
def test_video_audio_and_files_are_declined_and_the_draft_kept(chat: Chat, services, message) -> None:
    chat.text("ขยะล้นถังหน้าตลาด")
    before = draft(services, chat.user)
    chat.send(message_event(chat.user, message))
    assert "ไม่รับวิดีโอ เสียง หรือไฟล์" in chat.said() and ASK_PHOTOS in chat.said()
    assert draft(services, chat.user) == before
    assert photo_count(services) == 0
    chat.tap("ไม่มีรูป")
    assert ASK_LOCATION in chat.said()


def test_text_over_5000_characters_is_not_stored(chat: Chat, services) -> None:
    chat.text("แจ้งเรื่อง")
    chat.text("ถ" * 5001)
    assert "ยาวเกิน 5,000 ตัวอักษร" in chat.said() and ASK_DESCRIPTION in chat.said()
    state, _, data = draft(services, chat.user)
    assert state == "describe" and "description" not in data
    chat.text("ถนนเป็นหลุมลึก")
    assert ASK_PHOTOS in chat.said()
    assert draft(services, chat.user)[2]["description"] == "ถนนเป็นหลุมลึก"


def test_emoji_only_in_a_draft_asks_for_words(chat: Chat, services) -> None:
    chat.text("แจ้งเรื่อง")
    before = draft(services, chat.user)
    chat.text("😡🔥")
    assert "อีโมจิอย่างเดียวบอทอ่านไม่ได้" in chat.said() and ASK_DESCRIPTION in chat.said()
    assert draft(services, chat.user) == before


def test_emoji_only_without_a_draft_gets_help_and_starts_nothing(chat: Chat, services) -> None:
    chat.text("😡🔥")
    assert "วิธีใช้งานค่ะ" in chat.said()
    assert draft(services, chat.user) == ("idle", 0, {})


@pytest.mark.parametrize("point", [(91.0, 100.5), (0.0, 0.0)], ids=["lat-91", "null-island"])
def test_impossible_coordinates_are_refused_and_the_location_asked_again(chat: Chat, services, point) -> None:
    chat.text("ไฟถนนดับ")
    chat.tap("ไม่มีรูป")
    before = draft(services, chat.user)
    chat.location(*point)
    assert "ตำแหน่งนี้ไม่ถูกต้อง" in chat.said() and ASK_LOCATION in chat.said()
    assert draft(services, chat.user) == before
    chat.location(*JATUJAK)
    assert "จตุจักร" in chat.said()
    assert draft(services, chat.user)[2]["district"] == "1030"


def test_a_fifth_photo_is_refused(chat: Chat, services) -> None:
    chat.text("ต้นไม้ล้มขวางทาง")
    for n in range(1, 5):
        chat.photo(f"p{n}")
        assert f"({n}/4)" in chat.said()
    chat.photo("p5")
    assert "ครบ 4 รูปแล้ว" in chat.said()
    assert photo_count(services) == 4
    assert len(draft(services, chat.user)[2]["photo_ids"]) == 4
    chat.location(*JATUJAK)
    assert "จตุจักร" in chat.said() and "ปัญหานี้เป็นเรื่องประเภทใดคะ" in chat.said()


def test_the_fourth_photo_closes_the_photo_question(chat: Chat, services) -> None:
    chat.text("ต้นไม้ล้มขวางทาง")
    for n in range(1, 5):
        chat.photo(f"p{n}")
    assert "(4/4)" in chat.said()
    assert "ส่งรูปเพิ่มได้อีก 0 รูป" not in chat.said()  # no more can be added: do not ask for more
    assert ASK_LOCATION in chat.said()


def test_a_file_that_is_not_an_image_is_refused(chat: Chat, services, stub) -> None:
    chat.text("ท่อระบายน้ำอุดตัน")
    before = draft(services, chat.user)
    stub.content = b"%PDF-1.4\n%not a photo\n"
    chat.photo("pdf")
    assert "ไฟล์นี้ไม่ใช่รูปภาพ" in chat.said() and ASK_PHOTOS in chat.said()
    assert photo_count(services) == 0 and stored_files(services) == []
    assert draft(services, chat.user) == before
    stub.content = tiny_png()
    chat.photo("real")
    assert "(1/4)" in chat.said() and len(stored_files(services)) == 1


def test_an_oversized_photo_is_refused(chat: Chat, services, stub) -> None:
    chat.text("ท่อระบายน้ำอุดตัน")
    before = draft(services, chat.user)
    stub.content = tiny_png() + b"\0" * MAX_PHOTO_BYTES
    chat.photo("huge")
    assert "รูปภาพใหญ่เกิน 10 MB" in chat.said() and ASK_PHOTOS in chat.said()
    assert photo_count(services) == 0 and stored_files(services) == []
    assert draft(services, chat.user) == before
    chat.tap("ไม่มีรูป")
    assert ASK_LOCATION in chat.said()


def test_photos_sent_as_a_set_get_one_answer_for_the_last(chat: Chat, services) -> None:
    chat.text("น้ำท่วมขังหน้าบ้าน")
    assert chat.photo("s1", image_set=(1, 3)) == []
    assert chat.photo("s2", image_set=(2, 3)) == []
    chat.photo("s3", image_set=(3, 3))
    assert chat.said().count("ได้รับรูปภาพแล้ว") == 1 and "(3/4)" in chat.said()
    assert photo_count(services) == 3


def test_a_set_of_photos_beyond_the_limit_still_gets_one_answer(chat: Chat, services) -> None:
    chat.text("น้ำท่วมขังหน้าบ้าน")
    for n in range(1, 4):
        chat.photo(f"p{n}")
    answers = [chat.photo(f"s{i}", image_set=(i, 3)) for i in (1, 2, 3)]
    assert [bool(a) for a in answers] == [False, False, True]
    assert "ครบ 4 รูปแล้ว" in chat.said()
    assert photo_count(services) == 4


def test_a_button_of_a_cancelled_draft_is_stale(chat: Chat, services) -> None:
    chat.text("ไฟถนนดับ")
    first_draft = chat.last
    chat.text("ยกเลิก")
    chat.text("แจ้งเรื่อง")
    chat.text("ถนนเป็นหลุม")
    before = draft(services, chat.user)
    assert before[:2] == ("photos", 2)
    chat.tap("ไม่มีรูป", first_draft)
    assert "ปุ่มนี้เป็นของข้อความเก่า" in chat.said()
    assert draft(services, chat.user) == before


def test_the_confirm_of_a_cancelled_draft_is_stale(chat: Chat, services) -> None:
    to_summary(chat)
    card = chat.last
    chat.text("ยกเลิก")
    chat.tap("ยืนยันส่งเรื่อง", card)
    assert "ปุ่มนี้เป็นของข้อความเก่า" in chat.said()
    assert "กรุณาตรวจสอบสรุปล่าสุด" not in chat.said()  # there is no summary any more
    assert complaints(services) == [] and draft(services, chat.user)[0] == "idle"


def test_confirm_tapped_twice_files_once(chat: Chat, services) -> None:
    to_summary(chat)
    confirm = chat.button("ยืนยันส่งเรื่อง")
    chat.postback(confirm["data"])
    (complaint,) = complaints(services)
    chat.postback(confirm["data"])
    assert "เรื่องนี้ส่งไปแล้วค่ะ" in chat.said() and complaint.tracking_code in chat.said()
    assert len(complaints(services)) == 1


def test_two_confirms_in_one_delivery_file_once(chat: Chat, services, client) -> None:
    to_summary(chat)
    data = chat.button("ยืนยันส่งเรื่อง")["data"]
    taps = [ev.postback_event(chat.user, data) for _ in range(2)]
    for n, tap in enumerate(taps, start=1):
        tap["timestamp"] = int((chat.at + timedelta(seconds=n)).timestamp() * 1000)
    chat._tokens.update(tap["replyToken"] for tap in taps)  # so the harness knows the replies are hers
    assert post_events(client, taps).status_code == 200
    chat.worker.drain()
    said = texts(chat.inbox())
    (complaint,) = complaints(services)
    # One receipt (its code, and its public page's link) and one "already sent" with the same code.
    assert said.count(f"รหัสติดตาม: {complaint.tracking_code}") == 1
    assert said.count(f"เรื่องนี้ส่งไปแล้วค่ะ รหัสติดตาม {complaint.tracking_code}") == 1
    assert said.count("ส่งเรื่องเรียบร้อยแล้วค่ะ") == 1


def tampered(data: str, index: int) -> str:
    replacement = "7" if data[index] != "7" else "8"
    return data[:index] + replacement + data[index + 1 :]


@pytest.mark.parametrize("where", [len("p1:confirm:"), -1], ids=["draft-number", "signature"])
def test_a_tampered_postback_is_refused_and_logged(chat: Chat, services, caplog, where) -> None:
    to_summary(chat)
    before = draft(services, chat.user)
    data = chat.button("ยืนยันส่งเรื่อง")["data"]
    assert data.startswith("p1:confirm:")
    with caplog.at_level(logging.WARNING, logger="handlers.citizen_inputs"):
        chat.postback(tampered(data, where))
    assert REFUSED in chat.said()
    assert any("refused postback" in r.getMessage() for r in caplog.records)
    assert complaints(services) == [] and draft(services, chat.user) == before


def test_a_postback_made_for_another_user_is_refused(client, services, stub, caplog) -> None:
    alice = Chat(client, services, stub)
    to_summary(alice)
    bob = Chat(client, services, stub, start=alice.at)
    to_summary(bob)
    before = draft(services, bob.user)
    assert before[1:] == draft(services, alice.user)[1:]  # the same draft number and revision as Alice's
    with caplog.at_level(logging.WARNING, logger="handlers.citizen_inputs"):
        bob.postback(alice.button("ยืนยันส่งเรื่อง")["data"])
    assert REFUSED in bob.said()
    assert any("refused postback" in r.getMessage() and bob.user in r.getMessage() for r in caplog.records)
    assert complaints(services) == []
    assert draft(services, bob.user) == before


def test_a_summary_card_that_is_no_longer_current_cannot_be_confirmed(chat: Chat, services) -> None:
    to_summary(chat)
    old_card = chat.last
    chat.photo("late")
    assert "(1/4)" in chat.said() and "1 รูป" in chat.said()
    chat.tap("ยืนยันส่งเรื่อง", old_card)
    assert "ข้อมูลมีการเปลี่ยนแปลงหลังจากสรุปนั้น" in chat.said()
    assert complaints(services) == []
    assert len(flex_cards(chat.last)) == 1 and "1 รูป" in chat.said()
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    assert complaint.tracking_code in chat.said()
