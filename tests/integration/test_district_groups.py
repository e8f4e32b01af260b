"""District LINE groups (issue 18 point 2): linking by code, cards and digests to the group, taps from it,
the bot leaving, and the codes used wrongly — each as the people in the group would see it."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import cli
from bot.cli_groups import add_parser, cmd_groups
from bot.sandbox import events as ev
from handlers.reminder_notices import sweep
from models import Complaint, DistrictGroup, OutboxMessage
from models.clock import BANGKOK
from models.db import transaction
from models.district_groups import GROUP_CODE_TTL, new_group_code
from models.officer_links import add_officer, new_link_code
from models.outbox import enqueue
from models.working_days import load_calendar
from tests.admin_web import sign_in, token, world  # noqa: F401 - world is a fixture
from tests.citizen_chat import Chat, actions, flex_cards, texts
from tests.integration.test_officer_flow import file_one
from texts import say

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CHATUCHAK = "1030"


class Group(Chat):
    """A LINE group with the bot in it: members speak, and what the bot says to the group is collected."""

    def __init__(self, client, services, stub, **kw: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(client, services, stub, user=ev.new_group_id(), **kw)

    def join(self) -> list[dict[str, Any]]:
        return self.send(ev.join_event(self.user))

    def leave(self) -> list[dict[str, Any]]:
        return self.send(ev.leave_event(self.user))

    def says(self, member: str | None, body: str) -> list[dict[str, Any]]:
        return self.send(ev.in_group(ev.text_event(member or "U0", body), self.user, member))

    def taps(self, member: str | None, label: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        action = self.button(label, messages)
        return self.send(ev.in_group(ev.postback_event(member or "U0", action["data"]), self.user, member))


def group_code(services, district: str = CHATUCHAK, at: datetime = NOW) -> str:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return new_group_code(session, district, "admin", at).code


def linked_officer(client, services, stub, district: str = CHATUCHAK, name: str = "สมศรี") -> Chat:  # type: ignore[no-untyped-def]
    chat = Chat(client, services, stub)
    with transaction(services.sessions) as session:
        officer = add_officer(session, district, name, "officer", NOW)
        code = new_link_code(session, officer, NOW).code
    chat.text(code)
    assert "เชื่อมบัญชี LINE" in chat.said()
    return chat


@pytest.fixture
def office(client, services, stub):  # type: ignore[no-untyped-def]
    """Chatuchak's group, linked; its officer; a citizen."""
    group = Group(client, services, stub)
    officer = linked_officer(client, services, stub)
    citizen = Chat(client, services, stub)
    assert "รหัสเชื่อมกลุ่ม" in texts(group.join())  # the greeting says how to link
    group.says(officer.user, group_code(services))
    assert "เชื่อมกลุ่มนี้กับสำนักงานเขตจตุจักร" in group.said()
    return group, officer, citizen


def test_a_new_complaint_card_goes_to_the_group_and_not_to_each_officer(office, services):
    group, officer, citizen = office
    code = file_one(citizen)
    (card,) = flex_cards(group.inbox())
    assert code in texts([card])
    assert officer.inbox() == []  # the group is where the district's officers coordinate
    with transaction(services.sessions) as session:
        kinds = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.to == group.user)).all()
        assert "officer_card" in kinds  # counted as an officer card in the push counts


def test_a_district_officer_acknowledges_from_the_group(office, services):
    group, officer, citizen = office
    code = file_one(citizen)
    cards = flex_cards(group.inbox())
    answer = group.taps(officer.user, "รับเรื่อง", cards)
    assert "สมศรี: " in texts(answer) and "รับเรื่อง" in texts(answer)
    (fresh,) = flex_cards(answer)  # the card again, for the group, with the next actions
    assert "รายงานความคืบหน้า" in [a.get("label") for a in _actions(fresh)]
    assert "รับเรื่อง" in texts(citizen.inbox())  # the citizen hears of it, as from a one-to-one tap
    with transaction(services.sessions) as session:
        assert (
            session.scalar(select(Complaint.status).where(Complaint.tracking_code == code)) == "acknowledged"
        )


def test_a_progress_report_started_in_the_group_continues_one_to_one(office, services):
    group, officer, citizen = office
    file_one(citizen)
    cards = flex_cards(group.inbox())
    group.taps(officer.user, "รับเรื่อง", cards)
    fresh = flex_cards(group.last)
    answer = group.taps(officer.user, "รายงานความคืบหน้า", fresh)
    assert "แชทส่วนตัว" in texts(answer) and "สมศรี" in texts(answer)
    assert "ความคืบหน้า" in officer.inbox()[0]["text"]  # the question, in the officer's own chat
    officer.text("ช่างไฟฟ้าตรวจแล้ว รออะไหล่")
    officer.tap("ส่ง")
    assert "บันทึกความคืบหน้า" in officer.said()
    assert "ช่างไฟฟ้าตรวจแล้ว" in texts(citizen.inbox())


def test_taps_by_others_are_refused_politely_and_nothing_is_done(office, client, services, stub):
    group, officer, citizen = office
    code = file_one(citizen)
    cards = flex_cards(group.inbox())
    elsewhere = linked_officer(client, services, stub, district="1007", name="สมชาย")  # Pathum Wan
    stranger = ev.new_user_id()
    for tapper in (stranger, elsewhere.user):
        answer = texts(group.taps(tapper, "รับเรื่อง", cards))
        assert "ใช้ได้เฉพาะเจ้าหน้าที่สำนักงานเขตจตุจักร" in answer and "ยังไม่ได้ทำรายการ" in answer
    answer = texts(group.taps(None, "รับเรื่อง", cards))  # LINE gave no userId
    assert "ไม่ทราบว่าใครเป็นผู้กดปุ่ม" in answer
    with transaction(services.sessions) as session:
        assert session.scalar(select(Complaint.status).where(Complaint.tracking_code == code)) == "routed"
    assert citizen.inbox() == []


def test_a_card_sent_to_one_officer_cannot_be_replayed_in_the_group(client, services, stub):
    officer = linked_officer(client, services, stub)
    citizen = Chat(client, services, stub)
    file_one(citizen)  # no group yet: the card goes one-to-one, signed for the officer
    own_cards = flex_cards(officer.inbox())
    group = Group(client, services, stub)
    group.join()
    group.says(officer.user, group_code(services))
    assert texts(group.taps(officer.user, "รับเรื่อง", own_cards)) == say("refused_button")
    with transaction(services.sessions) as session:
        assert session.scalar(select(Complaint.status)) == "routed"


def test_reminder_digests_go_to_the_group(office, services):
    group, officer, citizen = office
    code = file_one(citizen)
    group.inbox()
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint.ack_due_at is not None
        # 09:00 on the day the acknowledgement is due: the "due today" reminder
        due = complaint.ack_due_at.astimezone(BANGKOK).replace(hour=9, minute=0, second=0, microsecond=0)
        report = sweep(session, due, load_calendar(session), now=group.now())
    assert [p.to for p in report.pushes] == [group.user]
    assert report.pushes[0].role == "group"
    assert CHATUCHAK not in {i.district_code for i in report.unreachable}
    group.worker.drain()
    assert code in texts(group.inbox()) and officer.inbox() == []


def test_removing_the_bot_unlinks_the_group_and_closes_what_was_queued(office, services, client, stub):
    group, officer, citizen = office
    with transaction(services.sessions) as session:
        enqueue(session, group.user, [{"type": "text", "text": "queued"}], now=NOW, kind="reminder")
    assert group.leave() == []  # nothing can be said to a group the bot has left
    with transaction(services.sessions) as session:
        row = session.scalar(select(DistrictGroup).where(DistrictGroup.group_id == group.user))
        assert (row.active, row.left_reason) == (False, "left")
        queued = session.scalar(
            select(OutboxMessage).where(OutboxMessage.to == group.user, OutboxMessage.kind == "reminder")
        )
        assert queued.status == "failed" and "no longer in this district group" in queued.last_error
    file_one(citizen)
    assert flex_cards(officer.inbox())  # back to one-to-one cards
    assert group.inbox() == []
    # A push queued for the group in a race with its leaving is not tried either.
    with transaction(services.sessions) as session:
        late = enqueue(session, group.user, [{"type": "text", "text": "late"}], now=NOW, kind="notice").id
    group.worker.drain()
    assert group.inbox() == []
    with transaction(services.sessions) as session:
        row = session.get(OutboxMessage, late)
        assert row.status == "failed" and "no longer in this district group" in row.last_error


def test_wrong_expired_and_used_group_codes_get_clear_answers(client, services, stub):
    group = Group(client, services, stub)
    group.join()
    member = ev.new_user_id()
    assert "ไม่พบรหัสเชื่อมกลุ่ม" in texts(group.says(member, "G-ABCDEFGH"))
    expired = group_code(services, at=group.at - GROUP_CODE_TTL - timedelta(hours=1))
    assert "หมดอายุ" in texts(group.says(member, expired))
    code = group_code(services, at=group.at)
    assert "เชื่อมกลุ่มนี้" in texts(group.says(member, code))
    other = Group(client, services, stub)
    other.join()
    assert "ถูกใช้ไปแล้ว" in texts(other.says(member, code))
    with transaction(services.sessions) as session:
        linked = session.scalars(select(DistrictGroup.group_id).where(DistrictGroup.active.is_(True))).all()
    assert linked == [group.user]


def test_a_group_code_in_a_one_to_one_chat_is_explained_and_not_used(client, services, stub):
    chat = Chat(client, services, stub)
    code = group_code(services)
    assert "ใช้ในแชทส่วนตัวไม่ได้" in texts(chat.text(code))
    group = Group(client, services, stub)
    assert "เชื่อมกลุ่มนี้" in texts(group.says(chat.user, code))  # still good for the group


def test_an_officer_link_code_typed_in_a_group_is_not_used_and_chatter_gets_no_answer(client, services, stub):
    group = Group(client, services, stub)
    group.join()
    with transaction(services.sessions) as session:
        officer = add_officer(session, CHATUCHAK, "สมศรี", "officer", NOW)
        code = new_link_code(session, officer, NOW).code
    assert "แชทส่วนตัว" in texts(group.says(ev.new_user_id(), code))
    assert group.says(ev.new_user_id(), "ประชุมบ่ายสองนะครับ") == []
    chat = Chat(client, services, stub)
    assert "เชื่อมบัญชี LINE" in texts(chat.text(code))  # the code still works where it belongs


def test_a_new_group_for_the_district_replaces_the_old_one(office, client, services, stub):
    group, officer, citizen = office
    second = Group(client, services, stub)
    second.join()
    second.says(officer.user, group_code(services))
    file_one(citizen)
    assert flex_cards(second.inbox()) and group.inbox() == []


def run(settings, *argv: str) -> int:  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser(prog="rongtook")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return cmd_groups(settings, parser.parse_args(["groups", *argv]))


def test_the_command_gives_a_code_lists_and_unlinks(client, services, stub, settings, capsys):  # type: ignore[no-untyped-def]
    assert run(settings, "code", "1030") == 0
    out = capsys.readouterr().out
    found = re.search(r"(G-[A-Z0-9]{8})", out)
    assert found and "จตุจักร" in out and "send the code there" in out
    group = Group(client, services, stub)
    group.join()
    assert "เชื่อมกลุ่มนี้กับสำนักงานเขตจตุจักร" in texts(group.says(ev.new_user_id(), found.group(1)))
    assert run(settings, "list") == 0
    listed = capsys.readouterr().out
    assert group.user in listed and "1030" in listed and "active" in listed
    assert run(settings, "unlink", group.user) == 0
    assert run(settings, "unlink", group.user) == 1  # not linked any more
    assert run(settings, "code", "9999") == 1  # no such district
    err = capsys.readouterr().err
    assert "no linked group" in err and "no district 9999" in err
    run(settings, "list")
    assert "unlinked" in capsys.readouterr().out


def test_the_command_is_registered_with_rongtook(db_url, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PHOTO_DIR", str(tmp_path / "photos"))
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    assert cli.main(["groups", "list"]) == 0
    assert "0 group(s)" in capsys.readouterr().out


@pytest.mark.usefixtures("world")  # the accounts of tests/admin_web.py
def test_an_admin_gives_a_code_on_the_web_and_unlinks_the_group(client, services, stub):  # type: ignore[no-untyped-def]
    web = client
    assert sign_in(web, "centre") == 302
    page = web.get("/admin/settings/groups")
    assert page.status_code == 200
    csrf = token(page.get_data(as_text=True))
    assert 'href="/admin/settings/groups"' in web.get("/admin/settings/holidays").get_data(as_text=True)
    given = web.post(
        "/admin/settings/groups", data={"csrf_token": csrf, "action": "code", "district": "1030"}
    )
    body = given.get_data(as_text=True)
    assert given.status_code == 200 and given.headers["Cache-Control"] == "no-store"
    code = re.search(r'data-testid="group-code">([^<]+)<', body)
    assert code and "เชิญบอทเข้ากลุ่ม LINE ของเขต แล้วส่งรหัสนี้ในกลุ่ม" in body
    bad = web.post("/admin/settings/groups", data={"csrf_token": csrf, "action": "code", "district": "99"})
    assert bad.status_code == 400
    group = Group(client, services, stub)
    group.join()
    assert "จตุจักร" in texts(group.says(ev.new_user_id(), code.group(1)))
    listing = web.get("/admin/settings/groups").get_data(as_text=True)
    assert f'data-testid="group-{group.user}"' in listing
    unlink = web.post(
        "/admin/settings/groups",
        data={"csrf_token": token(listing), "action": "unlink", "group_id": group.user},
        follow_redirects=True,
    )
    assert unlink.status_code == 200 and "ยกเลิกการเชื่อมแล้ว" in unlink.get_data(as_text=True)
    again = web.post(
        "/admin/settings/groups",
        data={"csrf_token": token(listing), "action": "unlink", "group_id": group.user},
    )
    assert again.status_code == 400


@pytest.mark.usefixtures("world")
def test_only_admins_see_the_groups_page(client):  # type: ignore[no-untyped-def]
    assert sign_in(client, "head1030") == 302
    assert client.get("/admin/settings/groups").status_code == 403


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return actions([card])
