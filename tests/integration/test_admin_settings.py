"""The admin's settings pages: holidays, category → section, LINE officers, web accounts (issue 6, page 7)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.services import Services
from models import CalendarOverride, Citizen, Complaint, Officer
from models.clock import clock
from models.complaint_operations import file_complaint
from models.db import transaction
from models.officer_links import LinkResult, link_account
from models.sections import ADMINISTRATION, CategorySection, section_for
from models.staff import StaffUser
from models.thai_dates import thai_date
from models.working_days import load_calendar
from tests.admin_web import NOW, PASSWORD, XSS, sign_in, token

BANGKOK = ZoneInfo("Asia/Bangkok")
HOLIDAYS, CATEGORIES, OFFICERS, USERS = (
    "/admin/settings/holidays",
    "/admin/settings/categories",
    "/admin/settings/officers",
    "/admin/settings/users",
)
LINE_USER = "U" + "2" * 32
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def signed(client: FlaskClient, username: str = "centre") -> str:
    """Sign in; the CSRF token of the session (any page's forms carry it)."""
    assert sign_in(client, username) == 302
    return token(client.get("/admin/complaints").get_data(as_text=True))  # a cheap page with the token


def post(client: FlaskClient, url: str, csrf: str, **fields: str) -> Any:
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=True)


def row(page: str, testid: str) -> str:
    """The text of one table row of a page, by its data-testid."""
    found = re.search(rf'<tr data-testid="{re.escape(testid)}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row {testid}"
    return found.group(1)


def error(page: str) -> str:
    found = re.search(r'data-testid="error">([^<]*)<', page)
    return found.group(1) if found else ""


def count(services: Services, model: type[Any]) -> int:
    with transaction(services.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def ack_day(services: Services, code: str) -> date:
    """The Bangkok day a complaint must be acknowledged by (its stored ack_due_at)."""
    with transaction(services.sessions) as session:
        due = session.scalar(select(Complaint.ack_due_at).where(Complaint.tracking_code == code))
    assert due is not None
    return due.astimezone(BANGKOK).date()


def user_id(services: Services, username: str) -> str:
    with transaction(services.sessions) as session:
        return str(session.scalar(select(StaffUser.id).where(StaffUser.username == username)))


def link(services: Services, code: str, line_user: str = LINE_USER, at: datetime | None = None) -> LinkResult:
    with transaction(services.sessions) as session:
        result, _ = link_account(session, code, line_user, at or clock.now())
        return result


def link_code(page: str) -> str:
    found = re.search(r'data-testid="link-code">([A-Z0-9]+)<', page)
    assert found, "no link code on the page"
    return found.group(1)


# --- who may use the settings: role × page × method -----------------------------------------------------

# A change each page accepts from an admin, and how to see in the database whether it was made.
CHANGES: dict[str, tuple[str, dict[str, str]]] = {
    "holidays": (HOLIDAYS, {"action": "add", "day": "2027-01-04", "name": "วันหยุดพิเศษ"}),
    "categories": (CATEGORIES, {"action": "set", "category": "ถนน", "section": "ฝ่ายทดสอบ"}),
    "officers": (OFFICERS, {"action": "add", "district": "1030", "name": "สมชาย", "role": "officer"}),
    "users": (USERS, {"action": "add", "username": "newhead", "role": "head", "district": "1030",
                      "password": PASSWORD}),
}  # fmt: skip


def made(services: Services, page: str) -> bool:
    with transaction(services.sessions) as session:
        if page == "holidays":
            return session.get(CalendarOverride, date(2027, 1, 4)) is not None
        if page == "categories":
            return section_for(session, "ถนน") == "ฝ่ายทดสอบ"
        if page == "officers":
            return session.scalar(select(Officer).where(Officer.name == "สมชาย")) is not None
        return session.scalar(select(StaffUser).where(StaffUser.username == "newhead")) is not None


ROLES = [("centre", 200), ("viewer", 403), ("head1030", 403), ("officer1030", 403), ("officer1001", 403)]


@pytest.mark.parametrize("page", list(CHANGES))
@pytest.mark.parametrize(("username", "status"), ROLES, ids=[u for u, _ in ROLES])
def test_only_admins_see_and_change_settings(
    client: FlaskClient, services: Services, world: dict[str, str], username: str, status: int, page: str
) -> None:
    csrf = signed(client, username)
    url, fields = CHANGES[page]
    shown = client.get(url)
    assert shown.status_code == status
    if status == 403:
        assert "บัญชีของท่านไม่มีสิทธิ์ใช้หน้านี้" in shown.get_data(as_text=True)
    assert post(client, url, csrf, **fields).status_code == status
    assert made(services, page) is (status == 200)


@pytest.mark.parametrize("page", list(CHANGES))
def test_signed_out_gets_the_log_in_page(client: FlaskClient, world: dict[str, str], page: str) -> None:
    url, _ = CHANGES[page]
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("page", list(CHANGES))
def test_a_change_without_its_csrf_token_is_refused(
    client: FlaskClient, services: Services, world: dict[str, str], page: str
) -> None:
    signed(client)
    url, fields = CHANGES[page]
    response = client.post(url, data=fields)
    assert response.status_code == 400 and "แบบฟอร์มหมดอายุ" in response.get_data(as_text=True)
    assert not made(services, page)


# --- holidays -----------------------------------------------------------------------------------------


def test_a_special_holiday_is_listed_and_moves_open_deadlines(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    # Routed Monday 23 Nov 2026 (world): acknowledge by Tuesday 24.
    assert ack_day(services, world["ours"]) == date(2026, 11, 24)
    response = post(client, HOLIDAYS, csrf, action="add", day="2026-11-24", name="วันหยุดพิเศษทดสอบ")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="year">2569<' in page
    assert "ประกาศ 24 พ.ย. 2569 เป็นวันหยุดพิเศษแล้ว" in page
    assert "กำหนดเวลาของเรื่องที่ค้างอยู่เปลี่ยนไป 2 เรื่อง" in page  # both open complaints of `world`
    listed = row(page, "holiday-2026-11-24")
    assert "24 พ.ย. 2569" in listed and "อังคาร" in listed and "วันหยุดพิเศษทดสอบ" in listed
    assert "วันหยุดพิเศษ (ผู้ดูแลประกาศ)" in listed and "ยกเลิกประกาศ" in listed
    assert ack_day(services, world["ours"]) == ack_day(services, world["theirs"]) == date(2026, 11, 25)

    removed = post(client, HOLIDAYS, csrf, action="remove", day="2026-11-24").get_data(as_text=True)
    assert "ยกเลิกประกาศของวันที่ 24 พ.ย. 2569 แล้ว" in removed
    assert "กำหนดเวลาของเรื่องที่ค้างอยู่เปลี่ยนไป 2 เรื่อง" in removed
    assert 'data-testid="holiday-2026-11-24"' not in removed
    assert ack_day(services, world["ours"]) == date(2026, 11, 24)
    assert count(services, CalendarOverride) == 0


def test_a_working_day_declared_on_a_public_holiday(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    # Routed Friday 4 Dec 2026: Sat, Sun and Mon 7 (in lieu of 5 Dec) are off, so due Tue 8 (RULES §2).
    with transaction(services.sessions) as session:
        person = Citizen(line_user_id="U" + "3" * 32, created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        friday = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
        code = file_complaint(
            session, person, description="ถนนพัง", category="ถนน", district_code="1030", latitude=None,
            longitude=None, photos=[], at=friday, calendar=load_calendar(session),
        ).tracking_code  # fmt: skip
    assert ack_day(services, code) == date(2026, 12, 8)
    csrf = signed(client)
    before = client.get(HOLIDAYS, query_string={"year": "2569"}).get_data(as_text=True)
    in_lieu = row(before, "holiday-2026-12-07")
    assert "ชดเชย" in in_lieu and "วันหยุดราชการ (ปฏิทิน)" in in_lieu and "ยกเลิกประกาศ" not in in_lieu

    page = post(client, HOLIDAYS, csrf, action="working", day="2026-12-07", name="").get_data(as_text=True)
    assert "ประกาศ 7 ธ.ค. 2569 เป็นวันทำงานแล้ว" in page
    assert "กำหนดเวลาของเรื่องที่ค้างอยู่เปลี่ยนไป 1 เรื่อง" in page  # only the one routed on Friday
    assert "วันทำงาน (ผู้ดูแลประกาศ)" in row(page, "holiday-2026-12-07")
    assert ack_day(services, code) == date(2026, 12, 7)

    page = post(client, HOLIDAYS, csrf, action="remove", day="2026-12-07").get_data(as_text=True)
    assert "วันหยุดราชการ (ปฏิทิน)" in row(page, "holiday-2026-12-07")
    assert ack_day(services, code) == date(2026, 12, 8)


def test_the_year_of_holidays_in_thai_and_in_english(
    client: FlaskClient, app: Any, world: dict[str, str]
) -> None:
    signed(client)
    page = client.get(HOLIDAYS, query_string={"year": "2570"}).get_data(as_text=True)
    assert 'data-testid="year">2570<' in page
    constitution = row(page, "holiday-2027-12-10")
    assert "10 ธ.ค. 2570" in constitution and "ศุกร์" in constitution and "วันรัฐธรรมนูญ" in constitution
    assert 'data-testid="holiday-2027-05-01"' not in page  # Labour Day: government offices stay open
    assert 'data-testid="holiday-2026-12-10"' not in page  # only the year asked for
    clock.freeze(NOW)
    assert 'data-testid="year">2569<' in client.get(HOLIDAYS).get_data(as_text=True)  # this year by default
    english = client.get(HOLIDAYS, query_string={"year": "2027", "lang": "en"}).get_data(as_text=True)
    assert "Constitution Day" in row(english, "holiday-2027-12-10") and "Fri" in english


@pytest.mark.parametrize("year", ["abcd", "3000", "25", "2570.5", "-2570"])
def test_an_unreadable_year_is_said(client: FlaskClient, world: dict[str, str], year: str) -> None:
    signed(client)
    response = client.get(HOLIDAYS, query_string={"year": year})
    assert (
        response.status_code == 400
        and error(response.get_data(as_text=True)) == "ปีไม่ถูกต้อง (ใส่ปี พ.ศ. เช่น 2570)"
    )


BAD_HOLIDAYS = [
    ({"action": "add", "day": "2027-02-30", "name": "x"}, "วันที่ไม่ถูกต้อง"),
    ({"action": "add", "day": "2570-01-04", "name": "x"}, "วันที่ไม่ถูกต้อง"),  # a BE year in a CE field
    ({"action": "add", "day": "", "name": "x"}, "วันที่ไม่ถูกต้อง"),
    ({"action": "add", "day": "2026-11-24", "name": "  "}, "กรุณากรอกชื่อวันหยุด"),
    ({"action": "add", "day": "2026-11-24", "name": "ว" * 201}, "ข้อความยาวเกิน 200 ตัวอักษร"),
    ({"action": "remove", "day": "2026-11-24"}, "ไม่มีประกาศของผู้ดูแลให้ยกเลิก"),
    ({"action": "drop table", "day": "2026-11-24", "name": "x"}, "ไม่รู้จักคำสั่งนี้"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_HOLIDAYS)
def test_a_bad_holiday_change_is_said_and_changes_nothing(
    client: FlaskClient, services: Services, world: dict[str, str], fields: dict[str, str], message: str
) -> None:
    csrf = signed(client)
    response = post(client, HOLIDAYS, csrf, **fields)
    assert response.status_code == 400 and message in error(response.get_data(as_text=True))
    assert count(services, CalendarOverride) == 0
    assert ack_day(services, world["ours"]) == date(2026, 11, 24)


# --- category → section -------------------------------------------------------------------------------


def test_categories_are_routed_to_sections_and_back_to_the_default(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    page = client.get(CATEGORIES).get_data(as_text=True)
    assert ADMINISTRATION in row(page, "category-default")
    other = re.search(r'data-category="อื่น ๆ" data-own="no">(.*?)</tr>', page, re.S)
    assert other and ADMINISTRATION in other.group(1) and "ใช้ฝ่ายค่าเริ่มต้น" in other.group(1)

    page = post(client, CATEGORIES, csrf, action="set", category="ถนน", section="ฝ่ายถนนใหม่").get_data(
        as_text=True
    )
    assert "ประเภท ถนน → ฝ่ายถนนใหม่ แล้ว" in page
    assert re.search(r'data-category="ถนน" data-own="yes">\s*<td>ถนน</td>\s*<td>ฝ่ายถนนใหม่</td>', page)
    page = post(client, CATEGORIES, csrf, action="set", category="แมลง", section="ฝ่ายสิ่งแวดล้อม").get_data(
        as_text=True
    )
    assert 'data-category="แมลง" data-own="yes"' in page  # a category citizens do not pick, listed too
    with transaction(services.sessions) as session:
        assert section_for(session, "ถนน") == "ฝ่ายถนนใหม่"
        assert section_for(session, "แมลง") == "ฝ่ายสิ่งแวดล้อม"

    page = post(client, CATEGORIES, csrf, action="remove", category="ถนน").get_data(as_text=True)
    assert "ประเภท ถนน กลับไปใช้ฝ่ายค่าเริ่มต้นแล้ว" in page and 'data-category="ถนน" data-own="no"' in page
    page = post(client, CATEGORIES, csrf, action="set", category="*", section="ฝ่ายกลาง").get_data(
        as_text=True
    )
    assert "ฝ่ายกลาง" in row(page, "category-default")
    with transaction(services.sessions) as session:
        assert section_for(session, "ถนน") == "ฝ่ายกลาง"  # the new default answers it
        assert section_for(session, "อื่น ๆ") == "ฝ่ายกลาง"


BAD_CATEGORIES = [
    ({"action": "set", "category": "ถนน", "section": "   "}, "กรุณากรอกชื่อฝ่าย"),
    ({"action": "set", "category": "", "section": "ฝ่ายโยธา"}, "กรุณากรอกประเภทเรื่อง"),
    ({"action": "set", "category": "ถ" * 101, "section": "ฝ่ายโยธา"}, "ข้อความยาวเกิน 100 ตัวอักษร"),
    ({"action": "set", "category": "ถนน", "section": "ฝ" * 201}, "ข้อความยาวเกิน 200 ตัวอักษร"),
    ({"action": "remove", "category": "*"}, "ลบค่าเริ่มต้น (*) ไม่ได้"),
    ({"action": "rename", "category": "ถนน"}, "ไม่รู้จักคำสั่งนี้"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_CATEGORIES)
def test_a_bad_category_change_is_said_and_changes_nothing(
    client: FlaskClient, services: Services, world: dict[str, str], fields: dict[str, str], message: str
) -> None:
    with transaction(services.sessions) as session:
        before = {r.category: r.section for r in session.scalars(select(CategorySection))}
    csrf = signed(client)
    response = post(client, CATEGORIES, csrf, **fields)
    assert response.status_code == 400 and message in error(response.get_data(as_text=True))
    with transaction(services.sessions) as session:
        assert {r.category: r.section for r in session.scalars(select(CategorySection))} == before


# --- officers on LINE ---------------------------------------------------------------------------------


def test_a_new_officer_gets_a_link_code_once_that_links_their_line(
    client: FlaskClient, app: Any, services: Services, world: dict[str, str]
) -> None:
    clock.freeze(NOW)  # Monday 23 Nov 2026, 10:00 in Bangkok
    csrf = signed(client)
    response = post(client, OFFICERS, csrf, action="add", district="1030", name="สมชาย ใจดี", role="head")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    code = link_code(page)
    assert len(code) == 10 and "ภายใน 24 ชั่วโมง" in page and "สมชาย ใจดี" in page
    assert '"link-code-expires">24 พ.ย. 2569 10:00<' in page  # 24 hours on, in BE
    with transaction(services.sessions) as session:
        officer = session.scalar(select(Officer).where(Officer.name == "สมชาย ใจดี"))
        assert officer is not None and (officer.district_code, officer.role) == ("1030", "head")
        officer_id = officer.id
    listed = row(page, f"officer-{officer_id}")
    assert "หัวหน้าฝ่าย" in listed and "ยังไม่เชื่อม LINE" in listed and "ใช้งานอยู่" in listed

    again = client.get(OFFICERS).get_data(as_text=True)
    assert code not in again  # shown once
    assert link(services, code, at=NOW + timedelta(hours=25)) is LinkResult.WRONG  # expired by then
    assert link(services, code, at=NOW + timedelta(hours=23)) is LinkResult.LINKED
    assert "เชื่อม LINE แล้ว" in row(client.get(OFFICERS).get_data(as_text=True), f"officer-{officer_id}")
    assert link(services, code, "U" + "4" * 32, at=NOW + timedelta(hours=23)) is LinkResult.WRONG  # once


def test_a_new_code_makes_the_old_one_useless(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    first = link_code(
        post(client, OFFICERS, csrf, action="add", district="1001", name="มาลี", role="officer").text
    )
    officer_id = str(_officer_id(services, "มาลี"))
    response = post(client, OFFICERS, csrf, action="code", officer_id=officer_id)
    second = link_code(response.get_data(as_text=True))
    assert second != first and "ออกรหัสเชื่อมใหม่ให้ มาลี แล้ว" in response.get_data(as_text=True)
    assert link(services, first) is LinkResult.WRONG
    assert link(services, second) is LinkResult.LINKED


def _officer_id(services: Services, name: str) -> int:
    with transaction(services.sessions) as session:
        found = session.scalar(select(Officer.id).where(Officer.name == name))
    assert found is not None
    return found


def test_a_switched_off_officer_cannot_link_and_is_shown_so(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    code = link_code(
        post(client, OFFICERS, csrf, action="add", district="1030", name="ดำ", role="officer").text
    )
    officer_id = _officer_id(services, "ดำ")
    page = post(client, OFFICERS, csrf, action="deactivate", officer_id=str(officer_id)).get_data(
        as_text=True
    )
    assert "ปิดใช้งาน ดำ แล้ว" in page and "ปิดใช้งาน" in row(page, f"officer-{officer_id}")
    with transaction(services.sessions) as session:
        assert session.get(Officer, officer_id).active is False  # type: ignore[union-attr]
    assert link(services, code) is LinkResult.WRONG
    page = post(client, OFFICERS, csrf, action="activate", officer_id=str(officer_id)).get_data(as_text=True)
    assert "เปิดใช้งาน ดำ แล้ว" in page
    with transaction(services.sessions) as session:
        assert session.get(Officer, officer_id).active is True  # type: ignore[union-attr]


def test_the_officer_list_filters_by_district(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    post(client, OFFICERS, csrf, action="add", district="1030", name="คนจตุจักร", role="officer")
    post(client, OFFICERS, csrf, action="add", district="1001", name="คนพระนคร", role="officer")
    page = client.get(OFFICERS, query_string={"district": "1030"}).get_data(as_text=True)
    assert "คนจตุจักร" in page and "คนพระนคร" not in page
    both = client.get(OFFICERS).get_data(as_text=True)
    assert "คนจตุจักร" in both and "คนพระนคร" in both
    unknown = client.get(OFFICERS, query_string={"district": "9999"})
    assert unknown.status_code == 400 and error(unknown.get_data(as_text=True)) == "ไม่พบเขตนี้"


BAD_OFFICERS = [
    ({"action": "add", "district": "9999", "name": "ก", "role": "officer"}, "ไม่พบเขตนี้"),
    ({"action": "add", "district": "", "name": "ก", "role": "officer"}, "กรุณาเลือกเขต"),
    ({"action": "add", "district": "1030", "name": " ", "role": "officer"}, "กรุณากรอกชื่อ"),
    ({"action": "add", "district": "1030", "name": "ก" * 201, "role": "officer"}, "ข้อความยาวเกิน 200"),
    ({"action": "add", "district": "1030", "name": "ก", "role": "admin"}, "บทบาทไม่ถูกต้อง"),
    ({"action": "code", "officer_id": "999"}, "ไม่พบเจ้าหน้าที่รายนี้"),
    ({"action": "deactivate", "officer_id": "x"}, "ไม่พบเจ้าหน้าที่รายนี้"),
    ({"action": "promote", "officer_id": "1"}, "ไม่รู้จักคำสั่งนี้"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_OFFICERS)
def test_a_bad_officer_change_is_said_and_changes_nothing(
    client: FlaskClient, services: Services, world: dict[str, str], fields: dict[str, str], message: str
) -> None:
    csrf = signed(client)
    response = post(client, OFFICERS, csrf, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in error(page) and 'data-testid="link-code"' not in page
    assert count(services, Officer) == 0


# --- web accounts -------------------------------------------------------------------------------------


def test_an_added_account_signs_in(
    client: FlaskClient, app: Any, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    page = post(
        client, USERS, csrf, action="add", username="Malee", role="head", district="1001", password=PASSWORD
    ).get_data(as_text=True)
    assert "เพิ่มบัญชี malee แล้ว" in page
    listed = row(page, "user-malee")
    assert "หัวหน้าฝ่าย" in listed and "1001" in listed and "ใช้งานอยู่" in listed
    assert count(services, Officer) == 0  # "also register for LINE" was not ticked
    other = app.test_client()
    assert sign_in(other, "malee") == 302 and other.get("/admin/").status_code == 200
    last_sign_in = cells(row(client.get(USERS).get_data(as_text=True), "user-malee"))[4]
    assert last_sign_in.startswith(thai_date(clock.now().astimezone(BANGKOK).date()))


def cells(html_row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html_row, re.S)]


def test_a_generated_password_is_shown_once_and_works(
    client: FlaskClient, app: Any, world: dict[str, str]
) -> None:
    csrf = signed(client)
    response = post(
        client, USERS, csrf, action="add", username="dang", role="viewer", district="", password=""
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    found = re.search(r'data-testid="generated-password">([^<]+)<', page)
    assert found and "dang" in page
    password = found.group(1)
    assert password not in client.get(USERS).get_data(as_text=True)  # once
    assert sign_in(app.test_client(), "dang", password) == 302


def test_a_head_account_is_registered_on_line_too(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    fields = {"username": "somsri", "role": "officer", "district": "1001", "password": PASSWORD}
    page = post(client, USERS, csrf, action="add", line="1", display_name="สมศรี มีสุข", **fields).text
    code = link_code(page)
    assert "ภายใน 24 ชั่วโมง" in page
    with transaction(services.sessions) as session:
        officer = session.scalar(select(Officer))
        assert officer is not None
        assert (officer.name, officer.district_code, officer.role) == ("สมศรี มีสุข", "1001", "officer")
    assert link(services, code) is LinkResult.LINKED
    # Without a display name the LINE officer is called by the username.
    post(client, USERS, csrf, action="add", line="1", username="kasem", role="head", district="1030",
         password=PASSWORD)  # fmt: skip
    assert _officer_id(services, "kasem")
    # A viewer has no district: nothing to register on LINE, whatever the box says.
    post(client, USERS, csrf, action="add", line="1", username="nok", role="viewer", password=PASSWORD)
    assert count(services, Officer) == 2


BAD_USERS = [
    ({"username": "head1030", "role": "head", "district": "1030"}, "ชื่อผู้ใช้ head1030 มีผู้ใช้แล้ว"),
    ({"username": "HEAD1030", "role": "viewer"}, "ชื่อผู้ใช้ head1030 มีผู้ใช้แล้ว"),
    ({"username": "newbie", "role": "head"}, "หัวหน้าฝ่ายและเจ้าหน้าที่ต้องเลือกเขต"),
    ({"username": "newbie", "role": "officer", "district": "9999"}, "ไม่พบเขตนี้"),
    ({"username": "newbie", "role": "viewer", "district": "1030"}, "ไม่ต้องเลือกเขต"),
    ({"username": "newbie", "role": "admin", "district": "1030"}, "ไม่ต้องเลือกเขต"),
    ({"username": "newbie", "role": "viewer", "password": "short"}, "รหัสผ่านต้องยาวอย่างน้อย 10 ตัวอักษร"),
    ({"username": "newbie", "role": "viewer", "password": " spaces around "}, "ช่องว่าง"),
    ({"username": "no spaces", "role": "viewer"}, "ชื่อผู้ใช้ต้องยาว 3–40 ตัว"),
    ({"username": "newbie", "role": "superuser"}, "บทบาทไม่ถูกต้อง"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_USERS)
def test_a_bad_account_is_refused_and_nothing_written(
    client: FlaskClient, services: Services, world: dict[str, str], fields: dict[str, str], message: str
) -> None:
    csrf = signed(client)
    data = {"password": PASSWORD, "line": "1", **fields}
    response = post(client, USERS, csrf, action="add", **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in error(page)
    assert 'data-testid="link-code"' not in page and 'data-testid="generated-password"' not in page
    assert count(services, StaffUser) == 5 and count(services, Officer) == 0


def test_switching_an_account_off_signs_it_out_everywhere(
    client: FlaskClient, app: Any, services: Services, world: dict[str, str]
) -> None:
    officer = app.test_client()
    assert sign_in(officer, "officer1030") == 302 and officer.get("/admin/").status_code == 200
    csrf = signed(client)
    page = post(client, USERS, csrf, action="deactivate", user_id=user_id(services, "officer1030")).text
    assert "ปิดใช้งานบัญชี officer1030 แล้ว" in page and "ปิดใช้งาน" in row(page, "user-officer1030")
    assert officer.get("/admin/").status_code == 302  # to the log-in page
    assert sign_in(app.test_client(), "officer1030") == 401
    post(client, USERS, csrf, action="activate", user_id=user_id(services, "officer1030"))
    assert sign_in(officer, "officer1030") == 302


def test_a_new_password_signs_the_account_out_everywhere(
    client: FlaskClient, app: Any, services: Services, world: dict[str, str]
) -> None:
    head = app.test_client()
    assert sign_in(head, "head1030") == 302
    csrf = signed(client)
    fresh = "a brand new password"
    page = post(
        client, USERS, csrf, action="password", user_id=user_id(services, "head1030"), password=fresh
    ).text
    assert "เปลี่ยนรหัสผ่านของ head1030 แล้ว" in page
    assert head.get("/admin/").status_code == 302
    assert sign_in(app.test_client(), "head1030") == 401  # the old password
    assert sign_in(app.test_client(), "head1030", fresh) == 302
    # Left empty, a password is generated and shown once.
    response = post(client, USERS, csrf, action="password", user_id=user_id(services, "viewer"), password="")
    found = re.search(r'data-testid="generated-password">([^<]+)<', response.text)
    assert found and sign_in(app.test_client(), "viewer", found.group(1)) == 302
    short = post(
        client, USERS, csrf, action="password", user_id=user_id(services, "viewer"), password="short"
    )
    assert short.status_code == 400 and "อย่างน้อย 10 ตัวอักษร" in error(short.text)


def test_an_admin_keeps_their_session_after_changing_their_own_password(
    client: FlaskClient, app: Any, services: Services, world: dict[str, str]
) -> None:
    elsewhere = app.test_client()
    assert sign_in(elsewhere, "centre") == 302
    csrf = signed(client)
    fresh = "the centre's new password"
    post(client, USERS, csrf, action="password", user_id=user_id(services, "centre"), password=fresh)
    assert client.get(USERS).status_code == 200  # here: still signed in
    assert elsewhere.get("/admin/").status_code == 302  # every other session: signed out


def test_an_admin_cannot_switch_their_own_account_off(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    page = client.get(USERS).get_data(as_text=True)
    assert 'value="deactivate"' not in row(page, "user-centre")  # no button for it
    response = post(client, USERS, csrf, action="deactivate", user_id=user_id(services, "centre"))
    assert response.status_code == 400 and "ปิดใช้งานบัญชีของตัวเองไม่ได้" in error(response.text)
    with transaction(services.sessions) as session:
        assert session.scalar(select(StaffUser.active).where(StaffUser.username == "centre")) is True
    assert client.get(USERS).status_code == 200


@pytest.mark.parametrize(
    "fields", [{"action": "activate", "user_id": "999"}, {"action": "password", "user_id": ""}]
)
def test_an_unknown_account_is_said(
    client: FlaskClient, world: dict[str, str], fields: dict[str, str]
) -> None:
    csrf = signed(client)
    response = post(client, USERS, csrf, **fields)
    assert response.status_code == 400 and error(response.text) == "ไม่พบบัญชีนี้"


# --- a script in a name is only text ------------------------------------------------------------------


def test_a_script_in_a_name_is_shown_as_text(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    pages = [
        post(client, HOLIDAYS, csrf, action="add", day="2026-11-24", name=XSS).text,
        post(client, CATEGORIES, csrf, action="set", category=XSS[:100], section=XSS).text,
        post(client, OFFICERS, csrf, action="add", district="1030", name=XSS, role="officer").text,
        client.get(OFFICERS).text,
        post(
            client,
            USERS,
            csrf,
            action="add",
            username="xss",
            role="officer",
            district="1030",
            password=PASSWORD,
            line="1",
            display_name=XSS,
        ).text,  # fmt: skip
    ]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
        assert ESCAPED in page
