"""The staff web's days and districts as Thai offices read them, and its sign-in page on a first visit.

Date fields take d/m/yyyy, the year Buddhist Era for Thai readers (CE for English ones, ISO from links),
and refuse a day that is not one in words; exports hold real date cells (XLSX) and ISO days (CSV);
every district select is in Thai dictionary order in Thai and alphabetical by English name in English.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pythainlp.util import collate
from sqlalchemy import select

from admin.views import SIGNED_IN_BEFORE, typed_day
from bot.services import Services
from models import CalendarOverride
from models.db import transaction
from models.districts import BANGKOK_DISTRICTS, sorted_districts
from models.staff import StaffUser, set_password
from tests.admin_web import listed, sign_in, token
from texts import say

AGAIN = "กรุณาเข้าสู่ระบบอีกครั้ง"
RECEIVED = datetime(2026, 11, 23, 10, 0)  # the world's complaints, filed at NOW: 10:00 in Bangkok


# ---- the sign-in page ---------------------------------------------------------------------------------


def test_a_first_visit_is_asked_to_sign_in_without_being_told_again(
    client: FlaskClient, world: dict[str, str]
) -> None:
    response = client.get("/admin/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/admin/login" and 'name="password"' in page
    assert AGAIN not in page


def test_an_ended_session_is_told_to_sign_in_again(client: FlaskClient, world: dict[str, str]) -> None:
    assert sign_in(client, "centre") == 302
    assert client.get_cookie(SIGNED_IN_BEFORE, path="/admin") is not None
    client.delete_cookie("session")  # the browser drops it when its 8 hours are over
    page = client.get("/admin/complaints", follow_redirects=True).get_data(as_text=True)
    assert AGAIN in page


def test_a_session_signed_out_elsewhere_is_told_to_sign_in_again(
    client: FlaskClient, app: object, services: Services, world: dict[str, str]
) -> None:
    assert sign_in(client, "head1030") == 302
    client.delete_cookie(SIGNED_IN_BEFORE, path="/admin")  # e.g. signed in before this cookie existed
    with transaction(services.sessions) as s:
        head = s.scalars(select(StaffUser).where(StaffUser.username == "head1030")).one()
        set_password(s, head, "a brand new password")  # every session of the account ends
    page = client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    assert 'name="password"' in page and AGAIN in page


def test_after_signing_out_the_next_visit_is_a_new_start(client: FlaskClient, world: dict[str, str]) -> None:
    assert sign_in(client, "centre") == 302
    page = client.get("/admin/").get_data(as_text=True)
    out = client.post("/admin/logout", data={"csrf_token": token(page)}, follow_redirects=True)
    assert "ออกจากระบบแล้ว" in out.get_data(as_text=True)
    assert client.get_cookie(SIGNED_IN_BEFORE, path="/admin") is None
    assert AGAIN not in client.get("/admin/", follow_redirects=True).get_data(as_text=True)


# ---- days typed into forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("23/11/2569", date(2026, 11, 23)),  # BE, as Thai readers write it
        ("4/1/2570", date(2027, 1, 4)),
        ("04/01/2570", date(2027, 1, 4)),
        (" 29/2/2571 ", date(2028, 2, 29)),  # a leap day
        ("23/11/2026", date(2026, 11, 23)),  # CE, as English readers write it
        ("2026-11-23", date(2026, 11, 23)),  # ISO, as links send it
    ],
)
def test_a_typed_day_is_read_in_be_ce_or_iso(typed: str, day: date) -> None:
    assert typed_day(typed) == day


@pytest.mark.parametrize(
    "typed", ["31/2/2569", "29/2/2570", "0/1/2570", "1/13/2570", "11/23/2026", "2570-01-04", "1/1/1999",
              "1/1/9999", "yesterday", "23-11-2569", "23/11/69", "", "2026-11-23T10:00"],
)  # fmt: skip
def test_what_is_not_a_day_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        typed_day(typed)


@pytest.mark.parametrize(
    "query",
    [
        {"from": "23/11/2569", "to": "23/11/2569"},
        {"from": "2026-11-23", "to": "2026-11-23"},
        {"from": "23/11/2026", "to": "23/11/2026", "lang": "en"},
    ],
)
def test_the_list_filters_by_a_typed_day(
    client: FlaskClient, world: dict[str, str], query: dict[str, str]
) -> None:
    sign_in(client, "centre")
    both = {world["ours"], world["theirs"]}
    assert listed(client.get("/admin/complaints", query_string=query).get_data(as_text=True)) == both
    later = {**query, "from": "24/11/2569", "to": ""}
    assert listed(client.get("/admin/complaints", query_string=later).get_data(as_text=True)) == set()
    earlier = {**query, "from": "", "to": "22/11/2026"}
    assert listed(client.get("/admin/complaints", query_string=earlier).get_data(as_text=True)) == set()


def test_the_date_fields_show_the_day_in_the_readers_calendar(
    client: FlaskClient, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    thai = client.get("/admin/complaints?from=2026-11-23").get_data(as_text=True)
    assert re.search(r'<input name="from" value="23/11/2569"[^>]* placeholder="วว/ดด/ปปปป"', thai)
    english = client.get("/admin/complaints?from=23/11/2569&lang=en").get_data(as_text=True)
    assert re.search(r'<input name="from" value="23/11/2026"[^>]* placeholder="dd/mm/yyyy"', english)
    assert 'href="/admin/complaints/export.csv?from=2026-11-23"' in english  # links carry ISO
    kpi = client.get("/admin/kpi?fy=2570&as_of=2026-12-31&lang=th").get_data(as_text=True)
    assert '<input name="as_of" value="2569-12-31"' in kpi  # the KPI pages' field: yyyy-mm-dd, BE in Thai
    assert '<input name="as_of" value="2569-12-31"' in client.get("/admin/kpi?fy=2570&as_of=2569-12-31").text
    assert '<input name="as_of" value="2026-12-31"' in client.get("/admin/kpi?as_of=2026-12-31&lang=en").text


def test_no_admin_page_has_the_browsers_date_picker(client: FlaskClient, world: dict[str, str]) -> None:
    sign_in(client, "centre")
    pages = ["/admin/complaints", "/admin/kpi", "/admin/kpi/1030", "/admin/settings/holidays",
             "/admin/reports", "/admin/audit", f"/admin/complaints/{world['ours']}"]  # fmt: skip
    for path in pages:
        assert 'type="date"' not in client.get(path).get_data(as_text=True), path


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "31/2/2569"}, "วันที่ไม่ถูกต้อง: “31/2/2569”"),
        ({"to": "yesterday"}, "วันที่ไม่ถูกต้อง: “yesterday”"),
        ({"from": "31/2/2026", "lang": "en"}, "Not a date: “31/2/2026”"),
    ],
)
def test_a_day_that_is_not_one_is_refused_in_words(
    client: FlaskClient, world: dict[str, str], query: dict[str, str], message: str
) -> None:
    sign_in(client, "centre")
    response = client.get("/admin/complaints", query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert listed(page) == set()  # not a list the wrong day did not narrow
    for fmt in ("csv", "xlsx"):
        exported = client.get(f"/admin/complaints/export.{fmt}", query_string=query)
        assert exported.status_code == 400 and message in exported.get_data(as_text=True)


def test_a_holiday_is_declared_on_a_day_typed_in_be(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    page = client.get("/admin/settings/holidays?year=2570").get_data(as_text=True)
    form = {"csrf_token": token(page), "year": "2570", "name": "วันหยุดพิเศษ"}
    bad = client.post("/admin/settings/holidays", data={**form, "action": "add", "day": "31/2/2570"})
    assert bad.status_code == 400 and "วันที่ไม่ถูกต้อง: “31/2/2570”" in bad.get_data(as_text=True)
    for action, typed in (("add", "4/1/2570"), ("working", "2027-01-09")):
        response = client.post("/admin/settings/holidays", data={**form, "action": action, "day": typed})
        assert response.status_code == 303, response.get_data(as_text=True)
    with transaction(services.sessions) as s:
        declared = {row.day: str(row.kind) for row in s.scalars(select(CalendarOverride))}
    assert declared == {date(2027, 1, 4): "holiday", date(2027, 1, 9): "working"}


# ---- exports ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown"), [("th", "[$-107041E]d mmm yyyy hh:mm"), ("en", "d mmm yyyy hh:mm")]
)
def test_the_xlsx_export_has_real_date_cells(
    client: FlaskClient, world: dict[str, str], language: str, shown: str
) -> None:
    sign_in(client, "centre")
    data = client.get("/admin/complaints/export.xlsx", query_string={"lang": language}).get_data()
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    received = header.index("วันที่รับเรื่อง" if language == "th" else "Received")
    ack_due = header.index(say("admin.ack_due", language))
    for row in sheet.iter_rows(min_row=2):
        assert row[received].is_date and row[received].value == RECEIVED
        assert row[received].number_format == shown
        assert row[ack_due].is_date and row[ack_due].value > RECEIVED  # a deadline, sortable as a date
    assert sheet.max_row == 3


def test_the_csv_export_has_iso_dates(client: FlaskClient, world: dict[str, str]) -> None:
    sign_in(client, "centre")
    body = client.get("/admin/complaints/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    received = rows[0].index("วันที่รับเรื่อง")
    ack_column = rows[0].index(say("admin.ack_due", "th"))
    for row in rows[1:]:
        assert row[received] == "2026-11-23 10:00"
        assert datetime.fromisoformat(row[received]) == RECEIVED
        ack_due = row[ack_column]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", ack_due) and ack_due > row[received]
    assert "พ.ย." not in body  # no Thai text dates


def test_the_backlog_report_files_have_date_cells_and_iso_dates(
    client: FlaskClient, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    base = "/admin/reports/1030/2569-11/cpl-r001"
    as_of = {"as_of": "2026-11-30T12:00"}
    sheet = load_workbook(io.BytesIO(client.get(f"{base}.xlsx", query_string=as_of).get_data())).active
    rows = [row for row in sheet.iter_rows(min_row=5) if row[1].value == world["ours"]]
    assert len(rows) == 1
    received = rows[0][3]
    assert received.is_date and received.value == datetime(2026, 11, 23)
    assert received.number_format == "[$-107041E]d mmm yyyy"  # shown `23 พ.ย. 2569` in Excel
    body = client.get(f"{base}.csv", query_string=as_of).get_data().decode("utf-8-sig")
    found = [row for row in csv.reader(io.StringIO(body)) if row[1] == world["ours"]]
    assert found[0][3] == "2026-11-23"
    page = client.get("/admin/reports?district=1030&month=2569-11&as_of=2026-11-30T12:00").get_data(
        as_text=True
    )
    assert "23 พ.ย. 2569" in page  # the page itself still reads as Thai offices write a day


# ---- districts in one order ---------------------------------------------------------------------------

THAI_NAME = {code: th for code, th, _ in BANGKOK_DISTRICTS}
ENGLISH_NAME = {code: en for code, _, en in BANGKOK_DISTRICTS}


def test_thai_names_sort_as_the_dictionary_does_and_english_ones_alphabetically() -> None:
    districts = [SimpleNamespace(code=c, name_th=th, name_en=en) for c, th, en in BANGKOK_DISTRICTS]
    thai = [d.name_th for d in sorted_districts(districts, "th")]
    assert thai == collate(THAI_NAME.values())
    # A leading เ แ โ sorts by the consonant after it: บางเขน among the บางข-, บางแค after บางคอแหลม,
    # หนองแขม before หนองจอก, พระโขนง before พระนคร (code-point order puts each of them last).
    for first, then in [("บางขุนเทียน", "บางเขน"), ("บางเขน", "บางคอแหลม"), ("บางคอแหลม", "บางแค"),
                        ("บางแค", "บางซื่อ"), ("หนองแขม", "หนองจอก"), ("พระโขนง", "พระนคร")]:  # fmt: skip
        assert thai.index(first) < thai.index(then), (first, then)
    assert thai[0] == "คลองเตย" and thai[-1] == "ห้วยขวาง"
    english = [d.name_en for d in sorted_districts(districts, "en")]
    assert english == sorted(ENGLISH_NAME.values(), key=str.casefold)
    assert english[:3] == ["Bang Bon", "Bang Kapi", "Bang Khae"]


def options(page: str) -> list[tuple[str, list[str]]]:
    """Each district select of the page, by name: its districts' codes in the order offered."""
    return [
        (name, re.findall(r'<option value="(\d{4})"', body))
        for name, body in re.findall(r'<select name="(district|to_district)"[^>]*>(.*?)</select>', page, re.S)
    ]


@pytest.mark.parametrize("language", ["th", "en"])
def test_every_district_select_is_in_the_readers_order(
    client: FlaskClient, world: dict[str, str], language: str
) -> None:
    names = THAI_NAME if language == "th" else ENGLISH_NAME
    in_order = collate(names.values()) if language == "th" else sorted(names.values(), key=str.casefold)
    rank = {name: i for i, name in enumerate(in_order)}
    sign_in(client, "centre")
    holidays = client.get("/admin/settings/holidays").get_data(as_text=True)
    menu = holidays.split('data-testid="settings-nav"')[1].split("</nav>")[0]
    settings = re.findall(r'href="(/admin/settings/[a-z_]+)"', menu)  # every other settings page
    assert "/admin/settings/officers" in settings and "/admin/settings/users" in settings
    seen = 0
    for path in ("/admin/complaints", f"/admin/complaints/{world['ours']}", "/admin/reports", *settings):
        page = client.get(path, query_string={"lang": language}).get_data(as_text=True)
        for name, codes in options(page):
            assert len(codes) >= 49, (path, name)  # every district (the transfer leaves out its own)
            assert codes == sorted(codes, key=lambda c: rank[names[c]]), (path, name)
            seen += 1
    assert seen >= 6  # list filter, transfer, reports picker, officers filter and form, users form, ...
