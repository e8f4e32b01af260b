"""The staff intake page (issue 15, point 2) on both databases: a call-taker files a complaint that came by
phone, letter or at the desk, by a pin on the map or a district's name; the duplicate hint comes before
saving; every bad field is refused in words with nothing stored; the roles; a reporter's complaints found
by phone number, and the rating they give by phone.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from admin import intake_pages
from bot import cli
from bot.app import MAX_BODY_BYTES
from bot.services import Services
from bot.settings import ConfigError, settings_from_env
from models import Category, Complaint, ComplaintEvent, OutboxMessage, Photo
from models.clock import Clock
from models.complaint_operations import file_complaint
from models.db import transaction
from models.officer_links import add_officer
from models.photos import MAX_PHOTO_BYTES
from models.staff import StaffUser, add_user
from models.working_days import load_calendar
from tests.admin_web import NOW, PASSWORD, sign_in, token
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import bring_to, citizen, end_of

ENTERED = datetime(2026, 12, 4, 10, 0, tzinfo=BANGKOK)  # a Friday: acknowledgement due Tue 8 Dec (RULES §2)
JATUJAK = (13.8040, 100.5530)  # Chatuchak (1030)
NEAR_JATUJAK = (13.80415, 100.55315)  # about 23 m from it
SAMUT_PRAKAN = (13.69, 100.7501)  # outside every Bangkok district
OFFICER_1030, OFFICER_1001 = "U" + "3" * 32, "U" + "4" * 32
CODE = re.compile(r"\d{2}-[2-9A-HJ-NP-Z]{6}")


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def desk(
    client: FlaskClient, services: Services, world: dict[str, str], districts: None, app_clock: Clock
) -> FlaskClient:
    """A call-taker signed in on Friday 4 Dec 2026, 10:00; the boundaries loaded; LINE-linked officers."""
    app_clock.freeze(ENTERED)
    with transaction(services.sessions) as s:
        add_user(s, "calltaker", PASSWORD, "intake", None, NOW)
        for district, line_id in (("1030", OFFICER_1030), ("1001", OFFICER_1001)):
            officer = add_officer(s, district, f"เจ้าหน้าที่ {district}", "officer", NOW)
            officer.line_user_id = line_id
    assert sign_in(client, "calltaker") == 302
    return client


def png(width: int = 64, colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, width * 3 // 4), colour).save(out, format="PNG")
    return out.getvalue()


GOOD: dict[str, str] = {
    "description": "ไฟถนนดับ 3 ต้น หน้าซอยพหลโยธิน 7",
    "category": "lighting",
    "latitude": str(JATUJAK[0]),
    "longitude": str(JATUJAK[1]),
    "district": "",
    "channel": "phone",
    "name": "สมศรี ใจดี",
    "phone": "081-234-5678",
    "email": "somsri@example.com",
    "reported_on": "3/12/2569",  # the day of the call, Buddhist Era
}


def submit(
    client: FlaskClient,
    photos: list[bytes] | None = None,
    extra: list[tuple[str, str]] | None = None,
    lang: str = "",
    **fields: str,
) -> Any:
    """The form as the page posts it: its CSRF token, the fields (GOOD unless given), the photos."""
    page = client.get("/admin/intake" + (f"?lang={lang}" if lang else "")).get_data(as_text=True)
    data: dict[str, Any] = {"csrf_token": token(page), **GOOD, **fields}
    if photos:
        data["photos"] = [(io.BytesIO(p), f"photo{i}.png") for i, p in enumerate(photos)]
    if extra:  # repeated fields (seen, staged)
        for name, value in extra:
            data.setdefault(name, []).append(value)
    return client.post("/admin/intake", data=data, content_type="multipart/form-data")


def counts(services: Services) -> tuple[int, int, int]:
    with transaction(services.sessions) as s:
        return (
            s.scalar(select(func.count(Complaint.id))) or 0,
            s.scalar(select(func.count(Photo.id)).where(Photo.citizen_id.is_(None))) or 0,
            s.scalar(select(func.count(OutboxMessage.id))) or 0,
        )


def files(services: Services) -> set[str]:
    folder = services.settings.photo_dir
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def filed_code(response: Any) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    found = re.fullmatch(r"/admin/intake/filed/(.+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def open_complaint_at(services: Services, point: tuple[float, float], category: str = "แสงสว่าง") -> str:
    """A LINE citizen's open complaint at `point`: what the duplicate hint finds."""
    with transaction(services.sessions) as s:
        made = file_complaint(
            s,
            citizen(s),
            description="ไฟดับหน้าบ้าน",
            category=category,
            district_code="1030",
            latitude=point[0],
            longitude=point[1],
            photos=[],
            at=ENTERED - timedelta(days=1),
            calendar=load_calendar(s),
        )
        return made.tracking_code


# --- filing ------------------------------------------------------------------------------------


def test_a_call_taker_files_by_a_pin_and_reads_the_code_out(desk: FlaskClient, services: Services) -> None:
    response = submit(desk, photos=[png()])
    code = filed_code(response)
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<p class="code" data-testid="tracking-code">{code}</p>', page)  # the large one
    assert "จตุจักร" in page and "ฝ่ายโยธา" in page and "ต้องรับเรื่องภายใน 8 ธ.ค. 2569" in page
    assert f'href="/admin/complaints/{code}"' in page
    status_link = re.search(r'data-testid="status-link">([^<]+)</a>', page)
    assert status_link and status_link.group(1).endswith(code)  # the public status, by the code alone
    desk.post("/admin/logout", data={"csrf_token": token(page)})
    public = desk.get(urlsplit(status_link.group(1)).path)
    assert public.status_code == 200 and code in public.get_data(as_text=True)
    assert "สมศรี" not in public.get_data(as_text=True)  # the reporter's contact is never public
    assert sign_in(desk, "calltaker") == 302
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert c is not None and c.citizen_id is None
        assert (c.channel, c.reporter_name, c.reporter_phone, c.reporter_email) == (
            "phone",
            "สมศรี ใจดี",
            "0812345678",
            "somsri@example.com",
        )
        assert c.reported_on == date(2026, 12, 3)  # shown; the deadlines run from the saving moment
        assert (c.district_code, c.category, c.section) == ("1030", "แสงสว่าง", "ฝ่ายโยธา")
        assert (c.latitude, c.longitude) == JATUJAK
        assert c.routed_at == ENTERED and c.created_at == ENTERED and c.ack_due_at == end_of(8)
        events = {
            e.kind: e for e in s.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id))
        }
        assert (events["filed"].actor_kind, events["filed"].actor_name) == ("staff", "calltaker")
        assert events["routed"].data["how"] == "location"
        photos = list(s.scalars(select(Photo).where(Photo.complaint_id == c.id)))
        assert [p.event_id for p in photos] == [events["filed"].id]
        assert (services.settings.photo_dir / photos[0].path).read_bytes() == png()
        # The district's linked officer has the card, as for a LINE complaint; nobody else is told.
        assert [m.to for m in s.scalars(select(OutboxMessage))] == [OFFICER_1030]


def test_a_district_chosen_by_name_routes_without_a_point(desk: FlaskClient, services: Services) -> None:
    code = filed_code(
        submit(desk, latitude="", longitude="", district="1001", channel="letter", name="", email="")
    )
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert c is not None
        assert (c.district_code, c.latitude, c.longitude, c.channel) == ("1001", None, None, "letter")
        assert (c.reporter_name, c.reporter_email, c.reporter_phone) == (None, None, "0812345678")
        routed = s.scalar(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id, ComplaintEvent.kind == "routed")
        )
        assert routed is not None and routed.data["how"] == "staff"
        assert c.ack_due_at == end_of(8)
        assert [m.to for m in s.scalars(select(OutboxMessage))] == [OFFICER_1001]


def test_an_admin_files_too_and_the_event_names_the_admin(
    client: FlaskClient, services: Services, world: dict[str, str], districts: None, app_clock: Clock
) -> None:
    app_clock.freeze(ENTERED)
    assert sign_in(client, "centre") == 302
    assert 'data-testid="nav-intake"' in client.get("/admin/complaints").get_data(as_text=True)
    code = filed_code(submit(client, channel="walk_in", reported_on=""))
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert c is not None and c.channel == "walk_in" and c.reported_on is None
        filed = s.scalar(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id, ComplaintEvent.kind == "filed")
        )
        assert filed is not None and (filed.actor_kind, filed.actor_name) == ("admin", "centre")


# --- the duplicate hint, before saving -----------------------------------------------------------


def test_the_duplicate_hint_comes_before_saving_and_filing_follows_the_confirmation(
    desk: FlaskClient, services: Services
) -> None:
    other = open_complaint_at(services, JATUJAK)
    before = counts(services)
    first = submit(desk, photos=[png(80)], latitude=str(NEAR_JATUJAK[0]), longitude=str(NEAR_JATUJAK[1]))
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and 'data-testid="duplicate-hint"' in page
    assert other in page and "รอรับเรื่อง" in page and "23 ม." in page  # its code, status and distance
    assert 'data-testid="confirm"' in page and GOOD["description"] in page  # asked to confirm, all kept
    assert counts(services) == before  # nothing stored yet
    seen = re.findall(r'name="seen" value="([^"]+)"', page)
    staged = re.findall(r'name="staged" value="([0-9a-f]{64})"', page)
    assert seen == [other] and len(staged) == 1
    staged_file = services.settings.photo_dir / intake_pages.STAGED_DIR / staged[0]
    assert staged_file.read_bytes() == png(80)

    confirmed = submit(
        desk,
        extra=[("seen", other), ("staged", staged[0])],
        latitude=str(NEAR_JATUJAK[0]),
        longitude=str(NEAR_JATUJAK[1]),
    )
    code = filed_code(confirmed)
    assert not staged_file.exists()  # the staged photo is the complaint's now
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        first_one = s.scalar(select(Complaint).where(Complaint.tracking_code == other))
        assert c is not None and first_one is not None and c.possible_duplicate_of_id == first_one.id
        photo = s.scalar(select(Photo).where(Photo.complaint_id == c.id))
        assert photo is not None and (services.settings.photo_dir / photo.path).read_bytes() == png(80)


def test_no_hint_for_another_category_or_when_far_and_a_new_neighbour_is_hinted_again(
    desk: FlaskClient, services: Services
) -> None:
    open_complaint_at(services, JATUJAK, category="ถนน")
    first = filed_code(submit(desk))  # lighting, not roads: no hint
    filed_code(submit(desk, latitude="13.8060", description="ไฟดับอีกจุด"))  # 222 m north of it: none
    near = open_complaint_at(services, NEAR_JATUJAK)
    # Confirming what was seen before does not cover a complaint that appeared since.
    again = submit(desk, extra=[("seen", first)], description="ไฟดับจุดที่สาม")
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and near in page and first in page
    assert re.findall(r'name="seen" value="([^"]+)"', page) == [first, near]  # nearest first


# --- bad input: a clear message, what was typed kept, nothing stored ---------------------------

FUTURE_BE = "5/12/2569"  # the day after the frozen "today"
BAD_INPUT = [
    ({"description": "   "}, "description", "กรุณากรอกรายละเอียดปัญหา"),
    ({"description": "ก" * 4001}, "description", "รายละเอียดยาวเกิน 4,000 ตัวอักษร (ตอนนี้ 4,001 ตัวอักษร)"),
    ({"category": "no-such"}, "category", "ไม่มีประเภทปัญหานี้"),
    ({"category": ""}, "category", "กรุณาเลือกประเภทปัญหา"),
    (
        {"latitude": str(SAMUT_PRAKAN[0]), "longitude": str(SAMUT_PRAKAN[1])},
        "latitude",
        "อยู่นอกเขตกรุงเทพมหานคร",
    ),
    ({"latitude": "13.8", "longitude": "east"}, "latitude", "ตำแหน่งไม่ถูกต้อง"),
    ({"latitude": "", "longitude": ""}, "latitude", "กรุณาปักหมุดบนแผนที่ หรือเลือกเขต"),
    ({"latitude": "", "longitude": "", "district": "9999"}, "district", "ไม่มีเขตนี้"),
    ({"district": "1001"}, "district", "หมุดอยู่ในเขตจตุจักร แต่เลือกเขตพระนครไว้"),
    ({"phone": "08x-abc-5678"}, "phone", "เบอร์โทรศัพท์ไม่ถูกต้อง: “08x-abc-5678”"),
    ({"phone": "12345"}, "phone", "เบอร์โทรศัพท์ไม่ถูกต้อง"),
    ({"email": "somsri@"}, "email", "อีเมลไม่ถูกต้อง: “somsri@”"),
    ({"email": "som sri@example.com"}, "email", "อีเมลไม่ถูกต้อง"),
    ({"reported_on": FUTURE_BE}, "reported_on", f"วันที่ “{FUTURE_BE}” ยังมาไม่ถึง"),
    ({"reported_on": "31/2/2569"}, "reported_on", "วันที่ไม่ถูกต้อง: “31/2/2569”"),
    ({"channel": "line"}, "channel", "กรุณาเลือกช่องทางที่รับแจ้ง"),
    ({"name": "ส" * 201}, "name", "ชื่อยาวเกิน 200 ตัวอักษร"),
]


@pytest.mark.parametrize(
    ("fields", "field", "message"), BAD_INPUT, ids=[f"{c[1]}-{i}" for i, c in enumerate(BAD_INPUT)]
)
def test_a_bad_field_is_refused_in_words_and_nothing_is_stored(
    desk: FlaskClient, services: Services, fields: dict[str, str], field: str, message: str
) -> None:
    before = counts(services)
    response = submit(desk, photos=[png()], **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'<li data-field="{field}">[^<]*{re.escape(message)}', page), page[:3000]
    assert "กรุณาเลือกภาพอีกครั้ง" in page  # the photo was not kept: said so
    for name, value in {**GOOD, **fields}.items():  # what was typed is there to correct
        if value and name not in ("category", "channel", "district"):
            assert f">{value}</textarea>" in page if name == "description" else f'value="{value}"' in page
    assert counts(services) == before
    assert files(services) == {"before.png"}  # not even a file (the world's photo only)


PHOTO_CASES = [
    ([b"%PDF-1.4 not a photo"], "ไฟล์ที่แนบไม่ใช่ภาพ"),
    ([b"\x89PNG" + b"0" * MAX_PHOTO_BYTES], "ภาพมีขนาดเกิน 10 MB"),
    ([png(20 + i) for i in range(5)], "แนบภาพได้ไม่เกิน 4 ภาพ"),
]


@pytest.mark.parametrize(("photos", "message"), PHOTO_CASES, ids=["not-an-image", "too-big", "five"])
def test_a_bad_photo_is_refused_and_nothing_is_stored(
    desk: FlaskClient, services: Services, photos: list[bytes], message: str
) -> None:
    before = counts(services)
    response = submit(desk, photos=photos)
    assert response.status_code == 400
    assert re.search(rf'<li data-field="photos">{message}', response.get_data(as_text=True))
    assert counts(services) == before and files(services) == {"before.png"}


def test_a_staged_photo_that_is_gone_is_asked_for_again(desk: FlaskClient, services: Services) -> None:
    before = counts(services)
    response = submit(desk, extra=[("staged", "ab" * 32)])
    assert response.status_code == 400
    assert '<li data-field="photos">ไม่พบภาพที่แนบไว้ก่อนหน้า' in response.get_data(as_text=True)
    assert counts(services) == before


def test_four_photos_are_filed(desk: FlaskClient, services: Services) -> None:
    code = filed_code(submit(desk, photos=[png(30 + i) for i in range(4)]))
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert c is not None and s.scalar(select(func.count(Photo.id)).where(Photo.complaint_id == c.id)) == 4


def noise_png(megabytes: float) -> bytes:
    """A PNG of random pixels, which does not compress: about `megabytes` MB."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        out, format="PNG", compress_level=0
    )
    return out.getvalue()


def test_photos_larger_together_than_the_apps_request_limit_are_filed(
    desk: FlaskClient, services: Services
) -> None:
    big = [noise_png(6.5), noise_png(6.5)]
    assert sum(map(len, big)) > MAX_BODY_BYTES  # more than any other form of the app takes
    code = filed_code(submit(desk, photos=big))
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert c is not None
        sizes = s.scalars(select(Photo.size_bytes).where(Photo.complaint_id == c.id).order_by(Photo.id))
        assert list(sizes) == [len(b) for b in big]


def test_several_bad_fields_are_all_named_at_once_in_english(desk: FlaskClient, services: Services) -> None:
    before = counts(services)
    response = submit(desk, lang="en", description="", phone="abc", email="x@y", reported_on=FUTURE_BE)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not saved. Please correct:" in page
    for words in ("Describe the problem", "Not a phone number: “abc”", "Not an e-mail address: “x@y”"):
        assert words in page
    assert f"“{FUTURE_BE}” is in the future" in page
    assert counts(services) == before


def test_a_form_without_its_csrf_token_is_refused(desk: FlaskClient, services: Services) -> None:
    before = counts(services)
    response = desk.post("/admin/intake", data=GOOD)
    assert response.status_code == 400 and "แบบฟอร์มหมดอายุ" in response.get_data(as_text=True)
    assert counts(services) == before


def test_an_upload_over_the_page_limit_gets_words_not_an_error(
    desk: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_pages, "INTAKE_BODY_BYTES", 4096)
    response = submit(desk, photos=[b"\x00" * 10_000])
    assert response.status_code == 413 and "ไฟล์ที่ส่งมีขนาดใหญ่เกินไป" in response.get_data(as_text=True)
    assert counts(services)[0] == 2  # the world's two


def test_the_pin_outside_bangkok_is_refused_even_with_a_district(
    desk: FlaskClient, services: Services
) -> None:
    response = submit(desk, latitude=str(SAMUT_PRAKAN[0]), longitude=str(SAMUT_PRAKAN[1]), district="1030")
    assert response.status_code == 400 and "อยู่นอกเขตกรุงเทพมหานคร" in response.get_data(as_text=True)


def test_a_switched_off_category_is_not_offered_nor_taken(desk: FlaskClient, services: Services) -> None:
    with transaction(services.sessions) as s:
        row = s.get(Category, "noise")
        assert row is not None
        row.active = False
    page = desk.get("/admin/intake").get_data(as_text=True)
    assert 'value="lighting"' in page and 'value="noise"' not in page
    response = submit(desk, category="noise")
    assert response.status_code == 400 and "ไม่มีประเภทปัญหานี้" in response.get_data(as_text=True)


# --- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["viewer", "officer1030", "head1030"])
def test_others_cannot_file(
    client: FlaskClient, services: Services, world: dict[str, str], districts: None, username: str
) -> None:
    assert sign_in(client, username) == 302
    assert client.get("/admin/intake").status_code == 403
    assert client.get("/admin/intake/phone?phone=0812345678").status_code == 403
    assert 'data-testid="nav-intake"' not in client.get("/admin/complaints").get_data(as_text=True)
    page = client.get("/admin/complaints").get_data(as_text=True)
    response = client.post("/admin/intake", data={**GOOD, "csrf_token": token(page)})
    assert response.status_code == 403 and "ไม่มีสิทธิ์" in response.get_data(as_text=True)
    assert counts(services)[0] == 2


def test_a_call_taker_reads_every_district_but_acts_on_none_and_sees_no_settings_or_reports(
    desk: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    assert desk.get("/admin/").headers["Location"].endswith("/admin/intake")  # the dashboard is the form
    listed = desk.get("/admin/complaints").get_data(as_text=True)
    assert world["ours"] in listed and world["theirs"] in listed  # both districts
    assert "/admin/kpi" not in listed and "/admin/settings" not in listed  # not offered
    page = desk.get(f"/admin/complaints/{world['theirs']}").get_data(as_text=True)
    assert 'data-testid="actions"' not in page
    assert desk.get(f"/admin/photos/{world['theirs_photo']}").status_code == 200
    for path in (
        "/admin/kpi",
        "/admin/reports",
        "/admin/audit",
        "/admin/settings/holidays",
        "/admin/settings/users",
    ):
        response = desk.get(path)
        assert response.status_code == 403 and "ไม่มีสิทธิ์" in response.get_data(as_text=True), path
    acted = desk.post(
        f"/admin/complaints/{world['ours']}/act", data={"action": "acknowledge", "csrf_token": token(page)}
    )
    assert acted.status_code == 403
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == world["ours"]))
        assert c is not None and c.status == "routed"


def test_the_users_command_makes_an_intake_account(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SECRET_KEY", "DISTRICTS_GEOJSON"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("PHOTO_DIR", str(tmp_path / "photos"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["users", "add", "desk1030", "--role", "intake", "--password-stdin"]) == 0
    assert "desk1030: intake" in capsys.readouterr().out
    with transaction(services.sessions) as s:
        user = s.scalar(select(StaffUser).where(StaffUser.username == "desk1030"))
        assert user is not None and (user.role, user.district_code) == ("intake", None)


# --- the map's helpers ---------------------------------------------------------------------------


def test_the_pin_is_placed_live_and_the_map_has_its_boundaries_and_leaflet(
    desk: FlaskClient, services: Services
) -> None:
    other = open_complaint_at(services, JATUJAK)
    answer = desk.get(
        f"/admin/intake/place.json?lat={NEAR_JATUJAK[0]}&lon={NEAR_JATUJAK[1]}&category=lighting"
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["district"] == {"code": "1030", "name": "จตุจักร"} and body["message"] == "หมุดอยู่ในเขตจตุจักร"
    assert [(d["code"], d["metres"]) for d in body["duplicates"]] == [(other, 23)]
    outside = desk.get(f"/admin/intake/place.json?lat={SAMUT_PRAKAN[0]}&lon={SAMUT_PRAKAN[1]}").get_json()
    assert outside["district"] is None and "นอกเขตกรุงเทพมหานคร" in outside["message"]
    assert desk.get("/admin/intake/place.json?lat=x&lon=1").status_code == 400

    shapes = desk.get("/admin/intake/districts.geojson")
    assert shapes.status_code == 200 and len(shapes.data) < 200_000  # simplified from 1.8 MB
    collection = shapes.get_json(force=True)
    assert len(collection["features"]) == 50
    assert {"code": "1030", "name_th": "จตุจักร", "name_en": "Chatuchak"} in [
        f["properties"] for f in collection["features"]
    ]
    for name in ("leaflet.js", "leaflet.css", "images/marker-icon.png"):
        assert desk.get(f"/admin/intake/leaflet/{name}").status_code == 200, name
    assert desk.get("/admin/intake/leaflet/../__init__.py").status_code == 404
    page = desk.get("/admin/intake").get_data(as_text=True)
    assert 'data-tiles=""' in page  # no tile server set: the boundaries alone


def test_the_tile_server_is_a_setting(
    client: FlaskClient, services: Services, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tiles = "https://tiles.example/{z}/{x}/{y}.png"
    services.settings = dataclasses.replace(
        services.settings, map_tile_url=tiles, map_tile_attribution="© OSM"
    )
    assert sign_in(client, "centre") == 302
    page = client.get("/admin/intake").get_data(as_text=True)
    assert f'data-tiles="{tiles}"' in page and 'data-attribution="© OSM"' in page


@pytest.mark.parametrize(
    "url",
    ["tiles.example/{z}/{x}/{y}.png", "ftp://tiles.example/{z}/{x}/{y}.png", "https://tiles.example/{z}.png"],
)
def test_a_tile_url_that_leaflet_cannot_use_stops_start_up(url: str, tmp_path: Path) -> None:
    env = {"PHOTO_DIR": str(tmp_path / "p"), "MAP_TILE_URL": url}
    with pytest.raises(ConfigError, match="MAP_TILE_URL"):
        settings_from_env(env)
    assert settings_from_env({"PHOTO_DIR": str(tmp_path / "p")}).map_tile_url is None


# --- a reporter found by phone; a rating given by phone ------------------------------------------


def test_a_reporters_complaints_are_found_by_phone_newest_first(
    desk: FlaskClient, services: Services, app_clock: Clock
) -> None:
    first = filed_code(submit(desk, phone="+66 81 234 5678", description="ขยะ"))
    app_clock.freeze(ENTERED + timedelta(hours=2))
    second = filed_code(submit(desk, phone="0812345678", latitude="", longitude="", district="1001"))
    filed_code(submit(desk, phone="029998888", latitude="", longitude="", district="1030"))  # someone else
    page = desk.get("/admin/intake/phone?phone=081 234 5678").get_data(as_text=True)
    assert re.findall(r'<tr data-code="([^"]+)"', page) == [second, first]
    assert "รอรับเรื่อง" in page and "เขตต้องรับเรื่องภายใน 8 ธ.ค. 2569" in page and "พระนคร" in page
    assert "โทรศัพท์ (1555)" in page and "ลงวันที่ 3 ธ.ค. 2569" in page
    none = desk.get("/admin/intake/phone?phone=0899999999").get_data(as_text=True)
    assert 'data-testid="none-found"' in none
    bad = desk.get("/admin/intake/phone?phone=call+me")
    assert bad.status_code == 400 and "เบอร์โทรศัพท์ไม่ถูกต้อง: “call me”" in bad.get_data(as_text=True)


def test_a_rating_given_by_phone_is_recorded_but_not_for_a_line_citizens_complaint(
    desk: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    code = filed_code(submit(desk))
    with transaction(services.sessions) as s:
        c = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert c is not None
        bring_to(s, c, "resolved")
        line_one = s.scalar(select(Complaint).where(Complaint.tracking_code == world["ours"]))
        assert line_one is not None
        bring_to(s, line_one, "resolved")
    page = desk.get("/admin/intake/phone?phone=0812345678").get_data(as_text=True)
    assert 'data-testid="rate-form"' in page and "ดำเนินการแล้วเสร็จ" in page
    csrf = token(page)

    def rate(which: str, stars: str) -> str:
        data = {"csrf_token": csrf, "code": which, "stars": stars, "phone": "0812345678"}
        response = desk.post("/admin/intake/rate", data=data)
        assert response.status_code == 303 and response.headers["Location"].endswith("phone=0812345678")
        return desk.get(response.headers["Location"]).get_data(as_text=True)

    assert "คะแนนต้องเป็น 1 ถึง 5 ดาว" in rate(code, "7")
    assert "ผู้ร้องให้คะแนนเองทาง LINE" in rate(world["ours"], "5")
    after = rate(code, "4")
    assert f"บันทึกคะแนน 4 ดาวของเรื่อง {code} แล้ว" in after and "4 / 5" in after
    assert 'data-testid="rate-form"' not in after
    with transaction(services.sessions) as s:
        rated = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        line_one = s.scalar(select(Complaint).where(Complaint.tracking_code == world["ours"]))
        assert rated is not None and line_one is not None
        assert (rated.rating, line_one.rating) == (4, None)
        event = s.scalar(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == rated.id, ComplaintEvent.kind == "rated"
            )
        )
        assert event is not None and (event.actor_kind, event.actor_name, event.data) == (
            "staff",
            "calltaker",
            {"stars": 4, "via": "phone"},
        )


def test_an_open_complaint_cannot_be_rated(desk: FlaskClient, services: Services) -> None:
    code = filed_code(submit(desk))
    page = desk.get("/admin/intake/phone?phone=0812345678").get_data(as_text=True)
    assert 'data-testid="rate-form"' not in page
    response = desk.post(
        "/admin/intake/rate",
        data={"csrf_token": token(page), "code": code, "stars": "5", "phone": "0812345678"},
    )
    assert "ให้คะแนนได้เฉพาะเรื่องที่ดำเนินการแล้วเสร็จ" in desk.get(response.headers["Location"]).get_data(
        as_text=True
    )
    with transaction(services.sessions) as s:
        assert s.scalar(select(Complaint.rating).where(Complaint.tracking_code == code)) is None
