"""What people hit on their first day, on LINE: each card titled by what happened, the citizen's own
photo on it (never an officer's), every history event in words, the refusal that fits, and the
"after"/progress photo prompt that counts instead of repeating itself.

Through the webhook and the worker, on every backend, as in `test_officer_actions.py` (whose
helpers this module uses).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from models import Citizen, Complaint, ComplaintEvent, District, Photo
from models import complaint_operations as ops
from models.clock import clock
from models.complaint_lifecycle import EVENT_KINDS
from models.db import transaction
from models.photos import save_photo
from models.working_days import load_calendar
from tests.citizen_chat import JATUJAK, Chat, flex_cards, texts
from tests.integration.test_officer_actions import (
    acknowledge_on_line,
    chat,
    file_one,
    linked,
    resolve_on_line,
    sync,
)
from tests.line_stub import tiny_png
from texts import say

REASON = "จุดนี้อยู่ฝั่งถนนพระราม 1 ในเขตปทุมวัน"
NOT_FIXED = "ยังดับอยู่ 1 ต้น ตรงเสาที่ 3"
CODE = re.compile(r"\d{2}-[2-9A-HJ-NP-Z]{6}")  # a tracking code


@pytest.fixture
def people_of_1030(client, services, stub):  # type: ignore[no-untyped-def]
    """A citizen and a linked officer of Chatuchak, and the services."""
    return chat(client, services, stub), linked(client, services, stub), services


@pytest.fixture
def chatuchak_and_pathum_wan(client, services, stub):  # type: ignore[no-untyped-def]
    """A citizen, an officer of Chatuchak (1030) and one of Pathum Wan (1007), and the services."""
    citizen, old = chat(client, services, stub), linked(client, services, stub)
    return citizen, old, linked(client, services, stub, "1007", "สมชาย"), services


def title(card: dict[str, Any]) -> str:
    """The card's first (bold) line."""
    return card["contents"]["body"]["contents"][0]["text"]


def hero_photo_id(card: dict[str, Any]) -> int | None:
    hero = card["contents"].get("hero")
    if hero is None:
        return None
    found = re.search(r"/media/photos/(\d+)/", hero["url"])
    assert found, hero["url"]
    return int(found[1])


def photo_ids(messages: list[dict[str, Any]]) -> list[int]:
    """The photos sent as image messages, by id."""
    urls = [m["originalContentUrl"] for m in messages if m.get("type") == "image"]
    return [int(re.search(r"/media/photos/(\d+)/", u)[1]) for u in urls]  # type: ignore[index]


def citizens_photo_ids(services: Services, code: str) -> list[int]:
    with transaction(services.sessions) as session:
        filed = (
            select(ComplaintEvent.id)
            .join(Complaint)
            .where(Complaint.tracking_code == code, ComplaintEvent.kind == "filed")
        )
        return list(session.scalars(select(Photo.id).where(Photo.event_id.in_(filed)).order_by(Photo.id)))


def file_with_photo(citizen: Chat) -> str:
    """A complaint in Chatuchak that starts with the citizen's photo (then the words, the place)."""
    citizen.photo()
    citizen.text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    citizen.location(*JATUJAK)
    citizen.tap("แสงสว่าง")
    found = CODE.search(texts(citizen.tap("ยืนยันส่งเรื่อง")))
    assert found, citizen.said()
    return found[0]


def by_admin(services: Services, code: str, act: Callable[[use_cases.Acting, Complaint], object]) -> None:
    """An action at the centre (as the staff web does it): its notices go into the outbox."""
    settings = services.settings
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        links = Links(settings.secret_key.encode(), settings.public_base_url)
        act(use_cases.Acting(session, ops.Actor("admin", None), clock.now(), links), complaint)


def acknowledged(citizen: Chat, officer: Chat) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A complaint filed (no photo) and acknowledged on LINE: its code, its new card, the card after."""
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(officer, citizen)
    return code, card, acknowledge_on_line(officer, card, code)


def transfer_on_line(officer: Chat, card: dict[str, Any], to: str, reason: str = REASON) -> None:
    officer.tap("โอนเรื่อง", [card])
    officer.tap(to)
    officer.text(reason)
    assert "แล้วค่ะ" in officer.said(), officer.said()


# ---- 1. the title says what happened -------------------------------------------------------------


def test_a_new_complaint_is_titled_new_and_the_officers_own_cards_by_their_status(client, services, stub):
    citizen, officer = chat(client, services, stub), linked(client, services, stub)
    code, card, working = acknowledged(citizen, officer)
    assert title(card) == say("new_complaint_title", code=code)
    assert say("card_status", status=say("status_routed")) in texts([card])
    assert title(working) == say("card_title_status", code=code, status=say("status_acknowledged"))
    officer.tap("ดูรายละเอียด", [working])
    (detail,) = flex_cards(officer.last)
    assert title(detail) == title(working)
    officer.text("ติดตามงาน")
    officer.tap(code)  # the worklist's quick reply opens the same card
    (listed,) = flex_cards(officer.last)
    assert title(listed) == title(working)
    assert "เรื่องใหม่" not in texts([working, detail, listed])


@pytest.mark.parametrize("via_centre", [False, True], ids=["from_a_district", "from_the_centre"])
def test_a_transferred_card_names_where_it_came_from_and_why(chatuchak_and_pathum_wan, via_centre):
    citizen, old, new, services = chatuchak_and_pathum_wan
    code, _, working = acknowledged(citizen, old)
    if via_centre:  # Chatuchak sends it back to the centre, which passes it on to Pathum Wan
        transfer_on_line(old, working, "ส่งกลับศูนย์", "ไม่ใช่งานของสำนักงานเขต")
        by_admin(services, code, lambda acting, c: use_cases.transfer(acting, c, "1007", REASON))
        new.worker.drain()  # the centre's notices went through the outbox
        origin = "ศูนย์รับเรื่อง"
    else:
        transfer_on_line(old, working, "ปทุมวัน")
        origin = "สำนักงานเขตจตุจักร"

    (arrived,) = flex_cards(new.inbox())
    assert title(arrived) == f"เรื่อง {code} โอนมาจาก{origin}"
    assert title(arrived) == say("card_title_transferred", code=code, origin=origin)
    assert f"เหตุผล: {REASON}" == say("card_reason", reason=REASON)
    assert f"เหตุผล: {REASON}" in texts([arrived])
    assert "เรื่องใหม่" not in texts([arrived])
    assert new.button("รับเรื่อง", [arrived])  # it waits for the new district's acknowledgement


def test_a_reopened_card_counts_the_times_and_shows_the_citizens_words_and_no_after_photo(people_of_1030):
    citizen, officer, _ = people_of_1030
    code, _, working = acknowledged(citizen, officer)  # no photo of the citizen's
    for time in (1, 2):
        resolve_on_line(officer, working, code)  # with an "after" photo
        told = citizen.inbox()
        sync(citizen, officer)
        citizen.tap("ยังไม่ได้รับการแก้ไข", told)
        citizen.text(f"{NOT_FIXED} (ครั้งที่ {time})")

        pushed = officer.inbox()
        assert [m["type"] for m in pushed] == ["flex"]  # the card alone says it
        (working,) = pushed
        assert title(working) == say("card_title_reopened", code=code, count=time)
        assert title(working) == f"เรื่อง {code} ผู้แจ้งแจ้งว่ายังไม่ได้แก้ไข ครั้งที่ {time}"
        assert f"ความเห็นผู้แจ้ง: {NOT_FIXED} (ครั้งที่ {time})" in texts([working])
        assert hero_photo_id(working) is None  # not the officer's "after" photo
        sync(officer, citizen)


# ---- 2. the card's photo is the citizen's -------------------------------------------------------


def test_the_card_shows_the_citizens_photo_not_the_officers(chatuchak_and_pathum_wan):
    citizen, old, new, services = chatuchak_and_pathum_wan
    code = file_with_photo(citizen)
    (mine,) = citizens_photo_ids(services, code)
    (card,) = flex_cards(old.inbox())
    assert hero_photo_id(card) == mine
    sync(old, citizen)
    working = acknowledge_on_line(old, card, code)
    assert hero_photo_id(working) == mine
    old.tap("รายงานความคืบหน้า", [working])
    old.text("ช่างเข้าพื้นที่แล้ว")
    old.photo()
    old.tap("ส่ง")
    old.tap("ดูรายละเอียด", [working])
    assert photo_ids(old.last) == [mine]  # the details show the citizen's photo, not the progress one
    assert hero_photo_id(flex_cards(old.last)[0]) == mine

    transfer_on_line(old, working, "ปทุมวัน")
    (arrived,) = flex_cards(new.inbox())
    assert hero_photo_id(arrived) == mine


def test_no_photo_on_the_card_when_the_citizen_sent_none(people_of_1030):
    citizen, officer, _ = people_of_1030
    code, card, working = acknowledged(citizen, officer)
    assert hero_photo_id(card) is None
    resolve_on_line(officer, working, code)
    officer.text(code)
    assert [m["type"] for m in officer.last] == ["text", "flex"]  # no image: the one photo is the officer's
    assert hero_photo_id(flex_cards(officer.last)[0]) is None


# ---- 3. every event in the citizen's history has its words ----------------------------------------


def every_kind_of_event(services: Services, citizen: Chat, code: str) -> None:
    """The rest of a complaint's life, at the centre: one event of every kind the system writes."""
    moment = [citizen.now()]

    def at() -> Any:
        moment[0] += timedelta(minutes=5)
        return moment[0]

    admin = ops.Actor("admin", None)
    with transaction(services.sessions) as session:
        c = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        person = session.scalar(select(Citizen).where(Citizen.line_user_id == citizen.user))
        assert c is not None and person is not None
        calendar = load_calendar(session)
        ops.acknowledge(session, c, admin, at(), calendar)
        ops.report_progress(session, c, admin, at(), "ช่างเข้าพื้นที่แล้ว")
        ops.transfer(session, c, admin, at(), "1007", REASON, calendar)
        ops.acknowledge(session, c, admin, at(), calendar)
        after = save_photo(session, services.settings.photo_dir, tiny_png(), "image/png", at())
        ops.resolve(session, c, admin, at(), "เปลี่ยนหลอดไฟแล้ว", [after])
        ops.rate(session, c, person, at(), 4)
        ops.reopen(session, c, person, at(), NOT_FIXED)
        ops.reject(session, c, admin, at(), "ไม่ใช่ไฟสาธารณะ")
    citizen.at = moment[0]


def test_the_history_has_words_for_every_kind_of_event_in_both_languages(client, services, stub):
    citizen = chat(client, services, stub)
    code = file_one(citizen)
    every_kind_of_event(services, citizen, code)
    with transaction(services.sessions) as session:
        kinds = set(session.scalars(select(ComplaintEvent.kind)))
        chatuchak = session.get(District, "1030")
        assert chatuchak is not None
        names = {"th": chatuchak.name_th, "en": chatuchak.name_en}
    assert kinds == set(EVENT_KINDS)  # the complaint went through every kind there is

    for lang in ("th", "en"):
        with transaction(services.sessions) as session:
            session.execute(update(Citizen).where(Citizen.line_user_id == citizen.user).values(language=lang))
        citizen.text(code)
        history = [line for line in citizen.said().split("\n") if line.startswith("• ")]
        assert len(history) == 11, citizen.said()  # one line an event
        lines = "\n".join(history) + "\n"
        for kind in EVENT_KINDS:
            words = say(f"event_{kind}", lang, district=names[lang], stars=4)
            assert f" {words}" in lines, (lang, kind, words, history)
        assert not re.search(rf" {say('event_other', lang)}(:|$)", lines, re.M), history
        assert f" {say('event_rated', lang, stars=4)}\n" in lines  # not "other"


# ---- 4. "no longer yours" only when it was ---------------------------------------------------------


def test_no_longer_yours_only_for_the_district_it_was_transferred_away_from(
    chatuchak_and_pathum_wan, client, stub
):
    citizen, old, new, services = chatuchak_and_pathum_wan
    never = linked(client, services, stub, "1006", "สมหมาย")
    code = file_one(citizen)
    (card,) = flex_cards(old.inbox())
    sync(old, new, never, citizen)

    never.text(code)
    assert never.said() == say("refused_other_district")
    assert never.said() == "เรื่องนี้ไม่ได้อยู่ในความรับผิดชอบของเขตคุณ จึงทำรายการไม่ได้ค่ะ"
    new.text(code)  # not Pathum Wan's yet
    assert new.said() == say("refused_other_district")

    transfer_on_line(old, card, "ปทุมวัน")
    gone = "เรื่องนี้ไม่ได้อยู่ในความรับผิดชอบของเขตคุณแล้ว จึงทำรายการไม่ได้ค่ะ"
    assert say("refused_not_your_district") == gone
    old.text(code)
    assert old.said() == gone
    old.tap("รับเรื่อง", [card])  # its own card, from before: refused by the use case
    assert old.said() == gone
    old.tap("ดูรายละเอียด", [card])
    assert old.said() == gone
    sync(never, old)
    never.text(code)
    assert never.said() == say("refused_other_district")


# ---- 5. the photo prompt counts -----------------------------------------------------------------


@pytest.mark.parametrize(
    "button, first, more, done",
    [
        ("แก้ไขเสร็จ", "ask_after_photos", "after_photos_in", "resolved_ok"),
        ("รายงานความคืบหน้า", "ask_progress_photos", "progress_photos_in", "progress_ok"),
    ],
    ids=["after", "progress"],
)
def test_after_the_first_photo_the_prompt_counts_and_says_send_sends(
    people_of_1030, button, first, more, done
):
    citizen, officer, _ = people_of_1030
    code, _, working = acknowledged(citizen, officer)
    officer.tap(button, [working])
    officer.text("เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว")
    assert officer.said() == say(first)

    officer.photo()
    assert officer.said() == say(more, count=1)  # one message: the count and what "ส่ง" does
    assert "(1/4)" in officer.said() and "“ส่ง”" in officer.said() and say(first) not in officer.said()
    assert officer.photo(image_set=(1, 2)) == []  # the middle of a photo set: nothing yet
    officer.photo(image_set=(2, 2))
    assert officer.said() == say(more, count=3)
    officer.tap("ส่ง")
    assert officer.said() == say(done, code=code)
