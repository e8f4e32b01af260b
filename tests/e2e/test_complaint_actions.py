"""The admin commands around complaints (`rongtook holidays`, `rongtook officers`), run as processes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from models import Complaint, Officer
from models.clock import clock
from models.db import transaction
from models.officer_links import LinkResult, link_account, looks_like_link_code
from tests.citizen_chat import BANGKOK, Chat, flex_cards
from tests.complaint_actions_common import bring_to, citizen, end_of, filed
from tests.e2e.test_settings import run_cli
from texts import say

# ---- the admin commands --------------------------------------------------------------------------


def cli(db_url: str, tmp_path, *args: str):  # type: ignore[no-untyped-def]
    result = run_cli(tmp_path, *args, DATABASE_URL=db_url, PHOTO_DIR=str(tmp_path / "photos"))
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ack_due_of(services, code: str) -> datetime:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return session.scalar(select(Complaint.ack_due_at).where(Complaint.tracking_code == code))  # type: ignore[return-value]


def test_cli_holidays_add_list_and_remove_recompute_open_deadlines(services, db_url, tmp_path):
    with transaction(services.sessions) as session:
        person = citizen(session)
        code = filed(session, person).tracking_code  # routed Tue 8 Dec 2026: due Wed 9
        closed = filed(session, person)
        bring_to(session, closed, "resolved")
        closed_code = closed.tracking_code
    assert ack_due_of(services, code) == end_of(9)

    added = cli(db_url, tmp_path, "holidays", "add", "2026-12-09", "วันหยุดพิเศษ")
    assert added.returncode == 0, added.stderr
    assert "deadlines recomputed: 1 open complaints changed" in added.stdout
    # Thu 10 Dec is Constitution Day, so the next working day after the new holiday is Fri 11.
    assert ack_due_of(services, code) == end_of(11)
    assert ack_due_of(services, closed_code) == end_of(9)

    listing = cli(db_url, tmp_path, "holidays", "list", "--year", "2569")  # 2569 BE = 2026
    assert listing.returncode == 0, listing.stderr
    assert "2026-12-09  Wed  วันหยุดพิเศษ  (admin)" in listing.stdout.splitlines()
    assert "2026-12-10  Thu  Constitution Day" in listing.stdout.splitlines()  # the package's: unmarked
    assert cli(db_url, tmp_path, "holidays", "list", "--year", "2026").stdout == listing.stdout
    assert "2026-12-09" not in cli(db_url, tmp_path, "holidays", "list", "--year", "2570").stdout

    removed = cli(db_url, tmp_path, "holidays", "remove", "2026-12-09")
    assert removed.returncode == 0, removed.stderr
    assert "deadlines recomputed: 1 open complaints changed" in removed.stdout
    assert ack_due_of(services, code) == end_of(9)
    assert "2026-12-09" not in cli(db_url, tmp_path, "holidays", "list", "--year", "2569").stdout
    again = cli(db_url, tmp_path, "holidays", "remove", "2026-12-09")
    assert again.returncode == 1 and "no declaration to remove" in again.stdout


def test_cli_officers_add_prints_a_link_code_and_deactivate_stops_their_taps(
    client, services, stub, db_url, tmp_path
):
    added = cli(db_url, tmp_path, "officers", "add", "--district", "1030", "--name", "สมพร")
    assert added.returncode == 0, added.stderr
    officer_id = int(re.search(r"^officer (\d+): สมพร \(officer, district 1030\)$", added.stdout, re.M)[1])  # type: ignore[index]
    code = re.search(r"^link code: (\S+) ", added.stdout, re.M)[1]  # type: ignore[index]
    assert len(code) == 10 and looks_like_link_code(code)

    # The command (another process) stamps the code with its clock (valid 24 hours): these chats run
    # a minute ahead of the same clock.
    start = clock.now().astimezone(BANGKOK).replace(microsecond=0) + timedelta(minutes=1)
    officer = Chat(client, services, stub, start=start)
    officer.text(code)
    assert "เชื่อมบัญชี LINE กับเจ้าหน้าที่ สมพร สำนักงานเขตจตุจักร" in officer.said()
    listing = cli(db_url, tmp_path, "officers", "list", "--district", "1030")
    assert f"{officer_id}  1030  officer  สมพร  active  LINE linked" in listing.stdout.splitlines()

    citizen_ = Chat(client, services, stub, start=start)
    citizen_.text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    citizen_.tap("ไม่มีรูป")
    citizen_.location(13.8040, 100.5530)
    citizen_.tap("แสงสว่าง")
    citizen_.tap("ยืนยันส่งเรื่อง")
    (card,) = flex_cards(officer.inbox())
    officer.at = citizen_.at

    off = cli(db_url, tmp_path, "officers", "deactivate", str(officer_id))
    assert off.returncode == 0 and f"officer {officer_id} สมพร: deactivated" in off.stdout
    officer.tap("รับเรื่อง", [card])
    assert officer.said() == say("officer_inactive")
    with transaction(services.sessions) as session:
        assert session.scalar(select(Complaint.status)) == "routed"
    assert "deactivated" in cli(db_url, tmp_path, "officers", "list").stdout

    on = cli(db_url, tmp_path, "officers", "activate", str(officer_id))
    assert on.returncode == 0 and "active" in on.stdout
    officer.tap("รับเรื่อง", [card])
    assert "รับเรื่อง" in officer.said() and "แล้วค่ะ" in officer.said()
    with transaction(services.sessions) as session:
        assert session.scalar(select(Complaint.status)) == "acknowledged"

    assert cli(db_url, tmp_path, "officers", "deactivate", "999999").returncode == 1


def test_cli_officers_code_replaces_the_earlier_unused_code(services, db_url, tmp_path):
    added = cli(
        db_url, tmp_path, "officers", "add", "--district", "1007", "--name", "สมชาย", "--role", "head"
    )
    first = re.search(r"^link code: (\S+) ", added.stdout, re.M)[1]  # type: ignore[index]
    with transaction(services.sessions) as session:
        (officer,) = session.scalars(select(Officer))
        assert (officer.district_code, officer.role, officer.active) == ("1007", "head", True)
        officer_id = officer.id
    fresh = cli(db_url, tmp_path, "officers", "code", str(officer_id))
    second = re.search(r"^link code: (\S+) ", fresh.stdout, re.M)[1]  # type: ignore[index]
    assert second != first
    now = clock.now() + timedelta(seconds=1)
    with transaction(services.sessions) as session:
        assert link_account(session, first, "U" + "a" * 32, now) == (LinkResult.WRONG, None)
        result, linked = link_account(session, second, "U" + "b" * 32, now)
        assert (result, linked.id if linked else None) == (LinkResult.LINKED, officer_id)
