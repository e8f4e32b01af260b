"""Officers on LINE sending a progress or "after" photo that matches an earlier one (issue 17 point 2).

Each kind of match the detector (`models.photo_checks`) reports is told to the officer in Thai — which
complaint's photo, its date, and why — with a new photo accepted without a flag, or the photo kept with
a reason, which flags the report (`models.photo_flags`). Photos are made with Pillow: the citizen's own
photo sent back (and an edited copy: brightened, a date stamp drawn on), a photo of another complaint, a
fresh one, and a JPEG whose EXIF says it was taken before the complaint was filed.
"""

from __future__ import annotations

import io
import random
from datetime import datetime
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageEnhance
from sqlalchemy import select

from models import Complaint, ComplaintEvent, Photo
from models.db import transaction
from models.deadlines import local_date
from models.officer_links import add_officer, new_link_code
from models.photo_flags import PhotoFlag
from models.thai_dates import thai_date
from tests.citizen_chat import BANGKOK, JATUJAK, SIAM, Chat, actions, flex_cards
from tests.line_stub import LineStub, tiny_png
from texts import say

START = datetime(
    2027, 11, 22, 9, 0, tzinfo=BANGKOK
)  # a Monday, ahead of the real clock (as test_officer_actions)
TAKEN_BEFORE = datetime(2027, 3, 5, 14, 30)  # an EXIF DateTimeOriginal: local time, no zone


# ---- photos as a phone makes them ------------------------------------------------------------------


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like image of its own: a gradient sky, ground, and shapes placed by the seed."""
    rnd = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    top, bottom = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(2)]
    for y in range(height):
        mix = y / height
        draw.line(
            [(0, y), (width, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        )
    for _ in range(30):
        x, y = rnd.randrange(width), rnd.randrange(height)
        w, h = rnd.randrange(20, width // 3), rnd.randrange(20, height // 3)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        shape = draw.ellipse if rnd.random() < 0.5 else draw.rectangle
        shape([x, y, x + w, y + h], fill=colour)
    return image


def edited(image: Image.Image) -> Image.Image:
    """What an officer might do to the citizen's photo: brighter, with a date stamp in the corner."""
    out = ImageEnhance.Brightness(image).enhance(1.2)
    draw = ImageDraw.Draw(out)
    width, height = out.size
    draw.rectangle([width - 190, height - 40, width - 10, height - 10], fill=(0, 0, 0))
    draw.text((width - 180, height - 34), "22/11/2027 10:15", fill=(255, 200, 0))
    return out


def jpeg(image: Image.Image, taken: datetime | None = None, quality: int = 90) -> bytes:
    """The image as a JPEG file; `taken`: its EXIF DateTimeOriginal (and DateTime), as a camera writes it."""
    out = io.BytesIO()
    exif = Image.Exif()
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp  # DateTime
        exif.get_ifd(0x8769)[0x9003] = stamp  # Exif IFD: DateTimeOriginal
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


# ---- the people ---------------------------------------------------------------------------------------


def register(services, district: str = "1030", name: str = "สมศรี") -> str:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        officer = add_officer(session, district, name, "officer", START)
        return new_link_code(session, officer, START).code


def file_with_photo(citizen: Chat, stub: LineStub, photo: bytes, where: tuple[float, float] = JATUJAK) -> str:
    """The citizen files a complaint starting with a photo (as test_citizen_flow); its tracking code."""
    stub.content = photo
    citizen.photo(f"c{citizen.user[-6:]}")
    citizen.text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    citizen.location(*where)
    citizen.tap("แสงสว่าง")
    citizen.tap("ยืนยันส่งเรื่อง")
    assert "ส่งเรื่องเรียบร้อยแล้ว" in citizen.said()
    with transaction(citizen.services.sessions) as session:
        return session.scalars(select(Complaint.tracking_code).order_by(Complaint.id.desc())).first()  # type: ignore[return-value]


@pytest.fixture
def officer(client, services, stub) -> Chat:  # type: ignore[no-untyped-def]
    chat = Chat(client, services, stub, start=START)
    chat.text(register(services))
    assert "เชื่อมบัญชี LINE" in chat.said()
    return chat


@pytest.fixture
def citizen(client, services, stub) -> Chat:  # type: ignore[no-untyped-def]
    return Chat(client, services, stub, start=START)


def sync(*chats: Chat) -> None:
    latest = max(c.at for c in chats)
    for c in chats:
        c.at = latest


def open_action(officer: Chat, code: str, action: str, text: str) -> None:
    """The officer types the code, acknowledges if need be, starts `action` ("แก้ไขเสร็จ" or
    "รายงานความคืบหน้า") and types its text: the next thing asked is a photo."""
    officer.inbox()  # the new complaint's card, pushed when it was filed: seen
    officer.text(code)
    (card,) = flex_cards(officer.last)
    labels = [a["label"] for a in _actions(card)]
    if "รับเรื่อง" in labels:
        officer.tap("รับเรื่อง", [card])
        (card,) = flex_cards(officer.last)
    officer.tap(action, [card])
    officer.text(text)


def _actions(message: dict[str, Any]) -> list[dict[str, Any]]:
    return actions([message])


def send_photo(officer: Chat, stub: LineStub, data: bytes, message_id: str) -> list[dict[str, Any]]:
    stub.content = data
    return officer.photo(message_id)


def flags(services) -> list[PhotoFlag]:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        found = list(session.scalars(select(PhotoFlag).order_by(PhotoFlag.id)))
        session.expunge_all()
        return found


def complaint_of(services, code: str) -> tuple[Complaint, list[ComplaintEvent], list[Photo]]:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        events = list(
            session.scalars(
                select(ComplaintEvent)
                .where(ComplaintEvent.complaint_id == complaint.id)
                .order_by(ComplaintEvent.id)
            )
        )
        photos = list(
            session.scalars(select(Photo).where(Photo.complaint_id == complaint.id).order_by(Photo.id))
        )
        session.expunge_all()
        return complaint, events, photos


def citizen_photo_day(services, code: str) -> str:  # type: ignore[no-untyped-def]
    """The Thai date of the citizen's photo of the complaint, as the officer is told it."""
    _, _, photos = complaint_of(services, code)
    (before,) = [p for p in photos if p.citizen_id is not None]
    return thai_date(local_date(before.created_at))


def why_citizen(services, code: str) -> str:  # type: ignore[no-untyped-def]
    """What the officer is told of a photo that matches the citizen's own photo of complaint `code`."""
    return say("label_suspect_citizen_before", code=code, date=citizen_photo_day(services, code))


# ---- the citizen's own photo sent back as the "after" ----------------------------------------------


def test_the_citizens_edited_photo_as_after_is_told_and_a_new_photo_goes_through_unflagged(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    code = file_with_photo(citizen, stub, jpeg(scene(1)))
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")

    send_photo(officer, stub, jpeg(edited(scene(1)), quality=80), "o1")
    told = officer.said()
    why = why_citizen(services, code)
    assert why in told and "กรุณาส่งรูปใหม่" in told
    labels = [a["label"] for a in _actions(officer.last[-1])]
    assert "ใช้รูปนี้" in labels and "ยกเลิก" in labels

    officer.text("ส่ง")  # sending while the photo waits: nothing goes out
    assert say("suspect_decide") in officer.said()
    assert complaint_of(services, code)[0].status == "acknowledged"

    send_photo(officer, stub, jpeg(scene(2)), "o2")  # a new photo instead
    assert say("photo_replaced", count=1) in officer.said()
    officer.tap("ส่ง")
    assert say("resolved_ok", code=code) in officer.said()
    complaint, events, photos = complaint_of(services, code)
    assert complaint.status == "resolved"
    resolution = next(e for e in events if e.kind == "resolved")
    assert [p.line_message_id for p in photos if p.event_id == resolution.id] == ["o2"]
    assert flags(services) == []


def test_the_citizens_photo_kept_with_a_reason_flags_the_resolution(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    photo = jpeg(scene(3))
    code = file_with_photo(citizen, stub, photo)
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "ซ่อมเสร็จแล้ว")

    question = send_photo(officer, stub, photo, "o1")  # the very same file sent back
    assert why_citizen(services, code) in officer.said()
    officer.tap("ใช้รูปนี้", question)
    assert say("ask_keep_reason") in officer.said()
    officer.tap("ใช้รูปนี้", question)  # "keep" twice: the reason is still asked for
    assert say("keep_reason_needed") in officer.said()
    officer.text("   ")  # only spaces
    assert say("keep_reason_needed") in officer.said()
    officer.text("🙏🙏")  # no words
    assert say("keep_reason_needed") in officer.said()
    officer.text("ผู้แจ้งส่งรูปหลังซ่อมมาเอง ใช้รูปนี้ยืนยัน")
    assert say("photo_kept", count=1) in officer.said()
    assert say("after_photos_in", count=1) in officer.said()  # back where the officer was
    officer.tap("ใช้รูปนี้", question)  # an old question's button: nothing is waiting
    assert say("keep_nothing_waiting") in officer.said()
    officer.tap("ส่ง")
    assert say("resolved_ok", code=code) in officer.said()

    (flag,) = flags(services)
    complaint, events, photos = complaint_of(services, code)
    resolution = next(e for e in events if e.kind == "resolved")
    kept = next(p for p in photos if p.line_message_id == "o1")
    before = next(p for p in photos if p.citizen_id is not None)
    assert (flag.kind, flag.event_id, flag.event_kind, flag.photo_id) == (
        "citizen_before",
        resolution.id,
        "resolved",
        kept.id,
    )
    assert (flag.matched_photo_id, flag.matched_code, flag.complaint_id) == (before.id, code, complaint.id)
    assert flag.reason == "ผู้แจ้งส่งรูปหลังซ่อมมาเอง ใช้รูปนี้ยืนยัน"
    assert (flag.kept_by_kind, flag.kept_by_name, flag.district_code) == ("officer", "สมศรี", "1030")
    assert flag.at == resolution.at
    officer.tap("ใช้รูปนี้", question)  # after the action: an old button
    assert say("stale_button") in officer.said()
    assert len(flags(services)) == 1


# ---- another complaint's photo, and a photo taken before the complaint ------------------------------


def test_another_complaints_photo_is_told_with_its_code_and_kept_flags_the_progress(
    officer: Chat, citizen: Chat, services, stub, client
) -> None:
    elsewhere = Chat(client, services, stub, start=START)
    other = file_with_photo(elsewhere, stub, jpeg(scene(4)), where=SIAM)  # Pathum Wan, another district
    code = file_with_photo(citizen, stub, jpeg(scene(5)))
    sync(citizen, officer, elsewhere)
    open_action(officer, code, "รายงานความคืบหน้า", "ช่างตรวจแล้ว รออะไหล่")

    question = send_photo(officer, stub, jpeg(scene(4), quality=70), "o1")
    why = say("label_suspect_elsewhere", code=other, date=citizen_photo_day(services, other))
    assert why in officer.said()
    officer.tap("ใช้รูปนี้", question)
    officer.text("รูปจากจุดเดียวกัน ถ่ายต่อกัน")
    officer.tap("ส่ง")
    assert say("progress_ok", code=code) in officer.said()
    (flag,) = flags(services)
    assert (flag.kind, flag.event_kind, flag.matched_code) == ("elsewhere", "progress", other)
    assert complaint_of(services, code)[0].status == "in_progress"


def test_a_photo_taken_before_the_complaint_is_told_with_its_date_and_a_new_one_is_accepted(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    code = file_with_photo(citizen, stub, jpeg(scene(6)))
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "ตัดกิ่งไม้แล้ว")

    send_photo(officer, stub, jpeg(scene(7), taken=TAKEN_BEFORE), "o1")
    assert say("label_suspect_older", code=code, date=thai_date(TAKEN_BEFORE.date())) in officer.said()
    send_photo(officer, stub, jpeg(scene(8), taken=officer.at.replace(tzinfo=None)), "o2")  # taken now: fine
    assert say("photo_replaced", count=1) in officer.said()
    officer.tap("ส่ง")
    assert say("resolved_ok", code=code) in officer.said()
    assert flags(services) == []


def test_a_new_photo_that_matches_too_is_asked_about_again(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    photo = scene(9)
    code = file_with_photo(citizen, stub, jpeg(photo))
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "ซ่อมแล้ว")
    send_photo(officer, stub, jpeg(photo), "o1")
    send_photo(officer, stub, jpeg(edited(photo)), "o2")  # the edited copy instead: asked again
    assert why_citizen(services, code) in officer.said()
    officer.tap("ใช้รูปนี้")
    officer.text("ยืนยันว่าถ่ายหลังซ่อม")
    officer.tap("ส่ง")
    assert say("resolved_ok", code=code) in officer.said()
    (flag,) = flags(services)
    _, _, photos = complaint_of(services, code)
    assert flag.photo_id == next(p.id for p in photos if p.line_message_id == "o2")
    assert [p.line_message_id for p in photos if p.event_id is not None and p.citizen_id is None] == ["o2"]


# ---- bad input: handled as before ----------------------------------------------------------------


def test_a_file_that_is_not_a_photo_and_a_fresh_photo_go_as_before(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    code = file_with_photo(citizen, stub, jpeg(scene(10)))
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "ซ่อมแล้ว")
    send_photo(officer, stub, b"%PDF-1.4 not a photo", "o1")
    assert say("photo_not_image") in officer.said()
    send_photo(officer, stub, jpeg(scene(11)), "o2")  # a genuinely new photo: no question
    assert say("after_photos_in", count=1) in officer.said() and "ใช้รูปนี้" not in officer.said()
    send_photo(officer, stub, tiny_png(), "o3")  # too small to fingerprint: kept unchecked, as before
    assert say("after_photos_in", count=2) in officer.said() and "ใช้รูปนี้" not in officer.said()
    officer.tap("ส่ง")
    assert say("resolved_ok", code=code) in officer.said()
    assert flags(services) == []


def test_typing_the_keep_label_keeps_and_cancel_drops_everything(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    photo = jpeg(scene(12))
    code = file_with_photo(citizen, stub, photo)
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "ซ่อมแล้ว")
    send_photo(officer, stub, photo, "o1")
    officer.text("อะไรนะ")  # neither a photo nor the button
    assert say("suspect_decide") in officer.said()
    officer.text("ใช้รูปนี้")  # the button's label, typed
    assert say("ask_keep_reason") in officer.said()
    officer.tap("ยกเลิก")
    assert complaint_of(services, code)[0].status == "acknowledged" and flags(services) == []


def test_photos_of_one_send_are_all_taken_before_the_matching_one_is_asked_about(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    photo = jpeg(scene(13))
    code = file_with_photo(citizen, stub, photo)
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "ซ่อมแล้ว")
    stub.content = jpeg(scene(14))
    assert officer.photo("s1", image_set=(1, 3)) == []  # the middle of a set: nothing said yet
    stub.content = photo
    assert officer.photo("s2", image_set=(2, 3)) == []
    stub.content = jpeg(scene(15))
    officer.photo("s3", image_set=(3, 3))
    assert why_citizen(services, code) in officer.said()
    officer.tap("ใช้รูปนี้")
    officer.text("ถ่ายจากมุมเดียวกัน")
    assert say("photo_kept", count=3) in officer.said()
    officer.tap("ส่ง")
    (flag,) = flags(services)
    _, _, photos = complaint_of(services, code)
    sent = {p.line_message_id: p.id for p in photos if p.event_id is not None and p.citizen_id is None}
    assert set(sent) == {"s1", "s2", "s3"} and flag.photo_id == sent["s2"]


def test_a_send_cut_short_still_asks_about_its_matching_photo(
    officer: Chat, citizen: Chat, services, stub
) -> None:
    photo = jpeg(scene(16))
    code = file_with_photo(citizen, stub, photo)
    sync(citizen, officer)
    open_action(officer, code, "แก้ไขเสร็จ", "ซ่อมแล้ว")
    stub.content = photo
    assert officer.photo("s1", image_set=(1, 2)) == []  # the set's second photo never comes
    officer.text("ส่ง")
    assert why_citizen(services, code) in officer.said()  # asked before anything is sent
    assert complaint_of(services, code)[0].status == "acknowledged"
    send_photo(officer, stub, jpeg(scene(17)), "o2")
    officer.tap("ส่ง")
    assert say("resolved_ok", code=code) in officer.said() and flags(services) == []
