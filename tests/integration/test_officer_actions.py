"""Officers on LINE, the hard cases: link codes, who may act on what, transfer, reject, reopen, the worklist.

Every test talks to the bot the way LINE does (signed webhook events in, the worker's LINE calls
out) and checks both what people were told and what the database holds afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import Complaint, ComplaintEvent, Officer, OutboxMessage
from models.complaint_operations import Actor, reject
from models.db import transaction
from models.officer_links import OfficerLinkCode, add_officer, new_link_code, set_active
from tests.citizen_chat import BANGKOK, JATUJAK, SIAM, Chat, actions, flex_cards, texts
from texts import say

# A Monday. The webhook stamps inbox rows with the real clock and each chat's worker claims them by
# the chat's LINE clock, so every chat here starts at this moment, which must lie ahead of real time.
START = datetime(2027, 11, 22, 9, 0, tzinfo=BANGKOK)
NOW = START.astimezone(UTC)


def register(services, district: str = "1030", name: str = "สมศรี", role: str = "officer") -> str:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        officer = add_officer(session, district, name, role, NOW)
        return new_link_code(session, officer, NOW).code


def file_one(citizen: Chat, where: tuple[float, float] = JATUJAK, what: str = "ไฟถนนดับ 3 ต้น หน้าซอย 5") -> str:
    citizen.text(what)
    citizen.tap("ไม่มีรูป")
    citizen.location(*where)
    citizen.tap("แสงสว่าง")
    citizen.tap("ยืนยันส่งเรื่อง")
    assert "ส่งเรื่องเรียบร้อยแล้ว" in citizen.said()
    with transaction(citizen.services.sessions) as session:
        return session.scalars(select(Complaint.tracking_code).order_by(Complaint.id.desc())).first()  # type: ignore[return-value]


def chat(client, services, stub) -> Chat:  # type: ignore[no-untyped-def]
    return Chat(client, services, stub, start=START)


def linked(client, services, stub, district: str = "1030", name: str = "สมศรี") -> Chat:  # type: ignore[no-untyped-def]
    officer = chat(client, services, stub)
    officer.text(register(services, district, name))
    assert "เชื่อมบัญชี LINE" in officer.said()
    return officer


@pytest.fixture
def people(client, services, stub):  # type: ignore[no-untyped-def]
    citizen = chat(client, services, stub)
    officer = linked(client, services, stub)
    return citizen, officer


def sync(*chats: Chat) -> None:
    """Every chat has its own LINE clock: bring them to the same moment (the latest of them)."""
    latest = max(c.at for c in chats)
    for c in chats:
        c.at = latest


def row(services, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What the database holds about one complaint, as plain values."""
    with transaction(services.sessions) as session:
        c = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert c is not None
        events = list(
            session.scalars(
                select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.id)
            )
        )
        return {
            "status": c.status,
            "district": c.district_code,
            "routed_at": c.routed_at,
            "ack_due_at": c.ack_due_at,
            "acknowledged_at": c.acknowledged_at,
            "first_progress_due_at": c.first_progress_due_at,
            "resolved_at": c.resolved_at,
            "reopen_count": c.reopen_count,
            "kinds": [e.kind for e in events],
            "events": [(e.kind, e.text, dict(e.data or {}), e.district_code) for e in events],
        }


def officer_row(services, chat_: Chat) -> Officer:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        found = session.scalar(select(Officer).where(Officer.line_user_id == chat_.user))
        assert found is not None
        session.expunge(found)
        return found


def end_of(day: int, month: int = 11, year: int = 2027) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=BANGKOK)


def acknowledge_on_line(officer: Chat, card: dict[str, Any], code: str) -> dict[str, Any]:
    """Tap "รับเรื่อง" on a card; returns the card the reply carries (progress, resolve, ... buttons)."""
    officer.tap("รับเรื่อง", [card])
    assert f"รับเรื่อง {code} แล้วค่ะ" in officer.said()
    (after,) = flex_cards(officer.last)
    return after


def resolve_on_line(officer: Chat, card: dict[str, Any], code: str) -> None:
    officer.tap("แก้ไขเสร็จ", [card])
    officer.text("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    officer.photo()
    officer.tap("ส่ง")
    assert say("resolved_ok", code=code) in officer.said()


# ---- link codes ---------------------------------------------------------------------------------


def test_a_link_code_links_once_and_a_second_user_gets_the_neutral_answer(client, services, stub):
    code = register(services)
    first, second = chat(client, services, stub), chat(client, services, stub)
    first.text(code)
    assert "เชื่อมบัญชี LINE กับเจ้าหน้าที่ สมศรี สำนักงานเขตจตุจักร" in first.said()
    second.text(code.lower())  # typed in lower case: still the same code, still used
    assert second.said() == say("link_wrong")
    with transaction(services.sessions) as session:
        (officer,) = session.scalars(select(Officer))
        assert officer.line_user_id == first.user
        used = session.get(OfficerLinkCode, code)
        assert (used.used_by, used.used_at) == (first.user, first.at)


def test_an_expired_link_code_is_refused_like_a_wrong_one(client, services, stub):
    code = register(services)
    with transaction(services.sessions) as session:
        session.get(OfficerLinkCode, code).expires_at = NOW - timedelta(minutes=1)
    officer = chat(client, services, stub)
    officer.text(code)
    assert officer.said() == say("link_wrong")
    with transaction(services.sessions) as session:
        assert session.scalar(select(Officer.line_user_id)) is None


def test_a_link_code_lives_24_hours(client, services, stub):
    early, late = chat(client, services, stub), chat(client, services, stub)
    early_code, late_code = register(services, name="ก่อน"), register(services, name="หลัง")
    early.wait(hours=23, minutes=59)
    early.text(early_code)
    assert "เชื่อมบัญชี LINE" in early.said()
    late.wait(hours=24)
    late.text(late_code)
    assert late.said() == say("link_wrong")


def test_five_wrong_codes_pause_linking_for_30_minutes_even_for_the_right_code(client, services, stub):
    code = register(services)
    guesser = chat(client, services, stub)
    for n in range(5):
        guesser.text(f"ZZZZZZZZZ{n + 2}")  # looks like a link code, is none
        assert guesser.said() == say("link_wrong")
    guesser.text(code)
    assert guesser.said() == say("link_paused")
    guesser.wait(minutes=20)
    guesser.text(code)
    assert guesser.said() == say("link_paused")
    guesser.wait(minutes=11)  # 31 minutes after the pause began
    guesser.text(code)
    assert "เชื่อมบัญชี LINE" in guesser.said()
    with transaction(services.sessions) as session:
        assert session.scalar(select(Officer.line_user_id)) == guesser.user


def test_four_wrong_codes_or_five_spread_over_more_than_15_minutes_do_not_pause(client, services, stub):
    first, second = register(services, name="หนึ่ง"), register(services, name="สอง")
    careless = chat(client, services, stub)
    for n in range(4):
        careless.text(f"ZZZZZZZZZ{n + 2}")
    careless.text(first)
    assert "เชื่อมบัญชี LINE" in careless.said()

    slow = chat(client, services, stub)
    for n in range(4):
        slow.text(f"YYYYYYYYY{n + 2}")
    slow.wait(minutes=16)
    slow.text("YYYYYYYYY9")  # the fifth, but the window started over
    assert slow.said() == say("link_wrong")
    slow.text(second)
    assert "เชื่อมบัญชี LINE" in slow.said()


def test_a_linked_officer_who_sends_another_link_code_is_told_they_are_linked(people, services):
    _, officer = people
    other = register(services, name="สมใจ")
    officer.text(other)
    assert say("link_already", name="สมศรี") in officer.said()
    with transaction(services.sessions) as session:
        assert session.scalar(select(Officer.line_user_id).where(Officer.name == "สมศรี")) == officer.user
        assert session.get(OfficerLinkCode, other).used_at is None  # the other officer's code is left alone


# ---- who may act on what -------------------------------------------------------------------------


def test_a_deactivated_officer_is_told_so_and_nothing_changes(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    before = row(services, code)
    citizen.inbox()
    with transaction(services.sessions) as session:
        set_active(session, officer_row(services, officer).id, False)

    sync(officer, citizen)
    officer.tap("รับเรื่อง", [card])
    assert officer.said() == say("officer_inactive")
    officer.text("ติดตามงาน")
    assert officer.said() == say("officer_inactive")
    officer.text(code)
    assert officer.said() == say("officer_inactive")
    assert row(services, code) == before
    assert citizen.inbox() == []

    file_one(citizen, what="ท่อระบายน้ำอุดตัน น้ำขัง")  # new complaints no longer reach them
    assert flex_cards(officer.inbox()) == []

    with transaction(services.sessions) as session:
        set_active(session, officer_row(services, officer).id, True)
    sync(officer, citizen)
    acknowledge_on_line(officer, card, code)
    assert row(services, code)["status"] == "acknowledged"


def test_an_officer_of_another_district_can_neither_see_nor_act_on_the_complaint(client, services, stub):
    citizen = chat(client, services, stub)
    mine, other = linked(client, services, stub), linked(client, services, stub, "1007", "สมชาย")
    code = file_one(citizen)
    (card,) = flex_cards(mine.inbox())
    assert flex_cards(other.inbox()) == []  # the card went to Chatuchak only
    before = row(services, code)
    citizen.inbox()

    sync(other, citizen)
    other.text(code)
    assert other.said() == say("refused_other_district")  # it never was Pathum Wan's
    for label in ("รับเรื่อง", "โอนเรื่อง", "ไม่รับเรื่อง", "ดูรายละเอียด"):
        other.postback(mine.button(label, [card])["data"])  # the first officer's own buttons, replayed
        assert other.said() == say("refused_button"), label
    other.text("ติดตามงาน")
    assert say("worklist_none", district="ปทุมวัน") in other.said()

    assert row(services, code) == before
    assert citizen.inbox() == [] and flex_cards(mine.inbox()) == []


def test_a_citizen_tapping_an_officers_button_data_is_refused(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    before = row(services, code)
    for label in ("รับเรื่อง", "ไม่รับเรื่อง"):
        citizen.postback(officer.button(label, [card])["data"])
        assert say("refused_button") in citizen.said(), label
    assert row(services, code) == before
    assert officer.inbox() == []


def test_a_double_tap_on_acknowledge_acknowledges_once(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    acknowledge_on_line(officer, card, code)
    officer.tap("รับเรื่อง", [card])
    assert officer.said() == say("refused_status", code=code, status=say("status_acknowledged"))
    state = row(services, code)
    assert state["kinds"] == ["filed", "routed", "acknowledged"]
    told = texts(citizen.inbox())
    assert told.count(f"รับเรื่อง {code} แล้วค่ะ") == 1


def test_nothing_more_can_be_done_to_a_resolved_complaint(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    working = acknowledge_on_line(officer, card, code)
    resolve_on_line(officer, working, code)
    before = row(services, code)
    assert before["status"] == "resolved"
    citizen.inbox()

    refused = say("refused_status", code=code, status=say("status_resolved"))
    officer.tap("รับเรื่อง", [card])
    assert officer.said() == refused
    for label in ("รายงานความคืบหน้า", "แก้ไขเสร็จ", "โอนเรื่อง", "ไม่รับเรื่อง"):
        officer.tap(label, [working])
        assert officer.said() == refused, label
    assert row(services, code) == before
    assert citizen.inbox() == []


# ---- transfer ------------------------------------------------------------------------------------


def test_transfer_to_another_district_restarts_the_clock_and_moves_the_buttons(client, services, stub):
    citizen = chat(client, services, stub)
    old, new = linked(client, services, stub), linked(client, services, stub, "1007", "สมชาย")
    code = file_one(citizen)  # Mon 22 Nov 2027: acknowledgement due Tue 23
    (card,) = flex_cards(old.inbox())
    assert row(services, code)["ack_due_at"] == end_of(23)
    sync(old, citizen)
    working = acknowledge_on_line(old, card, code)

    old.wait(days=2)  # Wed 24 Nov
    old.tap("โอนเรื่อง", [working])
    assert say("ask_transfer_target", code=code) in old.said()
    old.tap("ปทุมวัน")  # from the district picker
    assert old.said() == say("ask_transfer_reason")
    old.text("จุดนี้อยู่ฝั่งถนนพระราม 1 ในเขตปทุมวัน")
    moved_at = old.at
    assert say("transferred_ok", code=code, target="สำนักงานเขตปทุมวัน") in old.said()

    state = row(services, code)
    assert (state["status"], state["district"]) == ("routed", "1007")
    assert state["routed_at"] == moved_at
    assert state["ack_due_at"] == end_of(25)  # one working day after the transfer, not after filing
    assert (state["acknowledged_at"], state["first_progress_due_at"]) == (None, None)
    assert state["kinds"] == ["filed", "routed", "acknowledged", "transferred", "routed"]
    _, reason, data, _ = state["events"][3]
    assert reason == "จุดนี้อยู่ฝั่งถนนพระราม 1 ในเขตปทุมวัน"
    assert data == {"to_district": "1007", "from_district": "1030"}
    assert state["events"][4][3] == "1007"

    (new_card,) = flex_cards(new.inbox())
    assert code in texts([new_card]) and "ต้องรับเรื่องภายใน 25 พ.ย. 2570" in texts([new_card])
    told = texts(citizen.inbox())
    assert say("notice_transferred", code=code, target="สำนักงานเขตปทุมวัน", reason=reason) in told

    refused = say("refused_not_your_district")
    old.tap("รับเรื่อง", [card])
    assert old.said() == refused
    for label in ("รายงานความคืบหน้า", "แก้ไขเสร็จ", "โอนเรื่อง", "ไม่รับเรื่อง", "ดูรายละเอียด"):
        old.tap(label, [working])
        assert old.said() == refused, label
    old.text(code)
    assert old.said() == refused
    assert row(services, code)["kinds"] == state["kinds"]

    sync(new, old)
    acknowledge_on_line(new, new_card, code)
    assert row(services, code)["status"] == "acknowledged"


def test_transfer_by_typed_district_name_refuses_the_same_district(people, client, services, stub):
    citizen, officer = people
    other = linked(client, services, stub, "1007", "สมชาย")
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    officer.tap("โอนเรื่อง", [card])  # straight from the new-complaint card
    officer.text("เขตที่ไม่มีอยู่จริง")
    assert "ไม่พบเขตชื่อ “เขตที่ไม่มีอยู่จริง”" in officer.said()
    officer.text("บาง")
    assert "มีหลายเขตที่ตรงกับ “บาง”" in officer.said()
    officer.text("เขตจตุจักร")
    assert officer.said() == say("ask_transfer_reason")
    officer.text("ลองโอนให้ตัวเอง")
    assert say("refused_same_district") in officer.said()
    assert say("ask_transfer_target", code=code) in officer.said()  # asked for the target again
    assert row(services, code)["kinds"] == ["filed", "routed"]
    officer.text("ปทุมวัน")
    officer.text("อยู่ในเขตปทุมวัน")
    assert say("transferred_ok", code=code, target="สำนักงานเขตปทุมวัน") in officer.said()
    assert row(services, code)["district"] == "1007"
    assert len(flex_cards(other.inbox())) == 1


def test_transfer_back_to_the_centre_leaves_the_complaint_without_a_district(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    officer.tap("โอนเรื่อง", [card])
    officer.tap("ส่งกลับศูนย์")
    officer.text("ไม่ใช่งานของสำนักงานเขต")
    assert say("transferred_ok", code=code, target="ศูนย์รับเรื่อง") in officer.said()
    assert flex_cards(officer.last) == []

    state = row(services, code)
    assert (state["status"], state["district"], state["routed_at"], state["ack_due_at"]) == (
        "routed",
        None,
        None,
        None,
    )
    assert state["kinds"] == ["filed", "routed", "transferred"]
    assert state["events"][2][2] == {"to_district": None, "from_district": "1030"}
    told = texts(citizen.inbox())
    assert say("notice_transferred", code=code, target="ศูนย์รับเรื่อง", reason="ไม่ใช่งานของสำนักงานเขต") in told

    officer.tap("รับเรื่อง", [card])
    assert officer.said() == say("refused_not_your_district")
    assert row(services, code)["kinds"] == state["kinds"]


# ---- reject --------------------------------------------------------------------------------------


def shown_as(officer: Chat, text: str) -> dict[str, Any]:
    """The button in the last messages that, tapped, shows `text` in the chat."""
    (action,) = [a for a in actions(officer.last) if a.get("displayText") == text]
    return action


def test_the_reject_kind_buttons_show_whole_words(people):
    citizen, officer = people
    file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    officer.tap("ไม่รับเรื่อง", [card])
    labels = [a["label"] for a in actions(officer.last) if a["type"] == "postback"]
    assert all(len(label) <= 20 for label in labels)  # LINE's limit for quick reply labels
    assert labels == [say("reject_not_complaint"), say("reject_duplicate")]  # not cut off mid-word


def test_reject_as_not_a_complaint_tells_the_citizen_why(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    officer.tap("ไม่รับเรื่อง", [card])
    assert say("ask_reject_kind", code=code) in officer.said()
    officer.postback(shown_as(officer, say("reject_not_complaint"))["data"])
    assert say("ask_reject_reason") in officer.said()
    officer.text("เป็นไฟในพื้นที่เอกชน ไม่ใช่ไฟสาธารณะ")
    assert say("rejected_ok", code=code) in officer.said()

    state = row(services, code)
    assert state["status"] == "rejected"
    assert state["kinds"] == ["filed", "routed", "rejected"]
    _, reason, data, _ = state["events"][2]
    assert reason == "เป็นไฟในพื้นที่เอกชน ไม่ใช่ไฟสาธารณะ" and "duplicate_of" not in data
    told = texts(citizen.inbox())
    assert say("notice_rejected", code=code, district="จตุจักร", reason=reason) in told


def test_reject_as_a_duplicate_names_the_other_complaint(people, services):
    citizen, officer = people
    first = file_one(citizen)
    second = file_one(citizen, what="ไฟถนนดับหน้าซอย 5 มืดมาก")
    first_card, second_card = flex_cards(officer.inbox())
    assert second in texts([second_card])
    sync(officer, citizen)
    officer.tap("ไม่รับเรื่อง", [second_card])
    officer.tap("เรื่องซ้ำ")
    assert say("ask_duplicate_code") in officer.said()
    officer.text("69-ZZZZZZ")
    assert "ไม่พบเรื่องรหัส 69-ZZZZZZ" in officer.said()
    officer.text(second)  # itself: refused, and asked again
    assert say("refused_duplicate_of_itself") in officer.said()
    assert say("ask_duplicate_code") in officer.said()
    assert row(services, second)["status"] == "routed"
    officer.text(first.replace("-", "").lower())  # typed loosely
    assert say("rejected_ok", code=second) in officer.said()

    state = row(services, second)
    assert state["status"] == "rejected"
    _, reason, data, _ = state["events"][-1]
    assert data == {"duplicate_of": first}
    assert reason == f"เรื่องซ้ำ {first}"
    assert row(services, first)["status"] == "routed"
    told = texts(citizen.inbox())
    assert say("notice_rejected", code=second, district="จตุจักร", reason=reason) in told


# ---- after resolution ----------------------------------------------------------------------------


def test_not_fixed_reopens_the_complaint_and_the_district_gets_it_back(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    working = acknowledge_on_line(officer, card, code)
    resolve_on_line(officer, working, code)
    told = citizen.inbox()
    sync(citizen, officer)

    citizen.tap("ยังไม่ได้รับการแก้ไข", told)
    assert say("ask_reopen_comment") in citizen.said()
    citizen.text("ยังดับอยู่ 1 ต้น ตรงเสาที่ 3")
    assert say("reopened", code=code, district="จตุจักร") in citizen.said()

    state = row(services, code)
    assert (state["status"], state["reopen_count"], state["resolved_at"]) == ("in_progress", 1, None)
    assert state["kinds"][-1] == "reopened"
    assert state["events"][-1][1] == "ยังดับอยู่ 1 ต้น ตรงเสาที่ 3"

    pushed = officer.inbox()
    (again,) = flex_cards(pushed)  # the card says it, with the citizen's words
    assert say("card_title_reopened", code=code, count=1) in texts([again])
    assert say("card_citizen_comment", comment="ยังดับอยู่ 1 ต้น ตรงเสาที่ 3") in texts([again])
    assert officer.button("รายงานความคืบหน้า", [again]) and officer.button("แก้ไขเสร็จ", [again])

    citizen.tap("5 ดาว", told)  # the old rating buttons: it is not resolved any more
    assert say("cannot_rate") in citizen.said()
    citizen.tap("ยังไม่ได้รับการแก้ไข", told)
    assert say("cannot_rate") in citizen.said()
    assert row(services, code)["reopen_count"] == 1


# ---- delivery ------------------------------------------------------------------------------------


def test_a_push_that_fails_for_one_officer_still_reaches_the_others(client, services, stub):
    citizen = chat(client, services, stub)
    first, second = linked(client, services, stub), linked(client, services, stub, name="สมหญิง")
    already = len(stub.calls("/v2/bot/message/push"))
    stub.scripts["/v2/bot/message/push"] = [200] * already + [400, 200]
    code = file_one(citizen)

    with transaction(services.sessions) as session:
        rows = {
            r.to: (r.status, r.last_http_status, r.attempts)
            for r in session.scalars(
                select(OutboxMessage).where(OutboxMessage.to.in_([first.user, second.user]))
            )
            if code in r.messages
        }
    assert sorted(rows.values()) == [("done", 200, 1), ("failed", 400, 1)]
    (sent_to,) = [user for user, (status, _, _) in rows.items() if status == "done"]
    reached = first if sent_to == first.user else second
    (card,) = flex_cards(reached.inbox())
    assert code in texts([card])
    assert row(services, code)["status"] == "routed"


# ---- the worklist --------------------------------------------------------------------------------


def test_the_worklist_shows_the_districts_open_complaints_overdue_first(people, services, client, stub):
    citizen, officer = people
    acked = file_one(citizen)  # Mon 22 Nov
    gone = file_one(citizen, what="ไฟถนนดับอีกจุด ตรงป้ายรถเมล์")
    citizen.wait(days=3)  # Thu 25 Nov
    late = file_one(citizen, what="ทางเท้าชำรุด หน้าตลาด")  # acknowledgement due Fri 26 Nov
    elsewhere = file_one(citizen, SIAM, "ไฟถนนดับ หน้าห้าง")
    with transaction(services.sessions) as session:
        other = session.scalar(select(Complaint).where(Complaint.tracking_code == gone))
        reject(session, other, Actor("admin", None), NOW, "ซ้ำ")
    cards = {c["altText"].split(":")[0].split()[-1]: c for c in flex_cards(officer.inbox())}
    assert set(cards) == {acked, gone, late}
    sync(officer, citizen)
    acknowledge_on_line(officer, cards[acked], acked)  # first progress due Tue 30 Nov

    officer.wait(days=4)  # Mon 29 Nov: the acknowledgement of `late` is overdue
    officer.text("ติดตามงาน")
    listing = officer.said()
    assert say("worklist_header", district="จตุจักร", count=2) in listing
    assert gone not in listing and elsewhere not in listing
    assert listing.index(late) < listing.index(acked)
    late_item, acked_item = listing.split(late)[1].split(acked)
    assert "รับเรื่องภายใน 26 พ.ย. 2570" in late_item and "⚠ เกินกำหนด" in late_item
    assert "รายงานครั้งแรกภายใน 30 พ.ย. 2570" in acked_item and "เกินกำหนด" not in acked_item
    items = officer.last[-1]["quickReply"]["items"]
    assert [i["action"]["text"] for i in items] == [late, acked]  # one tap opens each, in the same order


# ---- unfinished actions --------------------------------------------------------------------------


def test_starting_another_action_drops_the_unfinished_one(people, services):
    citizen, officer = people
    first = file_one(citizen)
    second = file_one(citizen, what="ไฟถนนดับที่ซอย 7")
    first_card, second_card = flex_cards(officer.inbox())
    sync(officer, citizen)
    first_working = acknowledge_on_line(officer, first_card, first)
    second_working = acknowledge_on_line(officer, second_card, second)
    citizen.inbox()

    officer.tap("รายงานความคืบหน้า", [first_working])
    officer.text("ส่งช่างไปดูแล้ว")
    send_first = officer.button("ส่ง")["data"]
    officer.tap("แก้ไขเสร็จ", [second_working])
    assert say("action_replaced", code=first) in officer.said()
    assert say("ask_result_text", code=second) in officer.said()
    officer.postback(send_first)  # the dropped progress report cannot be sent any more
    assert say("stale_button") in officer.said() and say("ask_result_text", code=second) in officer.said()

    officer.text("เปลี่ยนหลอดไฟแล้ว")
    officer.photo()
    officer.tap("ส่ง")
    assert say("resolved_ok", code=second) in officer.said()
    assert row(services, second)["status"] == "resolved"
    assert row(services, first)["kinds"] == ["filed", "routed", "acknowledged"]
    told = texts(citizen.inbox())
    assert "เปลี่ยนหลอดไฟแล้ว" in told and "ส่งช่างไปดูแล้ว" not in told


def test_an_unfinished_action_expires_after_two_hours(people, services):
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    working = acknowledge_on_line(officer, card, code)

    officer.tap("รายงานความคืบหน้า", [working])
    officer.text("รออะไหล่")
    officer.wait(hours=1, minutes=59)
    officer.tap("ส่ง")  # still in time
    assert say("progress_ok", code=code) in officer.said()

    officer.tap("รายงานความคืบหน้า", [working])
    officer.text("ช่างเข้าพื้นที่แล้ว")
    officer.wait(hours=2)
    officer.tap("ส่ง")
    assert say("action_cancelled") in officer.said()
    assert say("progress_ok", code=code) not in officer.said()
    assert [e[1] for e in row(services, code)["events"] if e[0] == "progress"] == ["รออะไหล่"]
