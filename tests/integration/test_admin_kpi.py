"""The KPI pages: the scorer's numbers by district, one district's lost points, seed 001's table, exports.

Complaints with known outcomes (times explicit, Bangkok; FY 2570, scored as of 31 Dec 2026):
- 1030: `on_time` (acknowledged, reported, resolved within its deadlines), `late_ack` (acknowledged
  Thu 26 Nov, due Tue 24 Nov: two working days late; then reported and resolved), and the world's
  `ours` (filed Mon 23 Nov, never acknowledged). October's monthly report on time, November's missing.
- 1001: `on_time_1001`, and the world's `theirs` (never acknowledged). No monthly report.
The 48 other districts have no complaint (N = 0: full points for steps 1-2, as set).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from admin import kpi_pages
from bot.services import Services
from kpi.database_scoring import score_database
from kpi.schemes import load_kpi32
from kpi.scoring import UnitScore
from kpi.submissions import submit_month
from models import Citizen, Photo
from models.clock import clock
from models.complaint_operations import Actor, acknowledge, file_complaint, report_progress, resolve
from models.db import transaction
from models.working_days import load_calendar
from tests.admin_web import NOW, sign_in  # `world`: a fixture of tests/admin_web.py (a plugin of conftest)

BANGKOK = ZoneInfo("Asia/Bangkok")
FY = 2570
AS_OF = "2026-12-31"
AS_OF_MOMENT = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=BANGKOK)
QUERY = f"fy={FY}&as_of={AS_OF}"


def bkk(month: int, day: int, hour: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BANGKOK)


@pytest.fixture
def codes(services: Services, world: dict[str, str]) -> dict[str, str]:
    """The world's two complaints plus three handled ones, and 1030's October report (see the module)."""
    out = dict(world)
    with transaction(services.sessions) as s:
        calendar = load_calendar(s)
        citizen = s.scalars(select(Citizen)).first()
        assert citizen is not None

        def handled(district: str, ack: datetime, progress: datetime, resolved: datetime) -> str:
            c = file_complaint(
                s, citizen, description="ถนนเป็นหลุม", category="ถนน", district_code=district,
                latitude=None, longitude=None, photos=[], at=NOW, calendar=calendar,
            )  # fmt: skip
            officer = Actor("officer", None, district, "ทดสอบ")
            acknowledge(s, c, officer, ack, calendar)
            report_progress(s, c, officer, progress, "ช่างตรวจแล้ว")
            after = Photo(
                path="after.png", content_type="image/png", size_bytes=1, sha256="x", created_at=NOW
            )
            s.add(after)
            s.flush()
            resolve(s, c, officer, resolved, "ซ่อมเสร็จแล้ว", [after])
            return c.tracking_code

        out["on_time"] = handled("1030", bkk(11, 23, 14), bkk(11, 24, 9), bkk(11, 25, 9))
        out["late_ack"] = handled("1030", bkk(11, 26, 9), bkk(11, 26, 10), bkk(11, 27, 9))
        out["on_time_1001"] = handled("1001", bkk(11, 23, 15), bkk(11, 23, 16), bkk(11, 24, 9))
        submit_month(s, "1030", date(2026, 10, 1), bkk(11, 5, 9), "head1030")
    return out


def scores(
    services: Services, as_of: datetime = AS_OF_MOMENT, districts: list[str] | None = None
) -> list[UnitScore]:
    return score_database(services.sessions, load_kpi32(), FY, as_of, districts, workers=1)


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def table_rows(html: str) -> dict[str, dict[str, str]]:
    """The main table: district code → {column: the words in its cell}, in the page's order."""
    rows = {}
    for code, body in re.findall(r'<tr data-district="(\d+)">(.*?)</tr>', html, re.S):
        rows[code] = {
            col: plain(cell) for col, cell in re.findall(r'<td data-col="(\w+)"[^>]*>(.*?)</td>', body, re.S)
        }
    return rows


def order(html: str) -> list[str]:
    return re.findall(r'<tr data-district="(\d+)">', html)


def handled_rows(html: str) -> list[tuple[str, str, str, str, str]]:
    """(until, received, resolved, percent, pending) of the percent-handled table."""
    found = []
    for until, body in re.findall(r'<tr data-until="([\d-]+)">(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'<td data-col="(\w+)"[^>]*>(.*?)</td>', body, re.S))
        found.append((until, cells["received"], cells["resolved"], cells["percent"], cells["pending"]))
    return found


def expected_cells(u: UnitScore) -> dict[str, str]:
    s1, s2, s3 = u.step(1), u.step(2), u.step(3)

    def pct(value: Decimal | None) -> str:
        return "–" if value is None else str(value)

    return {
        "n": str(u.n),
        "step1_correct": f"{s1.correct}/{s1.of}",
        "step1_pending": str(s1.pending),  # issue point 12: the page shows the pending
        "step1_percent": pct(s1.percent),
        "step1_points": str(s1.points),
        "step2_correct": f"{s2.correct}/{s2.of}",
        "step2_pending": str(s2.pending),
        "step2_percent": pct(s2.percent),
        "step2_deductions": str(s2.deductions),
        "step2_points": str(s2.points),
        "step3_months": f"{s3.correct}/{s3.of}",
        "step3_deductions": str(s3.deductions),
        "step3_points": str(s3.points),
        "total": f"{u.total} / {u.maximum}",
    }


# --- the main page ------------------------------------------------------------------------------------


def test_the_page_shows_the_scorers_numbers_for_every_district(
    client: FlaskClient, services: Services, codes: dict[str, str]
) -> None:
    sign_in(client, "centre")
    html = page(client, f"/admin/kpi?{QUERY}")
    rows = table_rows(html)
    units = scores(services)
    assert len(rows) == len(units) == 50
    for u in units:
        cells = rows[u.district]
        assert {k: v for k, v in cells.items() if k != "name"} == expected_cells(u), u.district
        assert cells["name"] == u.name_th
    # The known outcomes, in the words of the page.
    assert rows["1030"]["n"] == "3" and rows["1030"]["step1_correct"] == "1/3"
    assert rows["1030"]["step2_correct"] == "2/3" and rows["1030"]["step3_months"] == "1/2"
    assert rows["1030"]["step1_percent"] == "33.33" and rows["1030"]["step3_deductions"] == "0.1"
    assert rows["1001"]["step1_correct"] == "1/2" and rows["1001"]["step3_months"] == "0/2"
    assert rows["1002"]["n"] == "0" and rows["1002"]["step1_percent"] == "–"
    assert f'href="/admin/kpi/1030?fy={FY}&amp;as_of={AS_OF}"' in html  # the drill-down keeps the period
    # The window and the as-of, in the Buddhist Era.
    window = plain(re.search(r'<p data-testid="window">(.*?)</p>', html, re.S).group(1))  # type: ignore[union-attr]
    assert "1 ต.ค. 2569 – 31 ธ.ค. 2569" in window and "31 ธ.ค. 2569 23:59" in window and "2570" in window


def test_the_default_period_is_this_fiscal_year_up_to_now(
    client: FlaskClient, app: Flask, services: Services, codes: dict[str, str]
) -> None:
    now = bkk(12, 1, 12)  # Tue 1 Dec 2026, noon: FY 2570
    clock.freeze(now)
    sign_in(client, "centre")
    html = page(client, "/admin/kpi")
    assert 'name="fy" value="2570"' in html and "1 ธ.ค. 2569 12:00" in html
    rows = table_rows(html)
    for u in scores(services, now, ["1030", "1001"]):
        assert {k: v for k, v in rows[u.district].items() if k != "name"} == expected_cells(u)
    # November's report is not due yet on 1 December: only October's counts.
    assert rows["1030"]["step3_months"] == "1/1" and rows["1001"]["step3_months"] == "0/1"


SORTS = [
    ("sort=total", ["1001", "1030"], None),  # the two lowest totals first
    ("sort=total&desc=1", None, ["1030", "1001"]),  # the N = 0 districts (4.8) first, ours last
    ("sort=n&desc=1", ["1030", "1001"], None),
    ("sort=step3", ["1001", "1002"], ["1030"]),  # only 1030 sent a report: 1.9, the others 1.8
    ("sort=step3&desc=1", ["1030", "1001"], ["1050"]),  # ties stay in district order
    ("sort=district&desc=1", ["1050", "1049"], None),
    ("sort=nonsense", ["1001", "1002"], None),  # unknown: by district code
]


@pytest.mark.parametrize(("query", "first", "last"), SORTS)
def test_column_headers_sort_the_rows_on_the_server(
    client: FlaskClient, codes: dict[str, str], query: str, first: list[str] | None, last: list[str] | None
) -> None:
    sign_in(client, "viewer")
    rows = order(page(client, f"/admin/kpi?{QUERY}&{query}"))
    assert len(rows) == 50 and len(set(rows)) == 50
    if first:
        assert rows[: len(first)] == first
    if last:
        assert rows[-len(last) :] == last


def test_sort_links_keep_the_period_and_toggle_the_direction(
    client: FlaskClient, codes: dict[str, str]
) -> None:
    sign_in(client, "centre")
    html = page(client, f"/admin/kpi?{QUERY}&sort=total")
    link = re.search(r'<a href="([^"]+)" data-sort="total">', html).group(1)  # type: ignore[union-attr]
    assert "desc=1" in link and f"fy={FY}" in link and f"as_of={AS_OF}" in link
    other = re.search(r'<a href="([^"]+)" data-sort="n">', html).group(1)  # type: ignore[union-attr]
    assert "desc=1" not in other


# --- one district ---------------------------------------------------------------------------------------


def test_the_drill_down_explains_every_failing_complaint(
    client: FlaskClient, services: Services, codes: dict[str, str]
) -> None:
    sign_in(client, "head1030")
    html = page(client, f"/admin/kpi/1030?{QUERY}")
    (unit,) = scores(services, districts=["1030"])
    listed = re.findall(r'href="/admin/complaints/([0-9]{2}-[A-Z0-9]{6})"', html)
    assert set(listed) == {codes["late_ack"], codes["ours"]} and codes["on_time"] not in html
    late = "รับเรื่องช้า 2 วันทำการ (กำหนด 24 พ.ย. 2569 รับเรื่อง 26 พ.ย. 2569)"
    assert late in html
    for r in unit.failures:
        assert r.text_th in html
    # The step table: what the 95 % rule made of each step, and the total.
    table = re.search(r'<table data-testid="steps">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
    steps = dict(re.findall(r'<tr data-step="(\w+)">(.*?)</tr>', table, re.S))
    assert "1/3" in steps["1"] and "33.33" in steps["1"] and "ต่ำกว่าเกณฑ์" in steps["1"]
    assert "2/3" in steps["2"] and "66.67" in steps["2"]
    assert "1/2" in steps["3"] and "0.1" in plain(steps["3"])
    assert f"{unit.total} / {unit.maximum}" in plain(steps["total"])
    # Counts per rule above the list, then the months that cost points.
    counts = dict(re.findall(r'data-rule="(\w+)">[^<]*<b>(\d+)</b>', html))
    # Never acknowledged: its first-progress clock ran from the ack deadline (27 Nov), so the 30 Nov,
    # 15 Dec and 30 Dec checkpoints were due and missed.
    assert counts == {"ack_late": "1", "ack_missing": "1", "not_resolved": "1", "checkpoint_missed": "3",
                      "report_missing": "1"}  # fmt: skip
    assert counts == {rule: str(n) for s in unit.steps for rule, n in s.rule_counts.items()}
    assert "ไม่ได้ส่งรายงานสรุปเรื่องร้องเรียนประจำเดือน พ.ย. 2569" in html

    english = page(client, f"/admin/kpi/1030?{QUERY}&lang=en")
    assert "acknowledged 2 working days late (due 2026-11-24, acknowledged 2026-11-26)" in english
    assert "monthly report for 2026-11 not submitted" in english and late not in english


def test_the_failures_are_paginated(
    client: FlaskClient, codes: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kpi_pages, "FAILURES_PER_PAGE", 1)
    sign_in(client, "centre")
    seen = []
    for number in (1, 2, 3):
        html = page(client, f"/admin/kpi/1030?{QUERY}&page={number}")
        body = re.search(r'<table data-testid="failures">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
        (row,) = re.findall(r'<tr data-step="(\d)">.*?/admin/complaints/([^"]+)"', body, re.S)
        seen.append(row)
        assert f"หน้า {number} จาก 3" in plain(html)
        assert ('rel="prev"' in html) == (number > 1) and ('rel="next"' in html) == (number < 3)
        assert "(3 เรื่อง" in plain(html)  # the count is of all of them, not of the page
    # Step 1: the never-acknowledged one (filed first), then the late one; step 2: the unresolved one.
    assert seen == [("1", codes["ours"]), ("1", codes["late_ack"]), ("2", codes["ours"])]
    assert "หน้า 3 จาก 3" in plain(page(client, f"/admin/kpi/1030?{QUERY}&page=99"))
    assert "หน้า 1 จาก 3" in plain(page(client, f"/admin/kpi/1030?{QUERY}&page=x"))


def test_percent_handled_by_quarter(client: FlaskClient, codes: dict[str, str]) -> None:
    sign_in(client, "centre")
    # All districts: 5 received by 31 Dec, 3 handled.
    assert handled_rows(page(client, f"/admin/kpi?{QUERY}")) == [
        ("2026-12-31", "5", "3", "60.00 %", "2 (40.00 %)")
    ]
    assert handled_rows(page(client, f"/admin/kpi/1030?{QUERY}")) == [
        ("2026-12-31", "3", "2", "66.67 %", "1 (33.33 %)")
    ]
    # Later in the year: each quarter end passed, then the as-of day.
    later = handled_rows(page(client, f"/admin/kpi/1001?fy={FY}&as_of=2027-04-15"))
    assert later == [
        ("2026-12-31", "2", "1", "50.00 %", "1 (50.00 %)"),
        ("2027-03-31", "2", "1", "50.00 %", "1 (50.00 %)"),
        ("2027-04-15", "2", "1", "50.00 %", "1 (50.00 %)"),
    ]
    # Before the fiscal year's first quarter ends there is only the as-of day; before it starts, nothing.
    assert [r[0] for r in handled_rows(page(client, f"/admin/kpi?fy={FY}&as_of=2026-11-30"))] == [
        "2026-11-30"
    ]
    assert 'data-testid="handled-none"' in page(client, f"/admin/kpi?fy=2571&as_of={AS_OF}")


# --- who sees which district ----------------------------------------------------------------------------

SCOPES = [
    ("centre", 50, 200),
    ("viewer", 50, 200),
    ("head1030", 1, 404),
    ("officer1030", 1, 404),
]


@pytest.mark.parametrize(("username", "rows", "other"), SCOPES)
def test_district_users_see_their_district_only(
    client: FlaskClient, codes: dict[str, str], username: str, rows: int, other: int
) -> None:
    sign_in(client, username)
    html = page(client, f"/admin/kpi?{QUERY}")
    assert len(order(html)) == rows and "1030" in order(html)
    page(client, f"/admin/kpi/1030?{QUERY}")
    page(client, f"/admin/kpi/1001?{QUERY}", other)
    page(client, f"/admin/kpi/1001/failures.csv?{QUERY}", other)
    exported = client.get(f"/admin/kpi/export.csv?{QUERY}").get_data(as_text=True)
    districts = [r["district"] for r in csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))]
    assert len(districts) == rows and "1030" in districts
    book = load_workbook(io.BytesIO(client.get(f"/admin/kpi/export.xlsx?{QUERY}").data))
    in_xlsx = [r[2] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert len(in_xlsx) == rows and "1030" in in_xlsx
    handled = {r[0] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)} - {None}
    assert handled == ({"1030"} if rows == 1 else handled) and ("1001" in handled) == (rows == 50)
    if rows == 1:  # the city-wide table is of what they may see: their district's figures
        assert handled_rows(html) == [("2026-12-31", "3", "2", "66.67 %", "1 (33.33 %)")]
        assert codes["theirs"] not in exported


def test_an_unknown_district_is_not_found(client: FlaskClient, codes: dict[str, str]) -> None:
    sign_in(client, "centre")
    for url in ("/admin/kpi/9999", "/admin/kpi/abc", "/admin/kpi/10300", "/admin/kpi/9999/failures.csv"):
        page(client, url, 404)
    page(client, "/admin/kpi/export.pdf", 404)


def test_signed_out_users_are_sent_to_sign_in(client: FlaskClient, codes: dict[str, str]) -> None:
    for url in ("/admin/kpi", "/admin/kpi/1030", "/admin/kpi/export.csv", "/admin/kpi/1030/failures.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


# --- exports --------------------------------------------------------------------------------------------


def test_the_csv_export_is_the_scorers_csv_with_a_bom(
    client: FlaskClient, services: Services, codes: dict[str, str]
) -> None:
    sign_in(client, "centre")
    response = client.get(f"/admin/kpi/export.csv?{QUERY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = {r["district"]: r for r in csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))}
    assert len(rows) == 50
    ours = rows["1030"]
    assert (ours["name_th"], ours["n"], ours["step1_correct"], ours["step1_percent"]) == (
        "จตุจักร",
        "3",
        "1",
        "33.33",
    )
    assert (ours["step3_on_time"], ours["step3_months_due"], ours["fiscal_year"]) == ("1", "2", "2570")
    for u in scores(services):
        assert rows[u.district]["total"] == str(u.total)


def test_the_xlsx_export_has_thai_headers_and_both_tables(
    client: FlaskClient, services: Services, codes: dict[str, str]
) -> None:
    sign_in(client, "centre")
    response = client.get(f"/admin/kpi/export.xlsx?{QUERY}")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    book = load_workbook(io.BytesIO(response.data))
    scores_sheet, handled_sheet = book.worksheets
    head, *body = list(scores_sheet.iter_rows(values_only=True))
    assert head[:5] == ("ปีงบประมาณ", "ณ วันที่", "รหัสเขต", "เขต", "จำนวนเรื่อง (N)")
    assert head[-2:] == ("คะแนนรวม", "คะแนนเต็ม")
    by_code = {r[2]: dict(zip(head, r, strict=True)) for r in body}
    assert len(by_code) == 50
    ours = by_code["1030"]
    assert ours["ปีงบประมาณ"] == 2570 and ours["ณ วันที่"] == "31 ธ.ค. 2569 23:59" and ours["เขต"] == "จตุจักร"
    assert (ours["จำนวนเรื่อง (N)"], ours["ขั้นที่ 1 ถูกต้อง"], ours["ขั้นที่ 1 ร้อยละ"]) == (3, 1, 33.33)
    assert (ours["ขั้นที่ 3 เดือนที่ส่งทัน"], ours["ขั้นที่ 3 เดือนที่ครบกำหนด"]) == (1, 2)
    for u in scores(services):
        assert Decimal(str(by_code[u.district]["คะแนนรวม"])) == u.total
    head, *handled = list(handled_sheet.iter_rows(values_only=True))
    assert "เรื่องที่ได้รับ" in head and "ร้อยละที่แก้ไขแล้ว" in head
    total = [r for r in handled if r[0] is None or r[0] == ""]
    assert [(r[4], r[5], r[6], r[7]) for r in total] == [(5, 3, 60, 2)]
    english = load_workbook(io.BytesIO(client.get(f"/admin/kpi/export.xlsx?{QUERY}&lang=en").data))
    assert next(english.worksheets[0].iter_rows(values_only=True))[:3] == (
        "Fiscal year",
        "As of",
        "District code",
    )


def test_the_failures_csv_lists_every_reason(
    client: FlaskClient, services: Services, codes: dict[str, str]
) -> None:
    sign_in(client, "officer1030")
    response = client.get(f"/admin/kpi/1030/failures.csv?{QUERY}")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["code", "step", "rule", "text_th", "text_en"]
    (unit,) = scores(services, districts=["1030"])
    assert rows[1:] == [[r.code, str(r.step), r.rule, r.text_th, r.text_en] for r in unit.failures]
    assert [codes["late_ack"], "1", "ack_late"] in [r[:3] for r in rows]
    assert {r[0] for r in rows[1:]} == {codes["late_ack"], codes["ours"]}


# --- bad input ------------------------------------------------------------------------------------------

BAD = [
    ("fy=abc", "ปีงบประมาณต้องเป็นปี พ.ศ."),
    ("fy=2026", "ปีงบประมาณต้องเป็นปี พ.ศ."),  # a CE year
    ("fy=2701", "ปีงบประมาณต้องเป็นปี พ.ศ."),
    ("fy=2570&as_of=2026-13-01", "วันที่ต้องเป็นวันที่จริง"),
    ("fy=2570&as_of=2026-02-30", "วันที่ต้องเป็นวันที่จริง"),
    ("fy=2570&as_of=31/12/2026", "วันที่ต้องเป็นวันที่จริง"),
    ("fy=2570&as_of=yesterday", "วันที่ต้องเป็นวันที่จริง"),
    ("fy=2570&as_of=0001-01-01", "วันที่ต้องเป็นวันที่จริง"),
]
URLS = [
    "/admin/kpi",
    "/admin/kpi/1030",
    "/admin/kpi/export.csv",
    "/admin/kpi/export.xlsx",
    "/admin/kpi/1030/failures.csv",
]


@pytest.mark.parametrize(("query", "message"), BAD)
def test_bad_input_is_a_400_with_the_reason(
    client: FlaskClient, codes: dict[str, str], query: str, message: str
) -> None:
    sign_in(client, "centre")
    for url in URLS:
        html = page(client, f"{url}?{query}", 400)
        assert message in html, url
    assert "The fiscal year must be" in page(client, "/admin/kpi?fy=abc&lang=en", 400)


def test_a_buddhist_era_as_of_is_the_same_day(client: FlaskClient, codes: dict[str, str]) -> None:
    sign_in(client, "centre")
    be = table_rows(page(client, f"/admin/kpi?fy={FY}&as_of=2569-12-31"))
    assert be == table_rows(page(client, f"/admin/kpi?{QUERY}"))
