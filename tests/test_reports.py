"""Monthly reports CPL_R001/CPL_R003 and the step 3 submissions, on every backend.

November 2026 in district 1001 (พระนคร) has no public holiday; complaints are written with the ORM,
their stored deadline columns set as the officer actions set them, their events in the log.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kpi.reports import R001_HEADERS, R003_HEADERS, cpl_r001, cpl_r003, display_width, to_csv, to_xlsx
from kpi.submissions import (
    SubmissionRefused,
    be_month,
    fiscal_months,
    month_bounds,
    on_time,
    parse_month,
    report_due,
    submissions,
    submit_month,
    thai_month,
)
from models import Citizen, Complaint, ComplaintEvent, MonthlyReport
from models.db import transaction
from models.tracking_codes import ALPHABET
from scheduler.calendar_store import load_calendar
from scheduler.deadlines import ack_due, first_progress_due, next_due_checkpoint

BKK = ZoneInfo("Asia/Bangkok")
REPO = Path(__file__).resolve().parents[1]
NOV = date(2026, 11, 1)
A, B = "1001", "1002"
STATUS_AFTER = {
    "acknowledged": "acknowledged",
    "progress": "in_progress",
    "resolved": "resolved",
    "rejected": "rejected",
    "reopened": "in_progress",
}


def bkk(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=BKK)


def code_for(n: int) -> str:
    """A tracking code of the real shape, `69-` and six letters of the code alphabet."""
    letters = []
    for _ in range(6):
        n, r = divmod(n, len(ALPHABET))
        letters.append(ALPHABET[r])
    return "69-" + "".join(reversed(letters))


def citizen(session) -> Citizen:  # type: ignore[no-untyped-def]
    row = session.scalar(select(Citizen).where(Citizen.line_user_id == "Ureports"))
    if row is None:
        row = Citizen(line_user_id="Ureports", created_at=bkk(2026, 10, 1), updated_at=bkk(2026, 10, 1))
        session.add(row)
        session.flush()
    return row


def add_complaint(
    session,  # type: ignore[no-untyped-def]
    n: int,
    district: str,
    routed: datetime,
    events: Sequence[tuple[str, datetime]] = (),
    category: str | None = "ถนน/ทางเท้า",
) -> Complaint:
    """Routed at `routed`, then `events` (kind, at) in order; the columns set as the actions set them."""
    cal = load_calendar(session)
    c = Complaint(
        tracking_code=code_for(n),
        citizen_id=citizen(session).id,
        district_code=district,
        category=category,
        description="ทดสอบ",
        status="routed",
        created_at=routed,
        routed_at=routed,
        ack_due_at=ack_due(routed, cal),
    )
    session.add(c)
    session.flush()
    log = [("filed", routed), ("routed", routed), *events]
    for kind, at in log:
        session.add(
            ComplaintEvent(
                complaint_id=c.id, kind=kind, at=at, actor_kind="officer", district_code=district, text="x"
            )
        )
        if kind == "acknowledged":
            c.acknowledged_at = at
            c.first_progress_due_at = first_progress_due(at, cal)
            c.next_checkpoint_on = next_due_checkpoint(c.first_progress_due_at, None)
        elif kind == "progress":
            c.first_progress_at = c.first_progress_at or at
            c.last_progress_at = at
        elif kind == "resolved":
            c.resolved_at = at
        elif kind == "reopened":
            c.resolved_at = None
        c.status = STATUS_AFTER.get(kind, c.status)
    session.flush()
    return c


def november(services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The scripted district 1001 (and a little of 1002) for November 2026; returns name → tracking code."""
    with transaction(services.sessions) as s:
        made = {
            # ack late (due Tue 3), first progress late (due Tue 10, came Fri 20): 15th missed, 30th met
            "A": add_complaint(
                s,
                1,
                A,
                bkk(2026, 11, 2),
                [("acknowledged", bkk(2026, 11, 5)), ("progress", bkk(2026, 11, 20))],
            ),
            # all on time, resolved on the 12th: not in the backlog
            "B": add_complaint(
                s,
                2,
                A,
                bkk(2026, 11, 2),
                [
                    ("acknowledged", bkk(2026, 11, 3)),
                    ("progress", bkk(2026, 11, 4)),
                    ("resolved", bkk(2026, 11, 12)),
                ],
            ),
            # never acknowledged (due Thu 26)
            "C": add_complaint(s, 3, A, bkk(2026, 11, 25), category=None),
            # all on time; the 30th met by the update of the 23rd
            "D": add_complaint(
                s,
                4,
                A,
                bkk(2026, 11, 20),
                [("acknowledged", bkk(2026, 11, 20)), ("progress", bkk(2026, 11, 23))],
            ),
            # the 15th met (update of the 11th), the 30th missed; resolved in December: open at November's end
            "E": add_complaint(
                s,
                5,
                A,
                bkk(2026, 11, 10),
                [
                    ("acknowledged", bkk(2026, 11, 10)),
                    ("progress", bkk(2026, 11, 11)),
                    ("resolved", bkk(2026, 12, 3)),
                ],
            ),
            # routed Fri 27, ack due Mon 30 (not passed at the month's end), rejected in December
            "H": add_complaint(s, 6, A, bkk(2026, 11, 27), [("rejected", bkk(2026, 12, 2))]),
            # resolved on the 20th, reopened in December: closed at November's end
            "I": add_complaint(
                s,
                7,
                A,
                bkk(2026, 11, 16),
                [
                    ("acknowledged", bkk(2026, 11, 16)),
                    ("progress", bkk(2026, 11, 17)),
                    ("resolved", bkk(2026, 11, 20)),
                    ("reopened", bkk(2026, 12, 2)),
                ],
            ),
            # from October: the 15th met (update of the 14th), the 30th missed
            "J": add_complaint(
                s,
                8,
                A,
                bkk(2026, 10, 28),
                [
                    ("acknowledged", bkk(2026, 10, 28)),
                    ("progress", bkk(2026, 10, 29)),
                    ("progress", bkk(2026, 11, 14)),
                ],
            ),
            # another district's, and one routed in December
            "F": add_complaint(s, 9, B, bkk(2026, 11, 2)),
            "G": add_complaint(s, 10, A, bkk(2026, 12, 1)),
        }
        return {name: c.tracking_code for name, c in made.items()}


AS_OF = bkk(2026, 12, 8, 9)


def test_backlog_lists_open_complaints_with_the_deadlines_they_missed(services):
    codes = november(services)
    with transaction(services.sessions) as s:
        report = cpl_r001(s, A, NOV, AS_OF)
    items = {item.code: item for item in report.items}
    assert set(items) == {codes[n] for n in "ACDEHJ"}  # B resolved, I closed at the month's end, F, G not
    assert [item.code for item in report.items][0] == codes["J"]  # oldest first

    a = items[codes["A"]]
    assert [(m.kind, m.due) for m in a.missed] == [
        ("ack_late", date(2026, 11, 3)),
        ("first_progress_late", date(2026, 11, 10)),
        ("checkpoint_missed", date(2026, 11, 15)),
    ]
    assert a.missed[0].done == date(2026, 11, 5)
    assert (a.received, a.age_days, a.status) == (date(2026, 11, 2), 28, "in_progress")

    assert [(m.kind, m.due) for m in items[codes["C"]].missed] == [("ack_missing", date(2026, 11, 26))]
    assert items[codes["D"]].missed == ()
    assert [(m.kind, m.due) for m in items[codes["E"]].missed] == [("checkpoint_missed", date(2026, 11, 30))]
    assert items[codes["E"]].status == "in_progress"  # as it stood then, not resolved as now
    assert (items[codes["H"]].status, items[codes["H"]].missed) == ("routed", ())
    assert [(m.kind, m.due) for m in items[codes["J"]].missed] == [("checkpoint_missed", date(2026, 11, 30))]
    assert items[codes["J"]].age_days == 33

    row = next(r for r in report.rows if r[1] == codes["A"])
    assert row[3] == "2 พ.ย. 2569" and row[5] == "อยู่ระหว่างดำเนินการ"
    assert "รับเรื่องล่าช้า (กำหนด 3 พ.ย. 2569 รับเมื่อ 5 พ.ย. 2569)" in row[6]
    assert "ไม่รายงานความคืบหน้ารอบวันที่ 15 พ.ย. 2569" in row[6]
    assert next(r for r in report.rows if r[1] == codes["C"])[2] == "-"  # no category


def test_backlog_before_the_month_ends_is_as_of_that_moment(services):
    codes = november(services)
    with transaction(services.sessions) as s:
        report = cpl_r001(s, A, NOV, bkk(2026, 11, 15, 12))
    items = {item.code: item for item in report.items}
    assert set(items) == {codes[n] for n in "AEJ"}  # B resolved on the 12th; C, D, H, I not yet routed
    assert [m.kind for m in items[codes["A"]].missed] == [
        "ack_late",
        "first_progress_missing",
    ]  # 15th not over
    assert items[codes["A"]].status == "acknowledged"
    assert report.as_of == bkk(2026, 11, 15, 12)


def test_monthly_performance_counts_with_percentages(services):
    november(services)
    with transaction(services.sessions) as s:
        report = cpl_r003(s, A, NOV, AS_OF)
    lines = {line.key: (line.count, line.of, line.percent) for line in report.items}
    assert lines == {
        "received": (7, None, None),  # A B C D E H I
        "ack_on_time": (4, 7, Decimal("57.14")),  # B D E I
        "first_progress_on_time": (4, 7, Decimal("57.14")),  # B D E I
        "resolved": (2, 7, Decimal("28.57")),  # B, I (reopened only in December)
        "rejected": (0, 7, Decimal("0.00")),  # H only in December
        "pending": (5, 7, Decimal("71.43")),
        # 15th: A missed, E met, J met; 30th: A met, D met, E missed, J missed (I closed, B closed)
        "checkpoints_met": (4, 7, Decimal("57.14")),
        "backlog": (6, None, None),  # the five and J from October
    }
    assert report.headers == R003_HEADERS
    assert report.rows[1] == ("รับเรื่องภายในกำหนด (1 วันทำการ)", 4, 7, Decimal("57.14"))


def test_a_month_with_nothing_gives_zeros_and_no_percentages(services):
    with transaction(services.sessions) as s:
        report = cpl_r003(s, "1050", NOV, AS_OF)
        empty = cpl_r001(s, "1050", NOV, AS_OF)
    assert all(line.count == 0 and line.percent is None for line in report.items)
    assert empty.rows == ()
    data = to_xlsx(empty)
    assert load_workbook(io.BytesIO(data)).active["A5"].value == "ไม่มีรายการ"


def test_unknown_district_is_refused(services):
    with transaction(services.sessions) as s, pytest.raises(ValueError, match="no district 9999"):
        cpl_r001(s, "9999", NOV, AS_OF)


def test_xlsx_has_thai_title_bold_headers_be_dates_widths_and_frozen_header(services):
    codes = november(services)
    with transaction(services.sessions) as s:
        report = cpl_r001(s, A, NOV, AS_OF)
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    sheet = book.active
    assert sheet.title == "CPL_R001"
    assert sheet["A1"].value == (
        "CPL_R001 รายงานเรื่องร้องเรียนค้างดำเนินการ สำนักงานเขตพระนคร ประจำเดือนพฤศจิกายน 2569"
    )
    assert sheet["A1"].font.bold
    assert sheet["A2"].value == "ข้อมูล ณ วันที่ 30 พ.ย. 2569 เวลา 23:59 น."
    headers = [c.value for c in sheet[4]]
    assert tuple(headers) == R001_HEADERS
    assert all(c.font.bold for c in sheet[4])
    assert sheet.freeze_panes == "A5"
    rows = {r[1]: r for r in sheet.iter_rows(min_row=5, values_only=True)}
    a = rows[codes["A"]]
    assert a[3] == "2 พ.ย. 2569" and isinstance(a[3], str)  # a BE date as text, never an Excel date
    assert a[4] == 28
    assert "ไม่รายงานความคืบหน้ารอบวันที่ 15 พ.ย. 2569" in a[6]
    assert sheet.column_dimensions["G"].width > sheet.column_dimensions["A"].width >= 8
    assert sheet.column_dimensions["G"].width <= 60


def test_xlsx_of_the_performance_report_has_numbers_for_percentages(services):
    november(services)
    with transaction(services.sessions) as s:
        report = cpl_r003(s, A, NOV, AS_OF)
    sheet = load_workbook(io.BytesIO(to_xlsx(report))).active
    assert sheet["A1"].value.startswith("CPL_R003 รายงานผลการดำเนินการเรื่องร้องเรียน สำนักงานเขตพระนคร")
    assert sheet["A6"].value == "รับเรื่องภายในกำหนด (1 วันทำการ)"
    assert (sheet["B6"].value, sheet["C6"].value, sheet["D6"].value) == (4, 7, 57.14)
    assert sheet["D6"].number_format == "0.00"


def test_csv_has_a_bom_and_thai_intact(services):
    codes = november(services)
    with transaction(services.sessions) as s:
        r001 = cpl_r001(s, A, NOV, AS_OF)
        r003 = cpl_r003(s, A, NOV, AS_OF)
    data = to_csv(r001)
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == R001_HEADERS
    a = next(r for r in rows if r[1] == codes["A"])
    assert a[3] == "2 พ.ย. 2569" and a[5] == "อยู่ระหว่างดำเนินการ"
    assert "รับเรื่องล่าช้า" in a[6]
    perf = list(csv.reader(io.StringIO(to_csv(r003).decode("utf-8-sig"))))
    assert perf[2] == ["รับเรื่องภายในกำหนด (1 วันทำการ)", "4", "7", "57.14"]
    assert perf[1] == ["เรื่องที่ได้รับในเดือน", "7", "", ""]


def test_file_names_and_thai_month_names():
    assert thai_month(NOV) == "พฤศจิกายน 2569"
    assert be_month(NOV) == "2569-11"
    assert display_width("ความคืบหน้า") == 9  # the marks above and below take no column


# ---- months and submissions -----------------------------------------------------------------------------


def test_months_in_be_or_ce():
    assert parse_month("2569-11") == parse_month("2026-11") == date(2026, 11, 1)
    assert parse_month("2570-1") == date(2027, 1, 1)
    for bad in ("2569-13", "พ.ย. 2569", "2569/11", ""):
        with pytest.raises(ValueError):
            parse_month(bad)
    assert fiscal_months(2570)[0] == date(2026, 10, 1) and fiscal_months(2570)[-1] == date(2027, 9, 1)
    assert fiscal_months(2027) == fiscal_months(2570)
    assert month_bounds(NOV) == (bkk(2026, 11, 1, 0), bkk(2026, 12, 1, 0))


def test_submission_by_the_10th_2359_is_on_time_and_the_11th_0001_is_late(services):
    with transaction(services.sessions) as s:
        on = submit_month(s, A, NOV, bkk(2026, 12, 10, 23, 59), "ผอ.เขตพระนคร")
        late = submit_month(s, B, NOV, bkk(2026, 12, 11, 0, 1), None)
    assert report_due(NOV) == datetime(2026, 12, 10, 23, 59, 59, 999999, tzinfo=BKK)
    assert on_time(NOV, on.submitted_at) is True
    assert on_time(NOV, late.submitted_at) is False
    with transaction(services.sessions) as s:
        year = submissions(s, A, 2570)
        everyone = submissions(s, None, 2570)
    assert [m.month for m in year] == fiscal_months(2570)
    assert [(m.month, m.submitted_at) for m in year if m.submitted_at] == [(NOV, bkk(2026, 12, 10, 23, 59))]
    assert len(everyone) == 50 * 12
    assert {(m.district, m.submitted_at) for m in everyone if m.submitted_at} == {
        (A, bkk(2026, 12, 10, 23, 59)),
        (B, bkk(2026, 12, 11, 0, 1)),
    }


def test_a_month_not_yet_ended_cannot_be_submitted(services):
    with transaction(services.sessions) as s, pytest.raises(SubmissionRefused, match="has not ended"):
        submit_month(s, A, NOV, bkk(2026, 11, 30, 23, 59), None)
    with transaction(services.sessions) as s, pytest.raises(SubmissionRefused, match="no district"):
        submit_month(s, "9999", NOV, bkk(2026, 12, 2), None)
    with transaction(services.sessions) as s:
        assert s.scalars(select(MonthlyReport)).all() == []


def test_a_second_submission_keeps_the_first_time(services):
    with transaction(services.sessions) as s:
        submit_month(s, A, NOV, bkk(2026, 12, 12), "ช้า")
    with transaction(services.sessions) as s:
        again = submit_month(s, A, NOV, bkk(2026, 12, 13), "อีกครั้ง")
    assert (again.submitted_at, again.submitted_by) == (bkk(2026, 12, 12), "ช้า")


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
