"""The monthly reports' commands (`rongtook report cpl-r001/cpl-r003/submit`), run as processes."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from models import MonthlyReport
from models.db import transaction
from tests.reports_common import A, B, november

REPO = Path(__file__).resolve().parents[2]


# ---- the commands ---------------------------------------------------------------------------------------


def cli_module() -> str:
    """`bot.cli` once the report commands are wired into it; until then the module that has them."""
    import bot.cli

    return "bot.cli" if "report" in bot.cli.COMMANDS else "bot.cli_reports"


def run_rongtook(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL", "SECRET_KEY"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=db_url, PHOTO_DIR=str(tmp_path / "photos"))
    return subprocess.run(
        [sys.executable, "-m", cli_module(), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_report_commands_write_the_files(services, db_url, tmp_path):
    codes = november(services)
    services.engine.dispose()
    as_of = "--as-of=2026-12-08T09:00:00+07:00"
    done = run_rongtook(tmp_path, db_url, "report", "cpl-r001", "--district", A, "--month", "2569-11", as_of)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "CPL_R001_1001_2569-11.xlsx"
    sheet = load_workbook(path).active
    assert sheet["A1"].value.endswith("สำนักงานเขตพระนคร ประจำเดือนพฤศจิกายน 2569")
    assert codes["A"] in [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)]

    out = tmp_path / "perf.csv"
    done = run_rongtook(
        tmp_path, db_url, "report", "cpl-r003", "--district", A, "--month", "2026-11", "--format", "csv",
        "--output", str(out), as_of,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(codecs.BOM_UTF8)
    assert "เรื่องที่ได้รับในเดือน,7" in out.read_bytes().decode("utf-8-sig")

    done = run_rongtook(tmp_path, db_url, "report", "cpl-r001", "--district", A, "--month", "2569-13")
    assert done.returncode == 2 and "no month 13" in done.stderr


def test_submit_command_records_and_says_when_already_submitted(services, db_url, tmp_path):
    services.engine.dispose()
    args = ("report", "submit", "--district", A, "--month", "2569-11")
    done = run_rongtook(tmp_path, db_url, *args, "--at", "2026-12-10T23:59:00+07:00", "--by", "ผอ.")
    assert done.returncode == 0, done.stderr
    assert "on time" in done.stdout
    done = run_rongtook(tmp_path, db_url, *args, "--at", "2026-12-15T09:00:00+07:00")
    assert done.returncode == 0 and "already submitted at 2026-12-10T23:59:00+07:00" in done.stdout
    done = run_rongtook(tmp_path, db_url, "report", "submit", "--district", B, "--month", "2026-11",
                        "--at", "2026-12-11T00:01:00+07:00")  # fmt: skip
    assert "LATE" in done.stdout
    done = run_rongtook(tmp_path, db_url, *args[:4], "--month", "2099-01")
    assert done.returncode == 1 and "has not ended" in done.stderr and "Traceback" not in done.stderr
    done = run_rongtook(tmp_path, db_url, "report", "submissions", "--fy", "2570", "--district", A)
    lines = done.stdout.splitlines()
    assert len(lines) == 12 and "2569-11  2026-12-10T23:59:00+07:00  on time" in lines[1]
    with transaction(services.sessions) as s:
        row = s.get(MonthlyReport, (A, "2026-11"))
        assert row is not None and row.submitted_by == "ผอ."
        assert row.submitted_at == datetime(2026, 12, 10, 16, 59, tzinfo=UTC)
