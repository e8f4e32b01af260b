"""The monthly reports page of the admin web: CPL_R001/CPL_R003 as tables and files, and step 3's submissions.

October 2026 (2569-10) is built through the real lifecycle and officer actions with explicit times:
in Chatuchak (1030) two complaints resolved, one in progress and one never acknowledged at the
month's end; in Phra Nakhon (1001) one resolved and one waiting. The clock the views read is pinned.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from bot.services import Services
from kpi.reports import R001_HEADERS, R003_HEADERS
from models import Citizen, Complaint, MonthlyReport, Photo
from models.clock import clock
from models.complaint_operations import Actor, acknowledge, file_complaint, report_progress, resolve
from models.db import transaction
from models.working_days import load_calendar
from tests.admin_web import sign_in, token, world  # noqa: F401 - world is a fixture

BKK = ZoneInfo("Asia/Bangkok")
OCT = date(2026, 10, 1)
BEFORE_TENTH = datetime(2026, 11, 5, 10, 0, tzinfo=BKK)  # October's summary is still on time
AFTER_TENTH = datetime(2026, 11, 12, 9, 30, tzinfo=BKK)  # … and now late
OWN, OTHER = "1030", "1001"
pytestmark = pytest.mark.usefixtures("world")  # the five accounts of tests/admin_web.py
R001_TITLE = "CPL_R001 รายงานเรื่องร้องเรียนค้างดำเนินการ สำนักงานเขตจตุจักร ประจำเดือนตุลาคม 2569"
R003_TITLE = "CPL_R003 รายงานผลการดำเนินการเรื่องร้องเรียน สำนักงานเขตจตุจักร ประจำเดือนตุลาคม 2569"


def oct_(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=BKK)


def october(services: Services) -> dict[str, str]:
    """October's complaints, filed and handled as the LINE and web doors do; returns name → tracking code."""
    with transaction(services.sessions) as s:
        person = Citizen(line_user_id="U" + "2" * 32, created_at=oct_(1, 8), updated_at=oct_(1, 8))
        s.add(person)
        s.flush()
        cal = load_calendar(s)

        def filed(district: str, day: int, words: str) -> Complaint:
            return file_complaint(
                s,
                person,
                description=words,
                category="ถนน/ทางเท้า",
                district_code=district,
                latitude=None,
                longitude=None,
                photos=[],
                at=oct_(day),
                calendar=cal,
            )

        def handled(
            c: Complaint, ack: datetime, progress: datetime, resolved: datetime | None = None
        ) -> None:
            officer = Actor("officer", None, c.district_code, "officer")
            acknowledge(s, c, officer, ack, cal)
            report_progress(s, c, officer, progress, "กำลังดำเนินการ")
            if resolved is not None:
                after = Photo(
                    citizen_id=None,
                    path="after.png",
                    content_type="image/png",
                    size_bytes=1,
                    sha256="y",
                    created_at=resolved,
                )
                s.add(after)
                s.flush()
                resolve(s, c, officer, resolved, "ซ่อมเรียบร้อยแล้ว", [after])

        made = {
            "fixed1": filed(OWN, 1, "ทางเท้าชำรุด"),
            "fixed2": filed(OWN, 5, "ฝาท่อหาย"),
            "open": filed(OWN, 19, "ไฟทางดับ"),
            "waiting": filed(OWN, 26, "น้ำท่วมขัง"),
            "theirs_fixed": filed(OTHER, 2, "ขยะล้นถัง"),
            "theirs_waiting": filed(OTHER, 20, "ต้นไม้ล้ม"),
        }
        handled(made["fixed1"], oct_(1, 11), oct_(2), oct_(5))
        handled(made["fixed2"], oct_(5, 11), oct_(6), oct_(20))
        handled(made["open"], oct_(20), oct_(21))
        handled(made["theirs_fixed"], oct_(2, 11), oct_(5), oct_(9))
        return {name: c.tracking_code for name, c in made.items()}


def pinning() -> Callable[[datetime], None]:
    """Pin the app's clock (before the 10th of November unless told); conftest sets it back after."""
    clock.freeze(BEFORE_TENTH)
    return clock.freeze


@pytest.fixture
def pin() -> Callable[[datetime], None]:
    return pinning()


# ---- reading the page as a user does ------------------------------------------------------------------


class Tables(HTMLParser):
    """Every <table data-testid=…>: its rows as (row attributes, cell texts)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[dict[str, str], list[str]]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "table" and "data-testid" in found:
            self._table = found["data-testid"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append((found, []))
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def body_rows(page: str, testid: str) -> list[tuple[dict[str, str], list[str]]]:
    """The table's rows after its header row."""
    return Tables(page).tables[testid][1:]


def flashes(page: str) -> list[str]:
    return [" ".join(p.split()) for p in _between(page, '<p class="flash">', "</p>")]


def _between(page: str, start: str, end: str) -> Iterator[str]:
    at = page.find(start)
    while at >= 0:
        stop = page.find(end, at)
        yield page[at + len(start) : stop]
        at = page.find(start, stop)


def submitted(services: Services) -> dict[str, tuple[datetime, str | None]]:
    with transaction(services.sessions) as s:
        return {
            f"{r.district_code} {r.month}": (r.submitted_at, r.submitted_by)
            for r in s.scalars(select(MonthlyReport))
        }


def page_token(client: FlaskClient, signed_in: bool) -> str:
    return token(client.get("/admin/reports" if signed_in else "/admin/login").get_data(as_text=True))


# ---- who may do what --------------------------------------------------------------------------------------

REPORTS = "/admin/reports?district={d}&month=2569-10"
FILE = "/admin/reports/{d}/2569-10/cpl-r001.xlsx"
SUBMIT = "/admin/reports/{d}/2569-10/submit"
# "own" is Chatuchak (1030), "other" Phra Nakhon (1001).
MATRIX = [
    ("centre", {"view own": 200, "view other": 200, "download own": 200, "download other": 200,
                "submit own": 302, "submit other": 302}),
    ("viewer", {"view own": 200, "view other": 200, "download own": 200, "download other": 200,
                "submit own": 403, "submit other": 403}),
    ("head1030", {"view own": 200, "view other": 404, "download own": 200, "download other": 404,
                  "submit own": 302, "submit other": 404}),
    ("officer1030", {"view own": 200, "view other": 404, "download own": 200, "download other": 404,
                     "submit own": 403, "submit other": 403}),
    ("officer1001", {"view own": 404, "view other": 200, "download own": 404, "download other": 200,
                     "submit own": 403, "submit other": 403}),
    (None, {"view own": 302, "view other": 302, "download own": 302, "download other": 302,
            "submit own": 302, "submit other": 302}),  # signed out: to the log-in page
]  # fmt: skip


@pytest.mark.parametrize(("username", "expected"), MATRIX, ids=[str(u) for u, _ in MATRIX])
def test_who_may_view_download_and_submit(
    client: FlaskClient,
    services: Services,
    pin: Any,
    username: str | None,
    expected: Any,
) -> None:
    october(services)
    if username:
        assert sign_in(client, username) == 302
    csrf = page_token(client, username is not None)
    got = {}
    for side, district in (("own", OWN), ("other", OTHER)):
        got[f"view {side}"] = client.get(REPORTS.format(d=district)).status_code
        got[f"download {side}"] = client.get(FILE.format(d=district)).status_code
        got[f"submit {side}"] = client.post(SUBMIT.format(d=district), data={"csrf_token": csrf}).status_code
    assert got == expected
    # Only the allowed submissions were written, by that user, at the pinned moment.
    allowed = {
        f"{d} 2026-10" for side, d in (("own", OWN), ("other", OTHER)) if expected[f"submit {side}"] == 302
    }
    written = submitted(services)
    assert set(written) == (allowed if username else set())
    assert all(by == username and at == BEFORE_TENTH for at, by in written.values())


@pytest.mark.parametrize(
    ("username", "button"), [("centre", True), ("head1030", True), ("officer1030", False), ("viewer", False)]
)
def test_only_the_head_and_the_centre_see_the_submit_button(
    client: FlaskClient, services: Services, pin: Any, username: str, button: bool
) -> None:
    sign_in(client, username)
    page = client.get(REPORTS.format(d=OWN)).get_data(as_text=True)
    assert ('data-testid="submit"' in page) is button
    assert "ยังไม่ได้ส่ง" in page


def test_a_district_user_reads_their_own_district_by_default_and_nothing_of_another(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    codes = october(services)
    sign_in(client, "officer1030")
    page = client.get("/admin/reports").get_data(as_text=True)  # no district, no month: own, last month
    assert R001_TITLE in page and R003_TITLE in page
    assert codes["open"] in page and codes["waiting"] in page
    assert codes["theirs_waiting"] not in page and "พระนคร" not in page
    assert 'name="district"' not in page  # no district to choose


def test_the_centre_first_chooses_a_district(client: FlaskClient, services: Services, pin: Any) -> None:
    sign_in(client, "viewer")
    page = client.get("/admin/reports").get_data(as_text=True)
    assert 'data-testid="choose"' in page and "CPL_R001" not in page
    assert '<option value="1001"' in page and '<option value="1030"' in page


# ---- what the reports say ---------------------------------------------------------------------------------


def test_the_page_shows_the_backlog_and_the_performance_of_the_month(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    codes = october(services)
    sign_in(client, "centre")
    page = client.get(REPORTS.format(d=OWN)).get_data(as_text=True)
    assert R001_TITLE in page and R003_TITLE in page
    tables = Tables(page).tables
    assert tables["cpl-r001-table"][0][1] == list(R001_HEADERS)
    backlog = {cells[1]: cells for _, cells in tables["cpl-r001-table"][1:]}
    assert set(backlog) == {codes["open"], codes["waiting"]}  # resolved ones and 1001's are not in it
    assert backlog[codes["open"]][5] == "อยู่ระหว่างดำเนินการ"
    assert backlog[codes["waiting"]][3] == "26 ต.ค. 2569"  # received, BE
    assert "ยังไม่รับเรื่อง" in backlog[codes["waiting"]][6]  # missed its acknowledgement deadline
    assert tables["cpl-r003-table"][0][1] == list(R003_HEADERS)
    lines = {attrs["data-key"]: cells for attrs, cells in tables["cpl-r003-table"][1:]}
    assert lines["received"][1] == "4"
    assert lines["resolved"][1:] == ["2", "4", "50.00"]
    assert lines["pending"][1:] == ["2", "4", "50.00"]
    assert lines["backlog"][1] == "2"
    # The other district, as the centre picks it: its own figures.
    theirs = Tables(client.get(REPORTS.format(d=OTHER)).get_data(as_text=True)).tables
    assert [cells[1] for _, cells in theirs["cpl-r001-table"][1:]] == [codes["theirs_waiting"]]


def test_csv_has_a_bom_and_the_thai_header_and_xlsx_the_same_rows(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    codes = october(services)
    sign_in(client, "head1030")
    page = client.get(REPORTS.format(d=OWN)).get_data(as_text=True)
    for report, headers in (("cpl-r001", R001_HEADERS), ("cpl-r003", R003_HEADERS)):
        for fmt in ("csv", "xlsx"):  # the page links to both files
            assert f'href="/admin/reports/1030/2569-10/{report}.{fmt}"' in page
        got = client.get(f"/admin/reports/1030/2569-10/{report}.csv")
        assert got.status_code == 200 and got.mimetype == "text/csv"
        name = report.upper().replace("-", "_")
        assert f'filename="{name}_1030_2569-10.csv"' in got.headers["Content-Disposition"]
        data = got.get_data()
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == list(headers)
        book = client.get(f"/admin/reports/1030/2026-10/{report}.xlsx")  # a CE month is read too
        assert f'filename="{name}_1030_2569-10.xlsx"' in book.headers["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(book.get_data())).active
        cells = [[_text(v) for v in row] for row in sheet.iter_rows(min_row=4, values_only=True)]
        if report == "cpl-r003":  # percentages are numbers in the sheet (75.0 reads back as 75)
            cells[1:] = [[*row[:3], f"{float(row[3]):.2f}" if row[3] else ""] for row in cells[1:]]
            assert sheet.cell(row=6, column=4).number_format == "0.00"
        assert cells == rows
        if report == "cpl-r001":
            assert {r[1] for r in rows[1:]} == {codes["open"], codes["waiting"]}
        else:
            assert rows[1][:2] == ["เรื่องที่ได้รับในเดือน", "4"]


def _text(value: object) -> str:
    if isinstance(value, datetime):  # a date cell (CPL_R001's day received) reads as the CSV's ISO day
        return value.date().isoformat()
    return "" if value is None else str(value)


# ---- step 3: submitting the month's summary ----------------------------------------------------------------


def test_the_head_submits_on_time_and_a_second_submission_changes_nothing(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    october(services)
    sign_in(client, "head1030")
    page = client.get(REPORTS.format(d=OWN)).get_data(as_text=True)
    done = client.post(SUBMIT.format(d=OWN), data={"csrf_token": token(page)}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert flashes(page) == ["บันทึกการส่งรายงานสรุปเดือนตุลาคม 2569 แล้ว: ทันกำหนด (กำหนดส่งภายใน 10 พ.ย. 2569)"]
    assert submitted(services) == {"1030 2026-10": (BEFORE_TENTH, "head1030")}
    october_row = [c for a, c in body_rows(page, "submissions") if a["data-month"] == "2569-10"]
    assert october_row == [["ตุลาคม 2569", "10 พ.ย. 2569", "5 พ.ย. 2569 10:00", "head1030", "ทันกำหนด"]]
    assert 'data-testid="submit"' not in page  # nothing left to submit

    sign_in(client, "centre")  # the centre, a week later, records it again: the first one stands
    pin(AFTER_TENTH)
    csrf = page_token(client, True)  # a new session, a new token
    again = client.post(SUBMIT.format(d=OWN), data={"csrf_token": csrf}, follow_redirects=True)
    assert flashes(again.get_data(as_text=True)) == [
        "รายงานสรุปเดือนตุลาคม 2569ส่งไปแล้วเมื่อ 5 พ.ย. 2569 10:00: ทันกำหนด (กำหนดส่งภายใน 10 พ.ย. 2569) "
        "ยึดการส่งครั้งแรก ไม่ได้บันทึกซ้ำ"
    ]
    assert submitted(services) == {"1030 2026-10": (BEFORE_TENTH, "head1030")}


def test_after_the_tenth_it_is_late_and_past_months_never_sent_are_missing(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    pin(AFTER_TENTH)
    sign_in(client, "centre")
    page = client.get(REPORTS.format(d=OTHER)).get_data(as_text=True)
    done = client.post(SUBMIT.format(d=OTHER), data={"csrf_token": token(page)}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert flashes(page) == ["บันทึกการส่งรายงานสรุปเดือนตุลาคม 2569 แล้ว: ล่าช้า (กำหนดส่งภายใน 10 พ.ย. 2569)"]
    assert 'class="late">ส่งเมื่อ 12 พ.ย. 2569 09:30' in page
    states = {a["data-month"]: a["data-state"] for a, _ in body_rows(page, "submissions")}
    assert states == {"2569-10": "late"} | {m: "not_due" for m in states if m != "2569-10"}
    assert len(states) == 12 and "2570-09" in states  # fiscal year 2570: October 2569 to September 2570
    # September belongs to fiscal year 2569, every month of which is past due and was never sent.
    previous = client.get("/admin/reports?district=1001&month=2569-09").get_data(as_text=True)
    rows = body_rows(previous, "submissions")
    assert [a["data-state"] for a, _ in rows] == ["missing"] * 12
    assert rows[0][1][-1] == "ไม่ได้ส่ง (เลยกำหนดแล้ว)" and rows[0][0]["data-month"] == "2568-10"


def test_a_month_not_yet_ended_cannot_be_submitted(client: FlaskClient, services: Services, pin: Any) -> None:
    sign_in(client, "head1030")
    page = client.get("/admin/reports?month=2569-11").get_data(as_text=True)
    assert "เดือนนี้ยังไม่สิ้นสุด" in page
    done = client.post(
        "/admin/reports/1030/2569-11/submit", data={"csrf_token": token(page)}, follow_redirects=True
    )
    assert flashes(done.get_data(as_text=True)) == [
        "เดือนพฤศจิกายน 2569ยังไม่สิ้นสุด ส่งรายงานสรุปได้ตั้งแต่วันที่ 1 ของเดือนถัดไป (ยังไม่ได้บันทึก)"
    ]
    assert submitted(services) == {}


# ---- bad input ------------------------------------------------------------------------------------------

BAD = [
    ("GET", "/admin/reports?district=1030&month=abc", 400, "เดือนไม่ถูกต้อง"),
    ("GET", "/admin/reports?district=1030&month=2569-13", 400, "เดือนไม่ถูกต้อง"),
    ("GET", "/admin/reports?district=1030&month=0001-01", 400, "เดือนไม่ถูกต้อง"),
    ("GET", "/admin/reports?district=9999&month=2569-10", 404, "ไม่พบเขตนี้"),
    ("GET", "/admin/reports?district=1030&as_of=yesterday", 400, "as_of"),
    ("GET", "/admin/reports/1030/2569-10/cpl-r002.csv", 404, "ไม่พบรายงานนี้"),
    ("GET", "/admin/reports/1030/2569-10/cpl-r001.pdf", 404, "ไม่พบรายงานนี้"),
    ("GET", "/admin/reports/1030/abc/cpl-r001.csv", 400, "เดือนไม่ถูกต้อง"),
    ("GET", "/admin/reports/1030/2569-13/cpl-r003.xlsx", 400, "เดือนไม่ถูกต้อง"),
    ("GET", "/admin/reports/9999/2569-10/cpl-r001.csv", 404, "ไม่พบเขตนี้"),
    ("POST", "/admin/reports/1030/abc/submit", 400, "เดือนไม่ถูกต้อง"),
    ("POST", "/admin/reports/1030/2569-13/submit", 400, "เดือนไม่ถูกต้อง"),
    ("POST", "/admin/reports/9999/2569-10/submit", 404, "ไม่พบเขตนี้"),
]


@pytest.mark.parametrize(("method", "url", "status", "words"), BAD, ids=[f"{m} {u}" for m, u, _, _ in BAD])
def test_bad_input_is_answered_in_words_and_changes_nothing(
    client: FlaskClient, services: Services, pin: Any,
    method: str, url: str, status: int, words: str,
) -> None:  # fmt: skip
    sign_in(client, "centre")
    if method == "GET":
        got = client.get(url)
    else:
        got = client.post(url, data={"csrf_token": page_token(client, True)})
    assert got.status_code == status
    assert words in got.get_data(as_text=True)
    assert submitted(services) == {}


def test_the_pages_words_in_english(client: FlaskClient, services: Services, pin: Any) -> None:
    sign_in(client, "head1030")
    page = client.get(REPORTS.format(d=OWN) + "&lang=en").get_data(as_text=True)
    assert "Monthly reports" in page and "Chatuchak" in page and "Due by" in page
    assert "Record this month&#39;s summary as submitted" in page


def test_as_of_shows_the_facts_known_then(client: FlaskClient, services: Services, pin: Any) -> None:
    codes = october(services)
    sign_in(client, "centre")
    # On October 20th at noon "waiting" was not filed yet and fixed2 was resolved that morning.
    page = client.get(REPORTS.format(d=OWN) + "&as_of=2026-10-20T12:00").get_data(as_text=True)
    backlog = {cells[1] for _, cells in body_rows(page, "cpl-r001-table")}
    assert backlog == {codes["open"]}
    assert "ข้อมูล ณ วันที่ 20 ต.ค. 2569 เวลา 12:00 น." in page
    assert 'href="/admin/reports/1030/2569-10/cpl-r001.csv?as_of=2026-10-20T12:00"' in page
