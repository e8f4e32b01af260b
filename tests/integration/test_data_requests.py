"""Requests about personal data received by phone or letter (issue 17 point 7, the staff side): recorded
with the day received and a 30-day deadline (overdue ones marked), carried out from the same page: an
erasure through the same functions as "erase my data" in LINE, a copy as the file to hand over."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from models import Citizen, Complaint, DataRequest, PersonalDataView
from models.clock import clock
from models.complaint_operations import Actor, Reporter
from models.complaints import Channel
from models.db import transaction
from tests.admin_web import NOW, sign_in, token

NAME, PHONE, EMAIL = "สมศรี ใจดี", "0891112222", "somsri@example.com"
TODAY = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)  # 20 Dec 2026, 10:00 in Bangkok


@pytest.fixture
def phoned(services: Services, world: dict[str, str]) -> dict[str, str]:
    """The world plus two complaints phoned in by the same reporter, and a LINE name for the citizen."""
    codes = dict(world)
    with transaction(services.sessions) as s:
        acting = use_cases.Acting(s, Actor("staff", None, None, "desk"), NOW, Links(b"k" * 32, None))
        for key, text in (("phoned", "ต้นไม้ล้มขวางถนน โทรกลับ 089-111-2222"), ("phoned2", "ฝาท่อหาย")):
            complaint = use_cases.file(
                acting,
                None,
                description=text,
                category="ต้นไม้",
                district_code="1030",
                latitude=None,
                longitude=None,
                photos=[],
                reporter=Reporter(channel=Channel.PHONE.value, name=NAME, phone=PHONE, email=EMAIL),
            )
            codes[key] = complaint.tracking_code
        for citizen in s.scalars(select(Citizen)):
            citizen.display_name = "น้องแมวส้ม"
    clock.freeze(TODAY)
    return codes


def _record(client: FlaskClient, **form: str):  # type: ignore[no-untyped-def]
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    return client.post("/admin/privacy/requests", data={"csrf_token": token(page), **form})


def _request_ids(services: Services) -> list[int]:
    with transaction(services.sessions) as s:
        return list(s.scalars(select(DataRequest.id).order_by(DataRequest.id)))


def _row(page: str, request_id: int) -> str:
    start = page.index(f'data-testid="request-{request_id}"')
    return page[start : page.index("</tr>", start)]


def test_a_request_by_phone_is_listed_with_its_30_day_deadline(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "centre")
    response = _record(
        client, kind="erase", channel="phone", who="089-111-2222", received="18/12/2569", note="โทรมาเอง"
    )
    assert response.status_code == 303
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    assert "บันทึกคำขอแล้ว กำหนดเสร็จ 17 ม.ค. 2570" in page
    (request_id,) = _request_ids(services)
    row = _row(page, request_id)
    assert "ขอลบข้อมูล" in row and "โทรศัพท์" in row and "โทรมาเอง" in row
    assert "18 ธ.ค. 2569" in row and "17 ม.ค. 2570" in row  # received, and due 30 days later
    assert "รอดำเนินการ (อีก 28 วัน)" in row and 'class="late"' not in row
    assert phoned["phoned"] in row and phoned["phoned2"] in row  # both of the reporter's complaints
    with transaction(services.sessions) as s:
        stored = s.get(DataRequest, request_id)
        assert stored.recorded_by == "centre" and stored.found_by == "phone" and stored.citizen_id is None
        assert PHONE not in json.dumps(stored.complaint_ids) and PHONE not in stored.note


def test_an_overdue_request_is_marked(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "centre")
    _record(client, kind="copy", channel="letter", who=phoned["phoned"], received="19/11/2569")
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    row = _row(page, _request_ids(services)[0])
    assert "เกินกำหนด 1 วัน" in row and 'class="late"' in row  # due 19 Dec, today is the 20th


def test_carrying_out_an_erasure_of_a_reporter(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "centre")
    _record(client, kind="erase", channel="letter", who=phoned["phoned2"], received="20/12/2569")
    (request_id,) = _request_ids(services)
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    unconfirmed = client.post(f"/admin/privacy/requests/{request_id}/erase", data={"csrf_token": token(page)})
    assert unconfirmed.status_code == 303
    assert "กรุณาติ๊กยืนยันก่อนลบข้อมูล" in client.get("/admin/privacy/requests").get_data(as_text=True)
    with transaction(services.sessions) as s:
        assert s.scalar(select(Complaint).where(Complaint.tracking_code == phoned["phoned"])).reporter_phone

    done = client.post(
        f"/admin/privacy/requests/{request_id}/erase", data={"csrf_token": token(page), "confirm": "1"}
    )
    assert done.status_code == 303
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    assert "ลบข้อมูลส่วนบุคคลแล้ว (2 เรื่อง)" in page
    assert "ดำเนินการแล้ว 20 ธ.ค. 2569 10:00 โดย centre" in _row(page, request_id)
    with transaction(services.sessions) as s:
        for key in ("phoned", "phoned2"):
            c = s.scalar(select(Complaint).where(Complaint.tracking_code == phoned[key]))
            assert (c.reporter_name, c.reporter_phone, c.reporter_email) == (None, None, None)
            assert c.status == "routed" and "089-111-2222" not in c.description  # the complaint stays
    page_of_complaint = client.get(f"/admin/complaints/{phoned['phoned']}").get_data(as_text=True)
    assert NAME not in page_of_complaint and PHONE not in page_of_complaint

    again = client.post(
        f"/admin/privacy/requests/{request_id}/erase", data={"csrf_token": token(page), "confirm": "1"}
    )
    assert again.status_code == 303
    assert "ข้อมูลนี้ถูกลบไปแล้ว" in client.get("/admin/privacy/requests").get_data(as_text=True)


def test_carrying_out_an_erasure_of_a_line_citizen_asked_by_letter(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "centre")
    _record(client, kind="erase", channel="letter", who=phoned["theirs"].lower(), received="1/12/2569")
    (request_id,) = _request_ids(services)
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    row = _row(page, request_id)
    assert phoned["ours"] in row and phoned["theirs"] in row and "ผู้ใช้ LINE หมายเลข" in row
    client.post(
        f"/admin/privacy/requests/{request_id}/erase", data={"csrf_token": token(page), "confirm": "1"}
    )
    with transaction(services.sessions) as s:
        (citizen,) = s.scalars(select(Citizen))
        assert citizen.line_user_id.startswith("erased-") and citizen.display_name is None
        assert s.scalar(select(Complaint).where(Complaint.tracking_code == phoned["ours"])) is not None


def test_a_copy_for_a_reporter_is_the_json_to_hand_over(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "centre")
    _record(client, kind="copy", channel="email", who=PHONE, received="20/12/2569")
    (request_id,) = _request_ids(services)
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    response = client.post(f"/admin/privacy/requests/{request_id}/copy", data={"csrf_token": token(page)})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    held = json.loads(response.data)
    assert {c["tracking_code"] for c in held["complaints"]} == {phoned["phoned"], phoned["phoned2"]}
    assert held["complaints"][0]["reporter"] == {"name": NAME, "phone": PHONE, "email": EMAIL}
    assert [e["kind"] for e in held["complaints"][0]["events"]][:1] == ["filed"]
    assert "ดำเนินการแล้ว" in _row(client.get("/admin/privacy/requests").get_data(as_text=True), request_id)
    # Staff saw the reporter's contact in handing it over: recorded as a view of each complaint.
    with transaction(services.sessions) as s:
        seen = s.execute(
            select(PersonalDataView.username, PersonalDataView.fields, PersonalDataView.page)
        ).all()
    fields = "reporter_name,reporter_phone,reporter_email"
    assert sorted(seen) == [("centre", fields, "data_request")] * 2


def test_a_copy_for_a_line_citizen_is_their_zip(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "centre")
    _record(client, kind="copy", channel="walk_in", who=phoned["ours"], received="20/12/2569")
    (request_id,) = _request_ids(services)
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    response = client.post(f"/admin/privacy/requests/{request_id}/copy", data={"csrf_token": token(page)})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    profile = json.loads(archive.read("profile.json"))
    assert profile["display_name"] == "น้องแมวส้ม"
    codes = {c["tracking_code"] for c in json.loads(archive.read("complaints.json"))}
    assert codes == {phoned["ours"], phoned["theirs"]}


GOOD = {"kind": "erase", "channel": "phone", "who": PHONE, "received": "1/12/2569"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": ""}, "กรุณาเลือกประเภทคำขอ"),
        ({"channel": "pigeon"}, "กรุณาเลือกช่องทาง"),
        ({"who": ""}, "กรุณากรอกเบอร์โทร"),
        ({"who": "0800000000"}, "ไม่พบเรื่องของผู้ขอจาก 0800000000"),
        ({"who": "69-ZZZZZZ"}, "ไม่พบเรื่องของผู้ขอ"),
        ({"who": "<b>x</b>"}, "ไม่พบเรื่องของผู้ขอจาก &lt;b&gt;"),
        ({"received": "31/2/2569"}, "วันที่ได้รับคำขอไม่ถูกต้อง: 31/2/2569"),
        ({"received": "21/12/2569"}, "ต้องไม่เลยวันนี้"),
    ],
)
def test_bad_input_is_refused_in_words_and_nothing_is_stored(
    client: FlaskClient, services: Services, phoned: dict[str, str], change: dict[str, str], message: str
) -> None:
    sign_in(client, "centre")
    response = _record(client, note="x" * 5000, **{**GOOD, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'data-testid="error"' in page
    assert _request_ids(services) == []


def test_unknown_or_mismatched_requests_are_answered_in_words(
    client: FlaskClient, services: Services, phoned: dict[str, str]
) -> None:
    sign_in(client, "centre")
    _record(client, kind="copy", channel="phone", who=PHONE, received="20/12/2569")
    (request_id,) = _request_ids(services)
    page = client.get("/admin/privacy/requests").get_data(as_text=True)
    csrf = token(page)
    assert client.post("/admin/privacy/requests/999/copy", data={"csrf_token": csrf}).status_code == 303
    assert "ไม่พบคำขอนี้" in client.get("/admin/privacy/requests").get_data(as_text=True)
    wrong = client.post(
        f"/admin/privacy/requests/{request_id}/erase", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert wrong.status_code == 303
    assert "คำขอนี้ไม่ใช่คำขอลบข้อมูล" in client.get("/admin/privacy/requests").get_data(as_text=True)
    with transaction(services.sessions) as s:
        assert s.scalar(select(Complaint).where(Complaint.tracking_code == phoned["phoned"])).reporter_phone


@pytest.mark.parametrize("user", ["viewer", "head1030", "officer1030"])
def test_only_admins_handle_requests(client: FlaskClient, phoned: dict[str, str], user: str) -> None:
    sign_in(client, user)
    assert client.get("/admin/privacy/requests").status_code == 403
    page = client.get("/admin/complaints").get_data(as_text=True)
    assert client.post("/admin/privacy/requests/1/erase", data={"csrf_token": token(page)}).status_code == 403
