""" "Me too" instead of a duplicate (issue 18 point 4): following a nearby open complaint from the duplicate
hint, its notices fanned out to the followers, a follower's own rating, unfollowing, the refusals, the
counts on the officer's card, the admin page and the public API, and erasure (every backend).

Through the webhook and the worker, as the citizens and the officer use LINE; the harness starts on
Monday 2026-11-23 09:00 in Bangkok, so it passes on any date.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from handlers.signing import Postback, encode_postback
from models import Citizen, Complaint, ComplaintEvent, ComplaintFollower, Dialog, Photo
from models.complaint_followers import follow
from models.complaint_operations import ActionRefused
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from models.personal_data import citizen_export_zip
from tests.admin_web import sign_in
from tests.citizen_chat import JATUJAK, Chat, actions, complaints, flex_cards, texts

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
NEAR_JATUJAK = (13.8041, 100.5531)  # about 15 m from JATUJAK
FOLLOW = "ติดตามเรื่องนี้แทน"
UNFOLLOW = "เลิกติดตาม"


@dataclass
class People:
    owner: Chat  # filed the complaint
    officer: Chat  # a linked officer of Chatuchak (1030)
    neighbour: Chat  # has the same problem, 15 m away
    code: str  # the owner's complaint


def register_officer(services: Services) -> str:
    with transaction(services.sessions) as session:
        officer = add_officer(session, "1030", "สมศรี", "officer", NOW)
        return new_link_code(session, officer, NOW).code


def to_summary(chat: Chat, where: tuple[float, float], description: str = "ไฟทางดับ มืดมาก") -> None:
    chat.text(description)
    chat.photo(f"p-{chat.user[-6:]}-{chat.at.timestamp():.0f}")
    chat.tap("เสร็จแล้ว")
    chat.location(*where)
    chat.tap("แสงสว่าง")
    assert "ตรวจสอบก่อนส่งเรื่องค่ะ" in chat.said(), chat.said()


def file_one(chat: Chat) -> str:
    to_summary(chat, JATUJAK, "ไฟถนนดับ 3 ต้น หน้าซอย 5")
    chat.tap("ยืนยันส่งเรื่อง")
    assert "ส่งเรื่องเรียบร้อยแล้วค่ะ" in chat.said()
    return complaints(chat.services)[-1].tracking_code


@pytest.fixture
def people(client, services, stub) -> People:  # type: ignore[no-untyped-def]
    officer = Chat(client, services, stub)
    officer.text(register_officer(services))
    assert "เชื่อมบัญชี LINE" in officer.said()
    owner = Chat(client, services, stub, start=officer.at)
    code = file_one(owner)
    officer.inbox()  # the new complaint's card
    neighbour = Chat(client, services, stub, start=owner.at)
    return People(owner, officer, neighbour, code)


def follow_instead(chat: Chat, code: str) -> list[dict[str, Any]]:
    """From the duplicate hint: the hint lists `code` with its button, which is tapped."""
    to_summary(chat, NEAR_JATUJAK)
    hint, summary = flex_cards(chat.last)[-2:]
    assert code in texts([hint]) and "ใกล้จุดนี้ (ไม่เกิน 50 เมตร)" in texts([hint])
    assert "ตรวจสอบก่อนส่งเรื่องค่ะ" in texts([summary])
    return chat.tap(FOLLOW, [hint])


def follows(services: Services) -> list[ComplaintFollower]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(ComplaintFollower).order_by(ComplaintFollower.id)))


def the_complaint(services: Services, code: str) -> Complaint:
    with transaction(services.sessions) as session:
        found = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert found is not None
        return found


def citizen_of(services: Services, user: str) -> Citizen:
    with transaction(services.sessions) as session:
        found = session.scalar(select(Citizen).where(Citizen.line_user_id == user))
        assert found is not None
        return found


def acknowledge(officer: Chat, code: str) -> None:
    officer.text(code)  # the complaint's card, by its status
    officer.tap("รับเรื่อง")
    assert f"รับเรื่อง {code} แล้วค่ะ" in officer.said(), officer.said()


def report_progress(officer: Chat, code: str, words: str) -> None:
    officer.text(code)
    officer.tap("รายงานความคืบหน้า")
    officer.text(words)
    officer.tap("ส่ง")
    assert "บันทึกความคืบหน้า" in officer.said(), officer.said()


def resolve(officer: Chat, code: str, words: str) -> None:
    officer.text(code)
    officer.tap("แก้ไขเสร็จ")
    officer.text(words)
    officer.photo(f"after-{code}")
    officer.tap("ส่ง")
    assert "แก้ไขเรื่อง" in officer.said() and "เสร็จแล้ว" in officer.said(), officer.said()


# ---- following from the duplicate hint ------------------------------------------------------------


def test_following_from_the_duplicate_hint_drops_the_draft_and_confirms_with_the_code(people, services):
    said = texts(follow_instead(people.neighbour, people.code))
    assert f"ติดตามเรื่อง {people.code} แทนการแจ้งซ้ำแล้วค่ะ" in said
    assert "เรื่องที่กำลังแจ้งถูกยกเลิก (ไม่ได้ส่ง)" in said and "“เลิกติดตาม”" in said
    assert people.neighbour.button(UNFOLLOW)["type"] == "postback"
    assert [c.tracking_code for c in complaints(services)] == [people.code]  # nothing filed
    (row,) = follows(services)
    neighbour = citizen_of(services, people.neighbour.user)
    assert (row.citizen_id, row.until, row.rating) == (neighbour.id, None, None)
    with transaction(services.sessions) as session:
        dialog = session.scalar(select(Dialog).where(Dialog.line_user_id == people.neighbour.user))
        assert dialog is not None and dialog.state == "idle" and "description" not in dialog.data
        # The draft's photo is left unattached: housekeeping purges it (test_housekeeping.py).
        photo = session.scalar(select(Photo).where(Photo.citizen_id == neighbour.id))
        assert photo is not None and photo.complaint_id is None
    # The owner's own complaint is marked in the hint, without a button; filing stays possible.
    people.owner.wait(minutes=1)
    to_summary(people.owner, NEAR_JATUJAK)
    hint = flex_cards(people.owner.last)[-2]
    assert "เรื่องที่คุณแจ้งเอง" in texts([hint])
    assert FOLLOW not in [a["label"] for a in actions([hint])]


def test_notices_go_to_the_follower_as_if_it_were_theirs(people, services):
    follow_instead(people.neighbour, people.code)
    acknowledge(people.officer, people.code)
    told = texts(people.neighbour.inbox())
    assert f"สำนักงานเขตจตุจักรรับเรื่อง {people.code} แล้วค่ะ" in told
    assert "คุณได้รับข่าวนี้เพราะติดตามเรื่องนี้อยู่ค่ะ" in told
    assert people.neighbour.button(UNFOLLOW)["type"] == "postback"
    owner_told = texts(people.owner.inbox())
    assert f"รับเรื่อง {people.code} แล้วค่ะ" in owner_told and "ติดตามเรื่องนี้อยู่" not in owner_told

    report_progress(people.officer, people.code, "ช่างไฟฟ้าตรวจแล้ว รออะไหล่")
    assert "ช่างไฟฟ้าตรวจแล้ว รออะไหล่" in texts(people.neighbour.inbox())
    assert "ช่างไฟฟ้าตรวจแล้ว รออะไหล่" in texts(people.owner.inbox())

    resolve(people.officer, people.code, "เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    result = people.neighbour.inbox()
    assert "เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว" in texts(result)
    assert any(m["type"] == "image" for m in result)  # the "after" photo
    assert f"พอใจกับการแก้ไขเรื่อง {people.code} แค่ไหนคะ" in texts(result)


def test_a_follower_rates_it_without_touching_the_reporters_rating(people, services, client, world):
    follow_instead(people.neighbour, people.code)
    acknowledge(people.officer, people.code)
    resolve(people.officer, people.code, "เปลี่ยนหลอดไฟแล้ว")
    people.owner.last = people.owner.inbox()
    people.owner.tap("2 ดาว")
    result = people.neighbour.inbox()
    people.neighbour.tap("5 ดาว", result)
    assert "ขอบคุณสำหรับคะแนน 5 ดาวค่ะ" in people.neighbour.said()
    complaint = the_complaint(services, people.code)
    assert complaint.rating == 2  # the reporter's, which the KPI counts
    (row,) = follows(services)
    assert row.rating == 5 and row.rated_at is not None
    with transaction(services.sessions) as session:
        rated = session.scalars(select(ComplaintEvent).where(ComplaintEvent.kind == "rated")).all()
        assert [e.data["stars"] for e in rated] == [2]  # the follower's is no event of the complaint
    # The follower's "not fixed" is recorded as theirs; the complaint is not reopened (RULES §5).
    people.neighbour.tap("ยังไม่ได้รับการแก้ไข", result)
    assert "บันทึกแล้วว่าคุณเห็นว่าเรื่อง" in people.neighbour.said()
    assert the_complaint(services, people.code).status == "resolved"
    assert follows(services)[0].not_fixed_at is not None
    # Staff see what the followers said, apart from the reporter's rating.
    assert sign_in(client, "centre") == 302
    page = client.get(f"/admin/complaints/{people.code}").get_data(as_text=True)
    assert "2 / 5" in page
    assert "ให้คะแนนเอง 1 คน เฉลี่ย 5.0 · แจ้งว่ายังไม่ได้แก้ไข 1 คน (ไม่นับใน KPI)" in page


def test_a_follower_hears_in_their_own_language(people, services):
    follow_instead(people.neighbour, people.code)
    with transaction(services.sessions) as session:
        citizen = session.scalar(select(Citizen).where(Citizen.line_user_id == people.neighbour.user))
        assert citizen is not None
        citizen.language = "en"
    acknowledge(people.officer, people.code)
    told = texts(people.neighbour.inbox())
    assert people.code in told and "You get this because you follow this report" in told
    assert "รับเรื่อง" in texts(people.owner.inbox())  # the reporter still reads Thai


def test_unfollow_stops_the_notices_and_a_second_unfollow_is_answered(people, services):
    follow_instead(people.neighbour, people.code)
    unfollow_data = people.neighbour.button(UNFOLLOW)["data"]
    people.neighbour.tap(UNFOLLOW)
    assert f"เลิกติดตามเรื่อง {people.code} แล้วค่ะ" in people.neighbour.said()
    (row,) = follows(services)
    assert row.until is not None  # kept as history, no longer active
    acknowledge(people.officer, people.code)
    assert people.neighbour.inbox() == []
    assert "รับเรื่อง" in texts(people.owner.inbox())
    people.neighbour.postback(unfollow_data)  # the same button again
    assert f"คุณไม่ได้ติดตามเรื่อง {people.code} อยู่ค่ะ" in people.neighbour.said()


# ---- refusals: own, closed, twice ----------------------------------------------------------------


def test_following_ones_own_complaint_is_refused_in_thai(people, services):
    owner = people.owner
    owner.wait(minutes=1)
    to_summary(owner, NEAR_JATUJAK)
    # The hint marks one's own complaint and gives it no button; a signed one of this very draft is refused.
    with transaction(services.sessions) as session:
        dialog = session.scalar(select(Dialog).where(Dialog.line_user_id == owner.user))
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == people.code))
        assert dialog is not None and complaint is not None
        postback = Postback("follow", dialog.draft_no, dialog.data.get("rev", 0), str(complaint.id))
    owner.postback(encode_postback(services.settings.secret_key.encode(), owner.user, postback))
    assert f"เรื่อง {people.code} เป็นเรื่องที่คุณแจ้งเองค่ะ" in owner.said()
    assert "ตรวจสอบก่อนส่งเรื่องค่ะ" in owner.said()  # the draft stays, its summary asked again
    assert follows(services) == []
    owner.tap("ยืนยันส่งเรื่อง")
    assert len(complaints(services)) == 2  # and it can still be filed


def test_following_a_complaint_closed_since_the_hint_is_refused_and_the_draft_kept(people, services):
    neighbour = people.neighbour
    to_summary(neighbour, NEAR_JATUJAK)
    hint = flex_cards(neighbour.last)[-2]
    acknowledge(people.officer, people.code)
    resolve(people.officer, people.code, "เปลี่ยนหลอดไฟแล้ว")
    neighbour.tap(FOLLOW, [hint])
    assert f"เรื่อง {people.code} ปิดไปแล้ว (แก้ไขเสร็จแล้ว) จึงติดตามไม่ได้ค่ะ" in neighbour.said()
    assert follows(services) == []
    assert "ตรวจสอบก่อนส่งเรื่องค่ะ" in neighbour.said()
    neighbour.tap("ยืนยันส่งเรื่อง")  # the draft is whole: it files as it was
    assert "ส่งเรื่องเรียบร้อยแล้วค่ะ" in neighbour.said()
    assert len(complaints(services)) == 2


def test_following_twice_is_answered_and_the_second_draft_kept(people, services):
    follow_instead(people.neighbour, people.code)
    people.neighbour.wait(minutes=1)
    said = texts(follow_instead(people.neighbour, people.code))
    assert f"คุณติดตามเรื่อง {people.code} อยู่แล้วค่ะ" in said
    assert len(follows(services)) == 1
    with transaction(services.sessions) as session:
        dialog = session.scalar(select(Dialog).where(Dialog.line_user_id == people.neighbour.user))
        assert dialog is not None and dialog.state == "confirm" and dialog.data["description"]


def test_at_most_one_active_follow_per_citizen_and_complaint_in_the_database(people, services):
    """Two taps at once: the partial unique index lets one through; an ended follow does not count."""
    follow_instead(people.neighbour, people.code)
    neighbour = citizen_of(services, people.neighbour.user)
    complaint = the_complaint(services, people.code)
    with pytest.raises(IntegrityError), transaction(services.sessions) as session:
        session.add(ComplaintFollower(complaint_id=complaint.id, citizen_id=neighbour.id, since=NOW))
        session.flush()
    with transaction(services.sessions) as session:
        row = session.scalar(select(ComplaintFollower))
        assert row is not None
        row.until = NOW
        session.flush()
        again = follow(session, session.get(Complaint, complaint.id), session.get(Citizen, neighbour.id), NOW)
        assert again.id != row.id
        with pytest.raises(ActionRefused) as refused:
            follow(session, session.get(Complaint, complaint.id), session.get(Citizen, neighbour.id), NOW)
        assert refused.value.reason == "already_following"


# ---- where the followers show: the list, the card, the admin page, the public API ------------------


def test_the_tracking_list_and_the_code_show_a_followed_complaint_with_unfollow(people, services):
    follow_instead(people.neighbour, people.code)
    people.neighbour.text("ติดตามเรื่อง")
    said = people.neighbour.said()
    assert "เรื่องที่คุณติดตาม (1 เรื่อง) ค่ะ" in said and people.code in said
    assert people.neighbour.button(f"เลิกติดตาม {people.code}")["type"] == "postback"
    people.neighbour.text(people.code)
    said = people.neighbour.said()
    assert "คุณติดตามเรื่องนี้อยู่ (ผู้อื่นเป็นผู้แจ้ง)" in said and "มีผู้แจ้งเรื่อง" in said
    assert "คุณแจ้งเรื่อง" not in said
    people.neighbour.tap(UNFOLLOW)
    assert "เลิกติดตามเรื่อง" in people.neighbour.said()
    people.neighbour.text(people.code)  # no longer theirs to see
    assert f"ไม่พบเรื่องรหัส {people.code}" in people.neighbour.said()


def test_the_counts_on_the_officers_card_the_admin_page_and_the_public_api(people, services, client, world):
    assert client.get(f"/api/v1/complaints/{people.code}").json["followers"] == 0
    people.officer.text(people.code)
    assert "ผู้ติดตาม" not in people.officer.said()
    follow_instead(people.neighbour, people.code)
    people.officer.text(people.code)
    assert "ผู้ติดตาม 1 คน" in people.officer.said()
    body = client.get(f"/api/v1/complaints/{people.code}").json
    assert body["followers"] == 1
    assert people.neighbour.user not in json.dumps(body, ensure_ascii=False)  # how many, never who
    assert sign_in(client, "centre") == 302
    page = client.get(f"/admin/complaints/{people.code}").get_data(as_text=True)
    assert 'data-testid="followers"' in page and "1 คน" in page


def test_a_new_complaints_card_counts_followers_after_a_transfer(people, services):
    """The card pushed to the district a complaint is transferred to carries the count too."""
    follow_instead(people.neighbour, people.code)
    people.officer.text(people.code)
    people.officer.tap("โอนเรื่อง")
    people.officer.text("บางรัก")
    people.officer.text("อยู่นอกพื้นที่ความรับผิดชอบ")
    told = texts(people.neighbour.inbox())
    assert f"เรื่อง {people.code} ถูกโอนไปยัง" in told and "คุณได้รับข่าวนี้เพราะติดตาม" in told


# ---- personal data ---------------------------------------------------------------------------------


def test_the_followers_copy_lists_what_they_follow_and_erasure_removes_the_follows(people, services):
    follow_instead(people.neighbour, people.code)
    neighbour = citizen_of(services, people.neighbour.user)
    with transaction(services.sessions) as session:
        copy = citizen_export_zip(session, session.get(Citizen, neighbour.id), services.settings.photo_dir)
    followed = json.loads(zipfile.ZipFile(io.BytesIO(copy)).read("followed.json"))
    assert [(f["tracking_code"], f["until"]) for f in followed] == [(people.code, None)]
    assert "description" not in followed[0]  # the reporter's words are the reporter's

    people.neighbour.text("ลบข้อมูลของฉัน")
    people.neighbour.tap("ยืนยันลบข้อมูล")
    assert "ลบข้อมูลส่วนบุคคลของคุณแล้ว" in people.neighbour.said()
    assert follows(services) == []
    acknowledge(people.officer, people.code)
    assert people.neighbour.inbox() == []  # no notice reaches an erased follower
    assert "รับเรื่อง" in texts(people.owner.inbox())
