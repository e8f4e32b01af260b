"""Staff reporting progress or resolving from the admin web with a photo that matches an earlier one, and
the flags read by the people who check: the complaint page, the list's filter, the dashboard, the audit.

The form comes back with the warning (which photo, its code and date, side by side) and a reason field;
nothing typed or uploaded is lost; saving with a reason keeps the photo and flags the report; new photos
instead replace the matching ones and nothing is flagged (issue 17 points 2-3).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from bot.services import Services
from models import Citizen, Complaint, ComplaintEvent, Photo
from models.clock import clock
from models.complaint_operations import Actor, acknowledge, file_complaint
from models.db import transaction
from models.photo_flags import PhotoFlag
from models.photos import save_photo
from models.thai_dates import thai_date
from models.working_days import load_calendar
from tests.admin_web import listed, sign_in, token
from tests.citizen_chat import BANGKOK, JATUJAK, SIAM
from tests.integration.test_photo_flags import edited, jpeg, scene
from texts import template

FILED = datetime(2026, 12, 7, 9, 0, tzinfo=BANGKOK)  # Monday
AT = datetime(2026, 12, 8, 10, 0, tzinfo=BANGKOK)  # the web's clock while staff act
TAKEN_BEFORE = datetime(2026, 11, 2, 16, 45)  # an EXIF time (local, no zone) before the complaint


def words(key: str) -> str:
    return template(f"admin.{key}", "th")


@pytest.fixture
def scenes(services: Services, world: dict[str, str]) -> dict[str, str]:
    """Two complaints whose citizens sent real photos (stored as the LINE door stores them): `code` in
    Chatuchak, acknowledged; `other` in Pathum Wan."""
    photo_dir = services.settings.photo_dir
    with transaction(services.sessions) as s:
        person = s.scalars(select(Citizen)).first()
        assert person is not None
        calendar = load_calendar(s)
        codes = {}
        for key, seed, district, (lat, lon) in (("code", 21, "1030", JATUJAK), ("other", 22, "1007", SIAM)):
            before = save_photo(s, photo_dir, jpeg(scene(seed)), "image/jpeg", FILED, person, f"web-{key}")
            complaint = file_complaint(
                s, person, description="ไฟถนนดับ", category="แสงสว่าง", district_code=district,
                latitude=lat, longitude=lon, photos=[before], at=FILED, calendar=calendar,
            )  # fmt: skip
            codes[key] = complaint.tracking_code
            if key == "code":
                acknowledge(s, complaint, Actor("officer", None, "1030", "officer1030"), FILED, calendar)
    clock.freeze(AT)
    return codes


def post(
    client: FlaskClient,
    code: str,
    fields: dict[str, object],
    files: list[bytes] = (),  # type: ignore[assignment]
) -> TestResponse:
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    photos = [(io.BytesIO(data), f"p{i}.jpg") for i, data in enumerate(files)]
    data = {"csrf_token": token(page), **fields, "photos": photos}
    return client.post(f"/admin/complaints/{code}/act", data=data, content_type="multipart/form-data")


def held(page: str) -> list[str]:
    return re.findall(r'name="held" value="(\d+)"', page)


def again(page: str, **fields: object) -> dict[str, object]:
    """The fields of the form sent back on `page` (its held uploads and their seal), with `fields`."""
    seal = re.search(r'name="held_seal" value="([0-9a-f]+)"', page)
    assert seal, "the page has no form sent back"
    return {"held": held(page), "held_seal": seal.group(1), **fields}


def state(services: Services, code: str) -> tuple[str, list[str], list[PhotoFlag]]:
    with transaction(services.sessions) as s:
        complaint = s.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        kinds = list(
            s.scalars(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint.id))
        )
        flags = list(s.scalars(select(PhotoFlag).where(PhotoFlag.complaint_id == complaint.id)))
        s.expunge_all()
        return complaint.status, kinds, flags


def event_photos(services: Services, code: str, kind: str) -> list[Photo]:
    with transaction(services.sessions) as s:
        event = s.scalar(
            select(ComplaintEvent)
            .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
            .where(Complaint.tracking_code == code, ComplaintEvent.kind == kind)
        )
        assert event is not None
        photos = list(s.scalars(select(Photo).where(Photo.event_id == event.id)))
        s.expunge_all()
        return photos


# ---- the form sent back, and kept with a reason ----------------------------------------------------


def test_the_citizens_edited_photo_comes_back_with_the_warning_and_a_reason_keeps_and_flags_it(
    client: FlaskClient, services: Services, scenes: dict[str, str]
) -> None:
    code = scenes["code"]
    sign_in(client, "officer1030")
    response = post(
        client, code, {"action": "progress", "text": "ช่างตรวจแล้ว รออะไหล่"}, [jpeg(edited(scene(21)))]
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="photo-warning"' in page
    assert words("match_citizen_before") in page and code in page and thai_date(FILED.date()) in page
    assert "ช่างตรวจแล้ว รออะไหล่</textarea>" in page  # nothing typed is lost
    assert len(held(page)) == 1 and page.count('src="data:image/jpeg;base64,') == 2  # side by side
    assert state(services, code)[:2] == ("acknowledged", ["filed", "routed", "acknowledged"])

    # Sent again with a reason of spaces only: asked again, everything still there.
    fields = again(page, action="progress", text="ช่างตรวจแล้ว รออะไหล่", keep_reason="   ")
    response = post(client, code, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="reason-missing"' in page
    assert words("pw_reason_needed") in page and len(held(page)) == 1
    assert state(services, code)[0] == "acknowledged"

    fields["keep_reason"] = "ถ่ายมุมเดียวกับผู้แจ้งเพื่อเทียบ"
    response = post(client, code, fields)
    assert response.status_code == 302
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    assert words("pw_done_flagged") in page
    status, kinds, (flag,) = state(services, code)
    assert (status, kinds[-1]) == ("in_progress", "progress")
    (kept,) = event_photos(services, code, "progress")
    assert (flag.kind, flag.event_kind, flag.photo_id, flag.matched_code) == (
        "citizen_before",
        "progress",
        kept.id,
        code,
    )
    assert (flag.reason, flag.kept_by_kind, flag.kept_by_name) == (
        "ถ่ายมุมเดียวกับผู้แจ้งเพื่อเทียบ",
        "officer",
        "officer1030",
    )
    # The complaint page: the flagged photo beside the photo it matches, with why, who and when.
    assert 'data-testid="flags"' in page and page.count('data-testid="flag"') == 1
    flagged = page[page.index('data-testid="flags"') :]
    assert f'src="/admin/photos/{kept.id}"' in flagged and 'src="data:image/jpeg;base64,' in flagged
    assert "ถ่ายมุมเดียวกับผู้แจ้งเพื่อเทียบ" in flagged and "officer1030" in flagged
    assert words("match_citizen_before") in flagged
    assert page.count('data-testid="flagged-mark"') == 1  # the after photo itself is marked too


def test_a_new_upload_replaces_a_photo_taken_before_the_complaint_and_nothing_is_flagged(
    client: FlaskClient, services: Services, scenes: dict[str, str]
) -> None:
    code = scenes["code"]
    sign_in(client, "officer1030")
    assert post(client, code, {"action": "progress", "text": "เริ่มงาน"}, [jpeg(scene(30))]).status_code == 302
    old = jpeg(scene(31), taken=TAKEN_BEFORE)
    response = post(client, code, {"action": "resolve", "text": "เปลี่ยนหลอดไฟแล้ว"}, [old, jpeg(scene(32))])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and words("match_older_than_complaint") in page
    assert thai_date(TAKEN_BEFORE.date()) in page and len(held(page)) == 2  # both uploads kept
    assert state(services, code)[0] == "in_progress"

    fields = again(page, action="resolve", text="เปลี่ยนหลอดไฟแล้ว", keep_reason="")
    response = post(client, code, fields, [jpeg(scene(33))])  # a new photo instead
    assert response.status_code == 302
    status, _, flags = state(services, code)
    assert (status, flags) == ("resolved", [])
    after = event_photos(services, code, "resolved")
    assert len(after) == 2 and str(after[0].id) in held(page) and str(after[1].id) not in held(page)


def test_bad_input_is_handled_as_before(
    client: FlaskClient, services: Services, scenes: dict[str, str]
) -> None:
    code = scenes["code"]
    sign_in(client, "officer1030")
    response = post(client, code, {"action": "progress", "text": "ตรวจแล้ว"}, [b"%PDF-1.4 not a photo"])
    assert response.status_code == 302
    assert "ไฟล์ที่แนบไม่ใช่ภาพ" in client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    # A forged "held" naming the citizen's own photo: refused in words, nothing attached.
    with transaction(services.sessions) as s:
        citizens = [str(p.id) for p in s.scalars(select(Photo).where(Photo.citizen_id.is_not(None)))]
    response = post(client, code, {"action": "resolve", "text": "เสร็จ", "held": citizens, "keep_reason": "x"})
    assert response.status_code == 302
    stale = words("refused_held_stale")
    assert stale in client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    assert state(services, code)[0] == "acknowledged" and state(services, code)[2] == []


def test_the_kept_form_sent_twice_saves_once(
    client: FlaskClient, services: Services, scenes: dict[str, str]
) -> None:
    code = scenes["code"]
    sign_in(client, "officer1030")
    page = post(client, code, {"action": "progress", "text": "ตรวจแล้ว"}, [jpeg(scene(21))]).get_data(
        as_text=True
    )
    fields = again(page, action="progress", text="ตรวจแล้ว", keep_reason="ยืนยัน")
    assert post(client, code, fields).status_code == 302
    assert post(client, code, fields).status_code == 302  # a second tap of the same form
    assert words("refused_held_stale") in client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    _, kinds, flags = state(services, code)
    assert kinds.count("progress") == 1 and len(flags) == 1


# ---- the people who check: list filter, export, dashboard, audit -------------------------------------


def test_a_flagged_closure_is_listed_filtered_counted_and_offered_for_audit(
    client: FlaskClient, services: Services, scenes: dict[str, str]
) -> None:
    code, other = scenes["code"], scenes["other"]
    sign_in(client, "centre")
    page = post(
        client, code, {"action": "resolve", "text": "ซ่อมเสร็จ"}, [jpeg(scene(22), quality=70)]
    ).get_data(as_text=True)
    assert words("match_elsewhere") in page and other in page  # another complaint's photo, by its code
    fields = again(page, action="resolve", text="ซ่อมเสร็จ", keep_reason="เสาเดียวกัน สองเรื่อง")
    assert post(client, code, fields).status_code == 302
    status, _, (flag,) = state(services, code)
    assert (status, flag.kind, flag.kept_by_kind, flag.kept_by_name) == (
        "resolved",
        "elsewhere",
        "admin",
        "centre",
    )

    everything = client.get("/admin/complaints").get_data(as_text=True)
    assert {code, other} <= listed(everything)
    only = client.get("/admin/complaints?flagged=1").get_data(as_text=True)
    assert listed(only) == {code}
    assert 'href="/admin/complaints/export.csv?flagged=1"' in only  # the filter goes to the exports too
    exported = client.get("/admin/complaints/export.csv?flagged=1").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert [r for r in rows[1:] if r] and all(code in ",".join(r) for r in rows[1:] if r)

    dashboard = client.get("/admin/").get_data(as_text=True)
    chatuchak = re.search(r'<tr data-district="1030">.*?</tr>', dashboard, re.S)
    assert chatuchak and re.search(r"data-flagged[^>]*>.*?>1</a>", chatuchak.group(0), re.S)
    pathum_wan = re.search(r'<tr data-district="1007">.*?</tr>', dashboard, re.S)
    assert pathum_wan and re.search(r"data-flagged[^>]*>0<", pathum_wan.group(0))

    audit = client.get("/admin/audit?month=2569-12").get_data(as_text=True)
    table = audit[audit.index('data-testid="flagged"') :]
    assert f'data-code="{code}"' in table and "เสาเดียวกัน สองเรื่อง" in table
    assert f'data-code="{other}"' not in table
    november = client.get("/admin/audit?month=2569-11").get_data(as_text=True)
    assert 'data-testid="flagged-none"' in november


def test_a_district_sees_only_its_own_flags_and_a_viewer_reads_them(
    client: FlaskClient, services: Services, scenes: dict[str, str]
) -> None:
    code = scenes["code"]
    sign_in(client, "officer1030")
    page = post(client, code, {"action": "resolve", "text": "เสร็จ"}, [jpeg(scene(21))]).get_data(as_text=True)
    fields = again(page, action="resolve", text="เสร็จ", keep_reason="รูปเดิม ยืนยันแล้ว")
    assert post(client, code, fields).status_code == 302
    client.post("/admin/logout", data={"csrf_token": token(client.get("/admin/").get_data(as_text=True))})

    sign_in(client, "officer1001")
    assert listed(client.get("/admin/complaints?flagged=1").get_data(as_text=True)) == set()
    audit = client.get("/admin/audit?month=2569-12").get_data(as_text=True)
    assert f'data-code="{code}"' not in audit
    client.post("/admin/logout", data={"csrf_token": token(client.get("/admin/").get_data(as_text=True))})

    sign_in(client, "viewer")
    detail = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    assert "รูปเดิม ยืนยันแล้ว" in detail and 'data-testid="actions"' not in detail
