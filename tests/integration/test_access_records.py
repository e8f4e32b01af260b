"""Who looked (issue 17 point 9): each view of a complaint's personal fields in the staff web is recorded
once, with the right user; admins read and export the record; the `viewer` role sees no personal field
(complaint page, list, exports) and its views are not recorded."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from models import Citizen, Complaint, PersonalDataView
from models.clock import clock
from models.complaint_operations import Actor, Reporter
from models.complaints import Channel
from models.db import transaction
from models.staff import add_user
from tests.admin_web import NOW, PASSWORD, sign_in

NAME, PHONE, EMAIL, LINE_NAME = "สมศรี ใจดี", "0891112222", "somsri@example.com", "น้องแมวส้ม"
SEEN_AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok


@pytest.fixture
def phoned(services: Services, world: dict[str, str]) -> dict[str, str]:
    """The world, plus a complaint phoned in to Chatuchak, a call-taker, and a LINE name for the citizen."""
    with transaction(services.sessions) as s:
        add_user(s, "desk", PASSWORD, "intake", None, NOW)
        acting = use_cases.Acting(s, Actor("staff", None, None, "desk"), NOW, Links(b"k" * 32, None))
        complaint = use_cases.file(
            acting,
            None,
            description="ต้นไม้ล้มขวางถนน",
            category="ต้นไม้",
            district_code="1030",
            latitude=None,
            longitude=None,
            photos=[],
            reporter=Reporter(channel=Channel.PHONE.value, name=NAME, phone=PHONE, email=EMAIL),
        )
        for citizen in s.scalars(select(Citizen)):
            citizen.display_name = LINE_NAME
        return {**world, "phoned": complaint.tracking_code}


def _records(services: Services) -> list[tuple[str, str, str, str, str]]:
    with transaction(services.sessions) as s:
        rows = s.execute(
            select(
                PersonalDataView.username,
                PersonalDataView.role,
                Complaint.tracking_code,
                PersonalDataView.fields,
                PersonalDataView.page,
            )
            .join(Complaint, Complaint.id == PersonalDataView.complaint_id)
            .order_by(PersonalDataView.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_each_view_of_a_reporters_contact_is_recorded_once_with_its_user(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    clock.freeze(SEEN_AT)
    sign_in(client, "officer1030")
    page = client.get(f"/admin/complaints/{phoned['phoned']}").get_data(as_text=True)
    assert NAME in page and PHONE in page and EMAIL in page
    fields = "reporter_name,reporter_phone,reporter_email"
    assert _records(services) == [("officer1030", "officer", phoned["phoned"], fields, "complaint")]
    client.get(f"/admin/complaints/{phoned['phoned']}")  # a second look is a second record
    assert len(_records(services)) == 2
    with transaction(services.sessions) as s:
        assert {v.at for v in s.scalars(select(PersonalDataView))} == {SEEN_AT}


def test_the_citizens_line_name_is_shown_and_recorded(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "head1030")
    page = client.get(f"/admin/complaints/{phoned['ours']}").get_data(as_text=True)
    assert LINE_NAME in page
    assert _records(services) == [("head1030", "head", phoned["ours"], "line_name", "complaint")]


def test_a_view_without_personal_fields_is_not_recorded(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")  # the world's citizen has no LINE name: nothing personal on the page
    assert client.get(f"/admin/complaints/{world['ours']}").status_code == 200
    assert client.get(f"/admin/complaints/{world['theirs']}").status_code == 200
    assert _records(services) == []


def test_another_districts_complaint_is_neither_shown_nor_recorded(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "officer1001")
    assert client.get(f"/admin/complaints/{phoned['phoned']}").status_code == 404
    assert _records(services) == []


def test_the_viewer_sees_no_personal_field_anywhere_and_leaves_no_record(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "viewer")
    for code in (phoned["phoned"], phoned["ours"]):
        page = client.get(f"/admin/complaints/{code}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert code in html  # the complaint itself is there ...
        for personal in (NAME, PHONE, EMAIL, LINE_NAME):
            assert personal not in html  # ... but nothing of the person
    listing = client.get("/admin/complaints").get_data(as_text=True)
    assert phoned["phoned"] in listing
    exported = client.get("/admin/complaints/export.csv").get_data(as_text=True)
    assert phoned["phoned"] in exported
    book = load_workbook(io.BytesIO(client.get("/admin/complaints/export.xlsx").data))
    cells = " ".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None)
    assert phoned["phoned"] in cells
    for personal in (NAME, PHONE, EMAIL, LINE_NAME):
        assert personal not in listing and personal not in exported and personal not in cells
    assert _records(services) == []


def test_the_phone_search_records_each_complaint_it_shows(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "desk")
    page = client.get("/admin/intake/phone", query_string={"phone": "089-111-2222"}).get_data(as_text=True)
    assert phoned["phoned"] in page
    assert _records(services) == [("desk", "intake", phoned["phoned"], "reporter_phone", "intake_phone")]
    client.get("/admin/intake/phone", query_string={"phone": "0800000000"})  # nobody: nothing shown
    assert len(_records(services)) == 1


def _access(client: FlaskClient, **query: str) -> str:
    response = client.get("/admin/privacy/access", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admins_read_the_record_by_user_complaint_and_days_and_export_it(
    client: FlaskClient, app, services: Services, phoned: dict[str, str]
) -> None:
    for day, user, code in ((1, "officer1030", "phoned"), (2, "head1030", "ours"), (3, "head1030", "phoned")):
        clock.freeze(SEEN_AT + timedelta(days=day))
        other = app.test_client()
        sign_in(other, user)
        other.get(f"/admin/complaints/{phoned[code]}")
    sign_in(client, "centre")
    settings = client.get("/admin/settings/holidays").get_data(as_text=True)
    assert 'href="/admin/privacy/access"' in settings  # reached from the settings menu
    everything = _access(client)
    assert everything.count('data-testid="access-row"') == 3
    assert "เบอร์โทรผู้แจ้ง" in everything and "หน้าเรื่องร้องเรียน" in everything
    assert NAME not in everything and PHONE not in everything  # the record says what, never the value
    assert _access(client, user="head1030").count('data-testid="access-row"') == 2
    assert _access(client, code=phoned["phoned"]).count('data-testid="access-row"') == 2
    assert _access(client, code="not a code").count('data-testid="access-row"') == 0
    # 3-4 Dec 2026 in Buddhist-Era days, as Thai staff type them
    assert _access(client, **{"from": "4/12/2569", "to": "5/12/2569"}).count('data-testid="access-row"') == 2
    assert _access(client, **{"from": "2026-12-05"}).count('data-testid="access-row"') == 1
    bad = client.get("/admin/privacy/access", query_string={"from": "31/2/2569"})
    assert bad.status_code == 400 and "31/2/2569" in bad.get_data(as_text=True)

    exported = client.get("/admin/privacy/access.csv", query_string={"user": "head1030"})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["เวลา", "ผู้ใช้", "บทบาท", "รหัสเรื่อง", "ข้อมูลที่แสดง", "หน้าที่เปิด"]
    assert [(r[0][:10], r[1], r[3], r[4]) for r in rows[1:]] == [
        ("2026-12-05", "head1030", phoned["phoned"], "reporter_name,reporter_phone,reporter_email"),
        ("2026-12-04", "head1030", phoned["ours"], "line_name"),
    ]
    assert date.fromisoformat(rows[1][0][:10])  # Bangkok wall clock, ISO


@pytest.mark.parametrize("user", ["viewer", "head1030", "officer1030", "desk"])
def test_only_admins_open_the_record(client: FlaskClient, phoned: dict[str, str], user: str) -> None:
    sign_in(client, user)
    assert client.get("/admin/privacy/access").status_code == 403
    assert client.get("/admin/privacy/access.csv").status_code == 403
