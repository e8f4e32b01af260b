"""`rongtook kpi score` in the middle of the year: pending by default, `--literal` "if the year ended today",
both explained per complaint; KPI_START_DATE for step 3 and its check at start-up (issue points 12, 13)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.services import Services
from models import Citizen, Complaint, Photo
from models.complaint_operations import Actor, acknowledge, report_progress, resolve
from models.complaint_operations import file_complaint as file_one
from models.db import transaction
from models.working_days import load_calendar
from tests.e2e.test_settings import run_cli

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 11, 24, 9, tzinfo=BANGKOK)
SCORE = ("kpi", "score", "--fy", "2570", "--district", "1007", "--as-of", "2027-03-31")


def bkk(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BANGKOK)


def handled_and_fresh(services: Services) -> tuple[str, str]:
    """1007: one complaint handled on time in November 2026, one filed at 14:00 on 31 March 2027."""
    with transaction(services.sessions) as s:
        calendar = load_calendar(s)
        citizen = Citizen(
            line_user_id="U" + "5" * 32, created_at=bkk(2026, 11, 1, 9), updated_at=bkk(2026, 11, 1, 9)
        )
        s.add(citizen)
        s.flush()
        codes = []
        for at in (bkk(2026, 11, 23, 9), bkk(2027, 3, 31, 14)):
            c = file_one(
                s, citizen, description="ทางเท้าชำรุด", category="ถนน", district_code="1007", latitude=None,
                longitude=None, photos=[], at=at, calendar=calendar,
            )  # fmt: skip
            codes.append(c.tracking_code)
        done = s.scalar(select(Complaint).where(Complaint.tracking_code == codes[0]))
        assert done is not None
        officer = Actor("officer", None, "1007", "ทดสอบ")
        acknowledge(s, done, officer, bkk(2026, 11, 23, 10), calendar)
        report_progress(s, done, officer, bkk(2026, 11, 23, 11), "ช่างตรวจแล้ว")
        after = Photo(path="after.png", content_type="image/png", size_bytes=1, sha256="x", created_at=NOW)
        s.add(after)
        s.flush()
        resolve(s, done, officer, bkk(2026, 11, 24, 9), "ซ่อมเสร็จแล้ว", [after])
    return codes[0], codes[1]


def test_pending_by_default_failing_literally_both_explained(
    services: Services, db_url: str, tmp_path: Path
) -> None:
    done, fresh = handled_and_fresh(services)
    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(tmp_path / "p")}

    default = run_cli(tmp_path, *SCORE, "--format", "json", "--explain", **env)
    assert default.returncode == 0, default.stderr
    (unit,) = json.loads(default.stdout)["units"]
    steps = {s["step"]: s for s in unit["steps"]}
    assert unit["view"] == "pending" and unit["n"] == 2
    assert [(steps[n]["correct"], steps[n]["of"], steps[n]["pending"]) for n in (1, 2)] == [
        (1, 1, 1),
        (1, 1, 1),
    ]
    assert [r["code"] for r in steps[1]["pending_reasons"]] == [fresh] and steps[1]["failures"] == []

    literal = run_cli(tmp_path, *SCORE, "--literal", "--format", "json", "--explain", **env)
    assert literal.returncode == 0, literal.stderr
    (literal_unit,) = json.loads(literal.stdout)["units"]
    steps = {s["step"]: s for s in literal_unit["steps"]}
    assert literal_unit["view"] == "literal"
    assert [(steps[n]["correct"], steps[n]["of"], steps[n]["pending"]) for n in (1, 2)] == [
        (1, 2, 0),
        (1, 2, 0),
    ]
    assert [r["rule"] for r in steps[1]["failures"]] == ["ack_pending"]
    assert unit["total"] > literal_unit["total"]

    text = run_cli(tmp_path, *SCORE, "--explain", **env)
    assert text.returncode == 0, text.stderr
    explained = text.stdout.split("ปทุมวัน", 1)[1]
    assert "pending (not yet due, could still become correct):" in explained
    assert f"{fresh}: ยังไม่ได้ตอบรับเรื่อง" in explained and "not acknowledged yet (due 2027-04-01)" in explained
    assert done not in explained
    literal_text = run_cli(tmp_path, *SCORE, "--literal", "--explain", **env)
    assert "literal view" in literal_text.stdout
    assert f"    {fresh}: " in literal_text.stdout and "not resolved by 2027-03-31" in literal_text.stdout


def test_the_deployments_start_date_and_a_bad_one(services: Services, db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(tmp_path / "p")}
    year = ("kpi", "score", "--fy", "2570", "--district", "1007", "--as-of", "2027-10-31", "--format", "json")
    every = run_cli(tmp_path, *year, **env)
    assert every.returncode == 0, every.stderr
    assert json.loads(every.stdout)["units"][0]["steps"][2]["of"] == 12
    started = run_cli(tmp_path, *year, KPI_START_DATE="2027-03-15", **env)
    assert started.returncode == 0, started.stderr
    (unit,) = json.loads(started.stdout)["units"]
    assert (unit["steps"][2]["of"], unit["steps"][2]["deductions"], unit["kpi_start_on"]) == (
        7,
        0.7,
        "2027-03-15",
    )

    bad = run_cli(tmp_path, *year, KPI_START_DATE="15/03/2027", **env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "rongtook: setting KPI_START_DATE: '15/03/2027' is not a date such as 2027-03-01 (YYYY-MM-DD)"
    )
    assert "Traceback" not in bad.stdout + bad.stderr
