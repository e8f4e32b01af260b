"""The complaint list and its exports as they are read at a million (issue 19 point 3): a code is looked up,
not searched for; the total is right (a word search's capped, and said so); pages follow each other
without a repeat or a gap; the exports are streams holding exactly the list's rows; the monthly report's
XLSX, written directly, looks as the command's."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

import admin.views
from admin.report_pages import report_xlsx
from bot.services import Services
from kpi.reports import R001_HEADERS, R003_HEADERS, Report
from models import Citizen
from models.complaint_operations import file_complaint
from models.db import transaction
from models.working_days import load_calendar
from tests.admin_web import listed, sign_in, token

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # after the world's two (23 November)


def add_complaints(services: Services, texts: list[tuple[str, str, str]], tied: int = 0) -> list[str]:
    """Complaints (district, category, description), one a minute from START (the last `tied` of them at the
    same moment as the one before them: ties the list breaks by id); their codes, newest first as listed."""
    with transaction(services.sessions) as session:
        person = Citizen(line_user_id="U" + "2" * 32, created_at=START, updated_at=START)
        session.add(person)
        session.flush()
        calendar = load_calendar(session)
        made = []
        for i, (district, category, description) in enumerate(texts):
            minute = min(i, len(texts) - 1 - tied)
            complaint = file_complaint(
                session,
                person,
                description=description,
                category=category,
                district_code=district,
                latitude=None,
                longitude=None,
                photos=[],
                at=START + timedelta(minutes=minute),
                calendar=calendar,
            )
            made.append((complaint.created_at, complaint.id, complaint.tracking_code))
    return [code for _, _, code in sorted(made, reverse=True)]


def total_shown(page: str) -> str:
    found = re.search(r'data-testid="total">\(([^)]*)\)<', page)
    assert found, "the list shows no total"
    return found.group(1)


def page_of(client: FlaskClient, **query: str) -> str:
    response = client.get("/admin/complaints", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def ordered(page: str) -> list[str]:
    """The codes of the list's rows in the order shown (each row links its code once)."""
    seen: list[str] = []
    for code in re.findall(r'href="/admin/complaints/([0-9]{2}-[A-Z0-9]{6})"', page):
        if code not in seen:
            seen.append(code)
    return seen


def test_a_tracking_code_is_looked_up_not_searched_for(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    # Another complaint quotes the code in its text: a search of the words would list it too.
    (quoting,) = add_complaints(services, [("1001", "ถนน", f"เรื่องเดียวกับ {world['ours']} ยังไม่แก้")])
    sign_in(client, "centre")
    page = page_of(client, q=world["ours"].lower())
    assert listed(page) == {world["ours"]} and total_shown(page) == "1"
    assert listed(page_of(client, q="เรื่องเดียวกับ")) == {quoting}  # words still find words
    assert listed(page_of(client, q="99-ZZZZZZ")) == set()  # a code that is no complaint's: none


def test_the_total_counts_every_match_and_a_common_word_says_at_least(
    client: FlaskClient, services: Services, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_complaints(services, [("1030", "ถนน", f"ถนนเป็นหลุม {i}") for i in range(5)])
    monkeypatch.setattr(admin.views, "PAGE_SIZE", 2)
    sign_in(client, "centre")
    everything = page_of(client)
    assert total_shown(everything) == "7" and "1 จาก 4" in everything
    assert total_shown(page_of(client, district="1030")) == "6"
    assert total_shown(page_of(client, category="ถนน")) == "5"
    assert total_shown(page_of(client, q="หลุม")) == "5"
    monkeypatch.setattr(admin.views, "SEARCH_COUNT_CAP", 3)
    capped = page_of(client, q="หลุม")
    assert total_shown(capped) == "3+" and len(listed(capped)) == 2  # at least 3; the page still full
    assert total_shown(page_of(client, district="1030")) == "6"  # only a word search is capped


def test_pages_follow_each_other_without_a_repeat_or_a_gap(
    client: FlaskClient, services: Services, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    newest_first = add_complaints(services, [("1030", "ถนน", f"ทางเท้าชำรุด {i}") for i in range(7)], tied=3)
    monkeypatch.setattr(admin.views, "PAGE_SIZE", 3)
    sign_in(client, "centre")
    pages = [ordered(page_of(client, district="1030", page=str(number))) for number in (1, 2, 3)]
    assert [len(page) for page in pages] == [3, 3, 2]
    # The seven new ones (four of them at one moment: by id, the newest first), then the world's.
    assert [code for page in pages for code in page] == [*newest_first, world["ours"]]
    assert ordered(page_of(client, district="1030", page="4")) == []


def test_the_filter_offers_the_categories_of_the_complaints_one_may_see(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    add_complaints(services, [("1001", "ต้นไม้", "กิ่งไม้หัก"), ("1030", "ทางเท้า", "ทางเท้าชำรุด")])

    def offered(page: str) -> list[str]:
        box = page.split('<select name="category"', 1)[1].split("</select>", 1)[0]
        return [value for value in re.findall(r'<option value="([^"]*)"', box) if value]

    sign_in(client, "centre")
    assert offered(page_of(client)) == sorted(["ไฟฟ้า", "ต้นไม้", "ทางเท้า"])
    client.post("/admin/logout", data={"csrf_token": token(client.get("/admin/").get_data(as_text=True))})
    sign_in(client, "officer1030")
    assert offered(page_of(client)) == sorted(["ไฟฟ้า", "ทางเท้า"])


def test_exports_are_streams_of_exactly_the_lists_rows(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    newest_first = add_complaints(
        services, [("1030", "ถนน", f"ไฟจราจรเสีย <b>&\x01\nซอย {i}") for i in range(4)], tied=1
    )
    sign_in(client, "centre")
    listed_codes = ordered(page_of(client, district="1030"))
    assert listed_codes == [*newest_first, world["ours"]]

    response = client.get("/admin/complaints/export.csv", query_string={"district": "1030"})
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == listed_codes  # a line break in a text stays inside its cell
    assert rows[1][6] == "ไฟจราจรเสีย <b>&\x01\nซอย 3" and rows[1][4] == "LINE"  # markup, a control code

    xlsx = client.get("/admin/complaints/export.xlsx", query_string={"district": "1030"})
    assert xlsx.status_code == 200 and xlsx.is_streamed
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = list(sheet.values)
    assert [row[0] for row in values[1:]] == listed_codes
    assert values[1][6] == "ไฟจราจรเสีย <b>&\nซอย 3"  # XML has no place for the control code: left out


def test_the_report_file_looks_as_the_commands_with_days_as_date_cells() -> None:
    rows = ((1, "69-ABCDEF", "ถนน", date(2026, 10, 5), 56, "กำลังดำเนินการ", "รับเรื่องช้า <&>"),)
    made = Report("CPL_R001", "ค้าง", "1030", "จตุจักร", date(2026, 11, 1), START, R001_HEADERS, rows)
    sheet = load_workbook(io.BytesIO(report_xlsx(made))).active
    assert sheet.title == "CPL_R001" and sheet["A1"].value == made.title and sheet["A1"].font.bold
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:G1", "A2:G2"} and sheet["A2"].font.italic
    assert [c.value for c in sheet[4]] == list(R001_HEADERS) and all(c.font.bold for c in sheet[4])
    assert sheet.freeze_panes == "A5"
    received = sheet["D5"]
    assert received.is_date and received.value == datetime(2026, 10, 5)
    assert received.number_format == "[$-107041E]d mmm yyyy"  # shown `5 ต.ค. 2569`
    assert [c.value for c in sheet[5]][-1] == "รับเรื่องช้า <&>"
    assert sheet.column_dimensions["G"].width > sheet.column_dimensions["A"].width >= 8
    performance = Report(
        "CPL_R003", "ผล", "1030", "จตุจักร", date(2026, 11, 1), START, R003_HEADERS,
        (("รับ", 4, None, None), ("ทันเวลา", 3, 4, Decimal("75.00"))),
    )  # fmt: skip
    sheet = load_workbook(io.BytesIO(report_xlsx(performance))).active
    assert [c.value for c in sheet[6]] == ["ทันเวลา", 3, 4, 75.0] and sheet["D6"].number_format == "0.00"
    empty = replace(made, rows=())
    assert load_workbook(io.BytesIO(report_xlsx(empty))).active["A5"].value == "ไม่มีรายการ"
