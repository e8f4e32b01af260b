"""Monthly reports CPL_R001/CPL_R003 and the step 3 submissions, on every backend.

November 2026 in district 1001 (พระนคร) has no public holiday; complaints are written with the ORM,
their stored deadline columns set as the officer actions set them, their events in the log.
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kpi.reports import R001_HEADERS, R003_HEADERS, cpl_r001, cpl_r003, to_csv, to_xlsx
from kpi.submissions import (
    SubmissionRefused,
    fiscal_months,
    on_time,
    report_due,
    submissions,
    submit_month,
)
from models import MonthlyReport
from models.db import transaction
from tests.reports_common import BKK, NOV, A, B, bkk, november

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
        "received_via_line": (7, 7, Decimal("100.00")),  # every one of them came through LINE
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
    assert report.rows[1] == ("— ทางLINE", 7, 7, Decimal("100.00"))
    assert report.rows[2] == ("รับเรื่องภายในกำหนด (1 วันทำการ)", 4, 7, Decimal("57.14"))


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
    assert sheet["A7"].value == "รับเรื่องภายในกำหนด (1 วันทำการ)"
    assert (sheet["B7"].value, sheet["C7"].value, sheet["D7"].value) == (4, 7, 57.14)
    assert sheet["D7"].number_format == "0.00"


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
    assert perf[3] == ["รับเรื่องภายในกำหนด (1 วันทำการ)", "4", "7", "57.14"]
    assert perf[1] == ["เรื่องที่ได้รับในเดือน", "7", "", ""]


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
