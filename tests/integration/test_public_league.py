"""`/districts`, `/districts/<code>` and `/districts.csv` (both databases): the district offices' public
league table, one office's months and categories, the table as CSV; the same figures as the admin's KPI
page, nothing personal.

Complaints phoned in and handled through the use cases (times Bangkok; no public holiday in November
2026), the clock at Wed 16 Dec 2026 10:00 (fiscal year 2570):
- 1030 `a`: routed Mon 2 Nov, acknowledged that day, first report Wed 4 Nov, resolved Fri 6 Nov (4 working
  days), rated 5;
- 1030 `b`: routed Tue 3 Nov, acknowledged Thu 5 Nov (due Wed 4: late), first report Mon 9 Nov (due Tue
  10: on time), resolved Tue 10 Nov (5 working days), rated 3;
- 1030 `c`: routed Wed 4 Nov, never acknowledged: open and overdue;
- 1030 `d`: routed Mon 14 Dec, acknowledged that day, first report due Thu 17 Dec (not yet: pending);
- 1001 `e`: routed Mon 2 Nov, acknowledged, reported and resolved that day (0 working days), rated 4;
- 1001 `f`: routed Tue 10 Nov, acknowledged that day, no first report (due Fri 13 Nov): open, overdue.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from admin.kpi_pages import handled_scheme
from bot.public_league import CSV_FIELDS, _cell
from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from kpi.database_scoring import score_database
from kpi.league import Schemes, league_table, read_period
from kpi.schemes import load_kpi32
from models import Complaint
from models.clock import clock
from models.complaint_operations import Actor
from models.db import transaction
from models.districts import District, sorted_districts
from tests.admin_web import sign_in
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import photo
from tests.integration.test_admin_kpi import handled_rows, plain
from tests.integration.test_admin_kpi import table_rows as admin_rows
from tests.public_common import REPORTER, phoned_in

NOW = datetime(2026, 12, 16, 10, tzinfo=BANGKOK)
PERSONAL = (REPORTER.name, REPORTER.phone, REPORTER.email, "บ้านเลขที่ 99", "calltaker1")
STAFF = Actor("staff", None, None, "calltaker1")


def bkk(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BANGKOK)


def filed_in_1001(services: Services, at: datetime, category: str) -> str:
    """As `phoned_in`, for Phra Nakhon (1001)."""
    with transaction(services.sessions) as session:
        acting = use_cases.Acting(session, STAFF, at, Links(b"k" * 32, None))
        complaint = use_cases.file(
            acting, None, description="ขยะล้น โทร 0812345678", category=category, district_code="1001",
            latitude=None, longitude=None, photos=[], reporter=REPORTER,
        )  # fmt: skip
        return complaint.tracking_code


def acted(services: Services, code: str, at: datetime, *steps: str, stars: int = 0) -> None:
    """The district's officer acknowledges, reports progress or resolves; `rate` records the reporter's
    stars given by phone."""
    with transaction(services.sessions) as session:
        complaint = session.scalars(select(Complaint).where(Complaint.tracking_code == code)).one()
        officer = Actor("officer", None, complaint.district_code, "เจ้าหน้าที่ทดสอบ")
        acting = use_cases.Acting(session, officer, at, Links(b"k" * 32, None))
        for step in steps:
            if step == "acknowledge":
                use_cases.acknowledge(acting, complaint)
            elif step == "progress":
                use_cases.progress(acting, complaint, "ช่างออกตรวจแล้ว", [])
            elif step == "resolve":
                use_cases.resolve(acting, complaint, "ซ่อมเสร็จแล้ว", [photo(session)])
            elif step == "rate":
                use_cases.rate(acting, complaint, STAFF, stars)


@pytest.fixture
def codes(services: Services) -> dict[str, str]:
    """The six complaints of the module's docstring; the clock stopped at NOW."""
    out = {
        "a": phoned_in(services, bkk(11, 2, 9), "แสงสว่าง"),
        "b": phoned_in(services, bkk(11, 3, 9), "ถนน"),
        "c": phoned_in(services, bkk(11, 4, 9), "ถนน"),
        "d": phoned_in(services, bkk(12, 14, 9), "แสงสว่าง"),
        "e": filed_in_1001(services, bkk(11, 2, 10), "ความสะอาด"),
        "f": filed_in_1001(services, bkk(11, 10, 9), "ความสะอาด"),
    }
    acted(services, out["a"], bkk(11, 2, 15), "acknowledge")
    acted(services, out["a"], bkk(11, 4, 9), "progress")
    acted(services, out["a"], bkk(11, 6, 10), "resolve")
    acted(services, out["a"], bkk(11, 7, 9), "rate", stars=5)
    acted(services, out["b"], bkk(11, 5, 9), "acknowledge")
    acted(services, out["b"], bkk(11, 9, 9), "progress")
    acted(services, out["b"], bkk(11, 10, 15), "resolve")
    acted(services, out["b"], bkk(11, 11, 9), "rate", stars=3)
    acted(services, out["d"], bkk(12, 14, 10), "acknowledge")
    acted(services, out["e"], bkk(11, 2, 11), "acknowledge")
    acted(services, out["e"], bkk(11, 2, 12), "progress")
    acted(services, out["e"], bkk(11, 2, 13), "resolve")
    acted(services, out["e"], bkk(11, 3, 9), "rate", stars=4)
    acted(services, out["f"], bkk(11, 10, 10), "acknowledge")
    clock.freeze(NOW)
    return out


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def rows_of(html: str) -> dict[str, dict[str, str]]:
    """The league table: district code -> {column: the words in its cell (the "x/y" under a percentage
    after a space)}, in the page's order."""
    rows = {}
    for code, body in re.findall(r'<tr data-district="(\d+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r'<t[dh][^>]* data-col="(\w+)"[^>]*>(.*?)</t[dh]>', body, re.S)
        rows[code] = {col: plain(re.sub(r'<span class="of">', " ", cell)) for col, cell in cells}
    return rows


def order(html: str) -> list[str]:
    return re.findall(r'<tr data-district="(\d+)">', html)


# --- the table ------------------------------------------------------------------------------------------


def test_the_table_has_every_districts_figures(client: FlaskClient, codes: dict[str, str]) -> None:
    html = page(client, "/districts")
    assert '<html lang="th">' in html and "ปีงบประมาณ 2570" in html
    rows = rows_of(html)
    assert len(rows) == 50
    assert rows["1030"] == {
        "name": "จตุจักร",
        "received": "4",
        "ack": "50.00 % 2/4",  # a on time, b late, c never, d on time
        "first_progress": "66.67 % 2/3",  # a, b on time; c never acknowledged; d not due yet
        "resolved": "50.00 % 2/4",
        "median": "4.5",  # 4 and 5 working days
        "open": "2",
        "overdue": "1",  # c; d's deadlines are ahead
        "rating": "4.00",
        "score": rows["1030"]["score"],
    }
    assert rows["1001"] == {
        "name": "พระนคร",
        "received": "2",
        "ack": "100.00 % 2/2",
        "first_progress": "50.00 % 1/2",
        "resolved": "50.00 % 1/2",
        "median": "0",
        "open": "1",
        "overdue": "1",
        "rating": "4.00",
        "score": rows["1001"]["score"],
    }
    assert {k: v for k, v in rows["1002"].items() if k not in ("name", "score")} == {
        "received": "0", "ack": "–", "first_progress": "–", "resolved": "–", "median": "–",
        "open": "0", "overdue": "0", "rating": "–",
    }  # fmt: skip
    # The as-of moment and the KPI's date, in the Buddhist Era; the district's page keeps the period.
    assert "16 ธ.ค. 2569 10:00" in html and "ถึงวันที่ 16 ธ.ค. 2569" in html
    assert 'href="/districts/1030?lang=th&amp;fy=2570"' in html
    assert 'href="/districts.csv?fy=2570"' in html
    english = page(client, "/districts?lang=en")
    assert '<html lang="en">' in english and "Chatuchak" in english and "16 Dec 2026 10:00" in english


def test_the_score_and_percentages_are_the_admin_kpi_pages(
    client: FlaskClient, services: Services, codes: dict[str, str], world: dict[str, str]
) -> None:
    """The world's two never-acknowledged complaints (filed 23 Nov) join the module's six."""
    league = rows_of(page(client, "/districts"))
    sign_in(client, "centre")
    admin = admin_rows(page(client, "/admin/kpi"))  # fiscal year 2570, as of now: the same period
    assert set(league) == set(admin)
    for code, cells in admin.items():
        assert f"{league[code]['score']} / 5" == cells["total"], code
    assert admin["1030"]["n"] == "5" and league["1030"]["received"] == "5"
    # The resolved percentage is the admin's percent-handled row for the day (seed 001).
    for code in ("1030", "1001"):
        until, received, resolved, percent, _ = handled_rows(page(client, f"/admin/kpi/{code}"))[-1]
        assert until == "2026-12-16" and league[code]["resolved"] == f"{percent} {resolved}/{received}"
    # KPI step 1 (acknowledged and first report on time) is the scorer's `correct / of`, for a month too.
    scheme = load_kpi32()
    schemes = Schemes(scheme, handled_scheme())
    units = {u.district: u for u in score_database(services.sessions, scheme, 2570, NOW, workers=1)}
    fy = league_table(services.sessions, read_period("", "", NOW.date(), scheme), NOW, schemes)
    for row in fy.rows:
        step1 = units[row.district].step(1)
        assert row.score.total == units[row.district].total
        assert (row.tally.intake.part, row.tally.intake.whole) == (step1.correct, step1.of), row.district
        assert row.tally.intake.percent == step1.percent
    # A month's score is its fiscal year's so far: the same as the admin's for the year, as of now.
    november = rows_of(page(client, "/districts?month=2026-11"))
    assert all(f"{november[code]['score']} / 5" == admin[code]["total"] for code in admin)


def test_a_month_or_a_fiscal_year(client: FlaskClient, codes: dict[str, str]) -> None:
    november = rows_of(page(client, "/districts?month=2026-11"))
    assert (november["1030"]["received"], november["1030"]["ack"]) == ("3", "33.33 % 1/3")
    assert november["1030"]["resolved"] == "66.67 % 2/3" and november["1030"]["open"] == "1"
    december = page(client, "/districts?month=2569-12")  # a Buddhist-Era year is read as such
    assert "เดือนธันวาคม 2569" in december
    rows = rows_of(december)
    assert (rows["1030"]["received"], rows["1030"]["ack"], rows["1030"]["first_progress"]) == (
        "1",
        "100.00 % 1/1",
        "–",
    )
    assert rows["1001"]["received"] == "0" and rows["1001"]["ack"] == "–"
    assert '<option value="2026-12" selected>' in december
    assert rows_of(page(client, "/districts?fy=2570&month=2026-11")) == november  # both, when they agree
    earlier = rows_of(page(client, "/districts?fy=2569"))  # a closed year: nothing filed then
    assert earlier["1030"]["received"] == "0"


@pytest.mark.parametrize(
    ("query", "first", "last"),
    [
        ("", ["1030", "1001"], None),  # default: the KPI score, highest first (3.55 before 3.38)
        ("sort=received&desc=1", ["1030", "1001"], None),
        ("sort=ack&desc=1", ["1001", "1030"], None),  # 100 % before 50 %; no figure: last either way
        ("sort=ack&desc=0", ["1030", "1001"], None),
        ("sort=median&desc=0", ["1001", "1030"], None),
        ("sort=median&desc=1", ["1030", "1001"], None),
        ("sort=overdue&desc=1", None, None),
        ("sort=nonsense", ["1030", "1001"], None),
        ("sort=score&desc=0", ["1001", "1030"], None),
    ],
)
def test_any_column_sorts_the_rows_on_the_server(
    client: FlaskClient, codes: dict[str, str], query: str, first: list[str] | None, last: list[str] | None
) -> None:
    rows = order(page(client, f"/districts?{query}"))
    assert len(rows) == len(set(rows)) == 50
    ours = [code for code in rows if code in ("1030", "1001")]
    if first:
        assert ours == first
    if query.startswith(("sort=ack", "sort=median")):
        assert set(rows[:2]) == {"1030", "1001"}  # the 48 without a figure come after, either way


def test_sorting_by_name_and_the_column_links(
    client: FlaskClient, services: Services, codes: dict[str, str]
) -> None:
    with transaction(services.sessions) as session:
        districts = list(session.scalars(select(District)))
        thai = [d.code for d in sorted_districts(districts, "th")]
        english = [d.code for d in sorted_districts(districts, "en")]
    assert order(page(client, "/districts?sort=name")) == thai
    assert order(page(client, "/districts?sort=name&desc=1")) == thai[::-1]
    assert order(page(client, "/districts?sort=name&lang=en")) == english
    html = page(client, "/districts?month=2026-11&sort=ack&desc=1")
    head = re.search(r'<th scope="col" data-col="ack" aria-sort="descending">\s*<a href="([^"]+)"', html)
    assert head is not None and "desc=0" in head.group(1) and "month=2026-11" in head.group(1)
    other = re.search(r'<th scope="col" data-col="overdue">\s*<a href="([^"]+)"', html)
    assert other is not None and "sort=overdue" in other.group(1) and "desc=0" in other.group(1)


BAD = [
    ("fy=abc", "abc"),
    ("fy=25700", "25700"),
    ("fy=1999", "1999"),
    ("fy=2571", "2571"),  # not begun yet (1 Oct 2027)
    ("month=2026-13", "2026-13"),
    ("month=Dec", "Dec"),
    ("month=2027-01", "2027-01"),  # not begun yet
    ("fy=2569&month=2026-11", "2026-11"),  # November 2026 is in 2570
    ("month=%3Cscript%3E", "&lt;script&gt;"),
]


@pytest.mark.parametrize(("query", "shown"), BAD)
def test_a_bad_period_is_a_400_with_the_reason(
    client: FlaskClient, codes: dict[str, str], query: str, shown: str
) -> None:
    for url in (f"/districts?{query}", f"/districts/1030?{query}"):
        html = page(client, url, 400)
        error = re.search(r'data-testid="error">(.*?)</p>', html, re.S)
        assert error is not None and shown in error.group(1) and "ค่ะ" in error.group(1), url
        assert "<script>" not in html
    answer = client.get(f"/districts.csv?{query}&lang=en")
    assert answer.status_code == 400 and answer.mimetype == "text/plain"
    assert "ค่ะ" not in answer.get_data(as_text=True)


# --- one district ---------------------------------------------------------------------------------------


def test_a_districts_page_has_its_months_and_categories(client: FlaskClient, codes: dict[str, str]) -> None:
    html = page(client, "/districts/1030")
    assert "<h1>สำนักงานเขตจตุจักร</h1>" in html and '<html lang="th">' in html
    figures = dict(re.findall(r'<dd data-col="(\w+)">(.*?)</dd>', html, re.S))
    assert (figures["received"], figures["ack"], figures["median"]) == ("4", "50.00 % (2/4)", "4.5")
    trend = re.search(r'<table data-testid="trend">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
    months = {
        month: dict(re.findall(r'data-col="(\w+)">(.*?)</td>', body))
        for month, body in re.findall(r'<tr data-month="([\d-]+)">(.*?)</tr>', trend, re.S)
    }
    assert list(months) == ["2026-10", "2026-11", "2026-12"]  # the months begun so far
    assert months["2026-10"] == {"received": "0", "resolved": "0", "on_time": "–"}
    assert months["2026-11"] == {"received": "3", "resolved": "2", "on_time": "33.33 %"}  # a of a, b, c
    assert months["2026-12"] == {"received": "1", "resolved": "0", "on_time": "–"}  # d: not due yet
    # The chart: an image with its words, bars for each month; the table above is its fallback.
    assert re.search(r'<svg viewBox="[^"]+" role="img" aria-labelledby="chart-title"', html)
    assert html.count('<rect class="received"') == 3 and '<circle class="on-time-point"' in html
    categories = re.search(r'<table data-testid="categories">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
    assert re.findall(r"<td>(.*?)</td><td class=\"n\">(\d+)</td>", categories) == [
        ("แสงสว่าง", "2"),
        ("ถนน", "2"),
    ]
    november = page(client, "/districts/1030?month=2026-11&lang=en")
    assert "Chatuchak District Office" in november and "Figures for November 2026" in november
    assert re.findall(r"<td>(.*?)</td><td class=\"n\">(\d+)</td>", november) == [
        ("Roads", "2"),
        ("Street lighting", "1"),
    ]


@pytest.mark.parametrize("code", ["9999", "abc", "10300", "<script>"])
def test_an_unknown_district_is_a_friendly_404(client: FlaskClient, code: str) -> None:
    html = page(client, f"/districts/{code}", 404)
    assert "ไม่พบสำนักงานเขตรหัส" in html and 'href="/districts?lang=th"' in html
    assert "<script>" not in html
    english = page(client, f"/districts/{code}?lang=en", 404)
    assert "There is no district office with the code" in english and '<html lang="en">' in english


# --- CSV, links, privacy, freshness -----------------------------------------------------------------------


def test_the_csv_is_the_table_with_a_bom(client: FlaskClient, codes: dict[str, str]) -> None:
    answer = client.get("/districts.csv?month=2026-11")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="rongtook-districts-2026-11.csv"' in answer.headers["Content-Disposition"]
    body = answer.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the Thai as UTF-8
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    assert tuple(reader.fieldnames or ()) == CSV_FIELDS
    rows = {r["district_code"]: r for r in reader}
    assert len(rows) == 50
    chatuchak = rows["1030"]
    assert (chatuchak["district_th"], chatuchak["district_en"], chatuchak["period"]) == (
        "จตุจักร",
        "Chatuchak",
        "2026-11",
    )
    assert (chatuchak["received"], chatuchak["acknowledged_on_time"], chatuchak["acknowledgement_due"]) == (
        "3",
        "1",
        "3",
    )
    assert (
        chatuchak["acknowledged_on_time_percent"] == "33.33"
        and chatuchak["median_working_days_to_resolve"] == "4.5"
    )
    assert chatuchak["rating_average"] == "4.00" and rows["1002"]["rating_average"] == ""
    table = rows_of(page(client, "/districts?month=2026-11"))
    assert all(rows[code]["kpi32_score"] == table[code]["score"] for code in rows)
    # A text a spreadsheet would run is kept as text, as in the open data.
    assert _cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")' and _cell(-1) == -1


def test_the_table_is_linked_from_home_and_open_data(client: FlaskClient) -> None:
    assert 'href="/districts?lang=th"' in page(client, "/")
    open_data = page(client, "/open-data")
    assert 'href="/districts.csv"' in open_data and 'href="/districts?lang=th"' in open_data


def test_nothing_personal_on_any_of_them(client: FlaskClient, codes: dict[str, str]) -> None:
    for url in ("/districts", "/districts/1030", "/districts/1001?month=2026-11", "/districts.csv"):
        for lang in ("th", "en"):
            text = client.get(f"{url}?lang={lang}").get_data(as_text=True)
            for personal in (*PERSONAL, *codes.values()):
                assert personal not in text, (url, personal)


def test_the_figures_are_at_most_five_minutes_old(
    client: FlaskClient, services: Services, codes: dict[str, str]
) -> None:
    assert rows_of(page(client, "/districts"))["1030"]["received"] == "4"
    assert '<dd data-col="received">4</dd>' in page(client, "/districts/1030")  # kept apart, likewise
    phoned_in(services, bkk(12, 16, 9), "ถนน")
    clock.advance(timedelta(minutes=4, seconds=59))
    assert rows_of(page(client, "/districts"))["1030"]["received"] == "4"  # kept
    clock.advance(timedelta(seconds=2))
    assert rows_of(page(client, "/districts"))["1030"]["received"] == "5"  # read again
    assert "16 ธ.ค. 2569 10:05" in page(client, "/districts")
    assert '<dd data-col="received">5</dd>' in page(client, "/districts/1030")
