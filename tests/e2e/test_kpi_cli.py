"""`rongtook kpi score` on complaints made through the bot: the score and every lost point explained."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction

from sqlalchemy import select

from models import Complaint
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from tests.citizen_chat import JATUJAK, Chat, flex_cards
from tests.e2e.test_settings import run_cli


def file_one(citizen: Chat, text: str) -> str:
    citizen.text(text)
    citizen.tap("ไม่มีรูป")
    citizen.location(*JATUJAK)
    citizen.tap(citizen.last[-1]["quickReply"]["items"][0]["action"]["label"])  # the likeliest category
    citizen.tap("ยืนยันส่งเรื่อง")
    with transaction(citizen.services.sessions) as session:
        return session.scalars(select(Complaint.tracking_code).order_by(Complaint.id.desc())).first()  # type: ignore[return-value]


def test_scores_and_explanations_for_complaints_handled_through_line(
    client, services, stub, db_url, tmp_path
):
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with transaction(services.sessions) as session:
        code = new_link_code(session, add_officer(session, "1030", "สมศรี", "officer", now), now).code
    citizen, officer = Chat(client, services, stub), Chat(client, services, stub)
    officer.text(code)
    handled = file_one(citizen, "ไฟถนนดับ 3 ต้น หน้าซอย 5")
    officer.at = citizen.at  # the two phones share one clock: the officer acts after the filing
    card = flex_cards(officer.inbox())[0]
    officer.tap("รับเรื่อง", [card])
    officer.tap("รายงานความคืบหน้า")
    officer.text("ช่างไฟฟ้าตรวจแล้ว")
    officer.tap("ส่ง")
    officer.text(handled)
    officer.tap("แก้ไขเสร็จ")
    officer.text("เปลี่ยนหลอดไฟแล้ว")
    officer.photo("after-1")
    officer.tap("ส่ง")
    forgotten = file_one(citizen, "ขยะล้นถังหน้าตลาด")  # never acknowledged

    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(tmp_path / "p")}
    args = ("kpi", "score", "--fy", "2570", "--district", "1030", "--as-of", "2026-12-31")
    result = run_cli(tmp_path, *args, "--format", "json", "--explain", **env)
    assert result.returncode == 0, result.stderr
    (unit,) = json.loads(result.stdout)["units"]
    assert unit["district"] == "1030" and unit["n"] == 2
    steps = {s["step"]: s for s in unit["steps"]}
    assert (steps[1]["correct"], steps[2]["correct"]) == (1, 1)
    # 50 % on steps 1 and 2 (below 95 %: points × 50/95); October and November reports never sent: −0.2.
    expected = Fraction(1) * 50 / 95 + Fraction(2) * 50 / 95 + Fraction(2) - Fraction(2, 10)
    assert abs(Fraction(str(unit["total"])) - expected) < Fraction(1, 10_000)

    table = run_cli(tmp_path, *args, "--explain", **env)
    assert table.returncode == 0, table.stderr
    assert forgotten in table.stdout and handled not in table.stdout.split("จตุจักร", 1)[1]
    assert "จตุจักร" in table.stdout


def test_rebuild_facts_keeps_the_scores_the_event_log_gives(client, services, stub, db_url, tmp_path):
    """`rongtook kpi rebuild-facts` (after an import straight into the event log, say): the scores
    afterwards, read from the kept facts, are those the event log gives."""
    citizen = Chat(client, services, stub)
    for text in ("ไฟถนนดับหน้าซอย 3", "ทางเท้าชำรุดหน้าตลาด"):
        file_one(citizen, text)
    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(tmp_path / "p")}
    args = ("kpi", "score", "--fy", "2570", "--as-of", "2026-12-31", "--format", "json")
    from_log = run_cli(tmp_path, *args, **env)  # never built yet: the scorer reads the event log
    assert from_log.returncode == 0, from_log.stderr

    rebuilt = run_cli(tmp_path, "kpi", "rebuild-facts", **env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 complaints" in rebuilt.stdout
    kept = run_cli(tmp_path, *args, **env)
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout) == json.loads(from_log.stdout)
    assert sum(u["n"] for u in json.loads(kept.stdout)["units"]) == 2  # both complaints counted
