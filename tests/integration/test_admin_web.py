"""The admin web's doors: sign-in, CSRF, throttling, sessions, and who may read which district."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.services import Services
from models import Complaint, ComplaintEvent, OutboxMessage
from models.db import transaction
from models.staff import MAX_FAILURES, StaffError, StaffUser, add_user, set_password
from tests.admin_web import NOW, PASSWORD, listed, sign_in, token


def test_the_login_form_has_the_fields_scripts_fill_in(client: FlaskClient) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and token(page)
    assert "เข้าสู่ระบบ" in page  # Thai first


def test_sign_in_and_out(client: FlaskClient, world: dict[str, str]) -> None:
    assert client.get("/admin/").status_code == 302  # to the log-in page
    assert sign_in(client, "centre") == 302
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200 and "ภาพรวม" in dashboard.get_data(as_text=True)
    page = dashboard.get_data(as_text=True)
    assert client.post("/admin/logout").status_code == 400  # no token: not even a sign-out is forged
    assert client.post("/admin/logout", data={"csrf_token": token(page)}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient, world: dict[str, str]) -> None:
    response = client.post("/admin/login", data={"username": "centre", "password": PASSWORD})
    assert response.status_code == 400 and "แบบฟอร์มหมดอายุ" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in


def test_wrong_passwords_get_one_answer_then_a_pause(client: FlaskClient, world: dict[str, str]) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    wrong = client.post(
        "/admin/login", data={"username": "centre", "password": "nope nope nope", "csrf_token": token(page)}
    )
    unknown = client.post(
        "/admin/login", data={"username": "nobody", "password": "nope nope nope", "csrf_token": token(page)}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in wrong.get_data(as_text=True)
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "centre", "still wrong!!")
    # Now even the right password waits: guessing is slowed down.
    assert sign_in(client, "centre") == 429
    assert client.get("/admin/").status_code == 302


def test_signing_in_starts_a_new_session(client: FlaskClient, app, world: dict[str, str]) -> None:
    with client.session_transaction() as planted:
        planted["_user_id"] = "999:1"  # what an attacker might have put in a session before
        planted["planted"] = "yes"
    assert sign_in(client, "officer1030") == 302
    with client.session_transaction() as fresh:
        assert "planted" not in fresh and fresh["_user_id"].startswith(
            str(_user_id(app, "officer1030")) + ":"
        )


def _user_id(app, username: str) -> int:
    services = app.extensions["rongtook"]
    with transaction(services.sessions) as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.username == username))  # type: ignore[return-value]


def test_a_new_password_signs_out_every_other_session(
    client: FlaskClient, app, services: Services, world: dict[str, str]
) -> None:
    assert sign_in(client, "head1030") == 302
    with transaction(services.sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "head1030"))
        set_password(session, user, "another long password")
    assert client.get("/admin/").status_code == 302


def test_a_switched_off_account_cannot_sign_in(client: FlaskClient, services: Services, world) -> None:
    with transaction(services.sessions) as session:
        session.scalar(select(StaffUser).where(StaffUser.username == "viewer")).active = False
    assert sign_in(client, "viewer") == 401


# --- who may read what: role × page × district --------------------------------------------------------

PAGES = {
    "dashboard": lambda c: "/admin/",
    "list": lambda c: "/admin/complaints",
    "own complaint": lambda c: f"/admin/complaints/{c['ours']}",
    "other complaint": lambda c: f"/admin/complaints/{c['theirs']}",
    "own photo": lambda c: f"/admin/photos/{c['ours_photo']}",
    "other photo": lambda c: f"/admin/photos/{c['theirs_photo']}",
    "kpi": lambda c: "/admin/kpi?fy=2570",
    "own kpi": lambda c: "/admin/kpi/1030?fy=2570",
    "other kpi": lambda c: "/admin/kpi/1001?fy=2570",
    "own reports": lambda c: "/admin/reports?district=1030&month=2569-10",
    "other reports": lambda c: "/admin/reports?district=1001&month=2569-10",
    "own report file": lambda c: "/admin/reports/1030/2569-10/cpl-r001.xlsx",
    "other report file": lambda c: "/admin/reports/1001/2569-10/cpl-r003.csv",
    "audit": lambda c: "/admin/audit?month=2569-10",
    "settings": lambda c: "/admin/settings/users",
}
EVERYTHING = dict.fromkeys(PAGES, 200)
DISTRICT_1030 = EVERYTHING | {page: 404 for page in PAGES if page.startswith("other")} | {"settings": 403}
DISTRICT_1001 = EVERYTHING | {page: 404 for page in PAGES if page.startswith("own")} | {"settings": 403}
# "own" is Chatuchak (1030), "other" Phra Nakhon (1001), seen by each role.
MATRIX = [
    ("centre", EVERYTHING),
    ("viewer", EVERYTHING | {"settings": 403}),
    ("head1030", DISTRICT_1030),
    ("officer1030", DISTRICT_1030),
    ("officer1001", DISTRICT_1001),
    (None, dict.fromkeys(PAGES, 302)),  # signed out: to the log-in page
]


@pytest.mark.parametrize(("username", "expected"), MATRIX, ids=[str(u) for u, _ in MATRIX])
def test_authorisation_matrix(client: FlaskClient, world: dict[str, str], username, expected) -> None:
    if username:
        assert sign_in(client, username) == 302
    got = {page: client.get(url(world)).status_code for page, url in PAGES.items()}
    assert got == expected


def test_a_district_user_sees_only_their_district_in_lists_and_searches(
    client: FlaskClient, world: dict[str, str]
) -> None:
    sign_in(client, "officer1030")
    listing = client.get("/admin/complaints").get_data(as_text=True)
    assert listed(listing) == {world["ours"]}
    probe = client.get("/admin/complaints", query_string={"q": world["theirs"]}).get_data(as_text=True)
    assert listed(probe) == set() and "ไม่พบเรื่อง" in probe
    by_url = client.get("/admin/complaints", query_string={"district": "1001"}).get_data(as_text=True)
    assert listed(by_url) == set()


def test_a_script_in_a_complaint_is_shown_as_text(client: FlaskClient, world: dict[str, str]) -> None:
    sign_in(client, "centre")
    for url in ("/admin/complaints", f"/admin/complaints/{world['ours']}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
    detail = client.get(f"/admin/complaints/{world['ours']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in detail


@pytest.mark.parametrize("q", ["' OR 1=1 --", '"; DROP TABLE complaints; --', "%", "_", "\\", "ไฟดับ' --"])
def test_sql_metacharacters_in_a_search_are_only_text(
    client: FlaskClient, services: Services, world: dict[str, str], q: str
) -> None:
    sign_in(client, "centre")
    response = client.get("/admin/complaints", query_string={"q": q})
    assert response.status_code == 200
    assert listed(response.get_data(as_text=True)) == set()  # no complaint contains these
    with transaction(services.sessions) as session:
        assert len(list(session.scalars(select(Complaint)))) == 2  # and nothing was dropped


def test_a_code_typed_loosely_finds_its_complaint(client: FlaskClient, world: dict[str, str]) -> None:
    sign_in(client, "centre")
    loose = world["ours"].lower().replace("-", " ")
    page = client.get("/admin/complaints", query_string={"q": loose}).get_data(as_text=True)
    assert listed(page) == {world["ours"]}
    words = client.get("/admin/complaints", query_string={"q": "ขยะ"}).get_data(as_text=True)
    assert listed(words) == {world["theirs"]}
    everything = client.get("/admin/complaints").get_data(as_text=True)
    assert listed(everything) == {world["ours"], world["theirs"]}


def test_no_redirect_off_the_site_after_sign_in(client: FlaskClient, world: dict[str, str]) -> None:
    page = client.get("/admin/login?next=https://evil.example/").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={"username": "centre", "password": PASSWORD, "csrf_token": token(page), "next": "//evil.x"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_accounts_are_checked_when_made(services: Services, tmp_path: Path) -> None:
    with transaction(services.sessions) as session:
        with pytest.raises(StaffError, match="district"):
            add_user(session, "someone", PASSWORD, "officer", None, NOW)
        with pytest.raises(StaffError, match="district"):
            add_user(session, "someone", PASSWORD, "head", "9999", NOW)
        with pytest.raises(StaffError, match="every district"):
            add_user(session, "someone", PASSWORD, "viewer", "1030", NOW)
        with pytest.raises(StaffError, match="at least"):
            add_user(session, "someone", "short", "admin", None, NOW)
        with pytest.raises(StaffError, match="username"):
            add_user(session, "no spaces please", PASSWORD, "admin", None, NOW)
        user = add_user(session, "Somchai", PASSWORD, "admin", None, NOW)
        assert user.username == "somchai" and user.password_hash.startswith("scrypt:")
        with pytest.raises(StaffError, match="taken"):
            add_user(session, "somchai", PASSWORD, "viewer", None, NOW)


# --- acting from the web: the domain operations, the citizen told as on LINE --------------------------


def png(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    Image.new("RGB", (64, 48), (30, 140, 90)).save(path)
    return path


def act(
    client: FlaskClient, code: str, action: str, text: str = "", files: tuple[Path, ...] | list[Path] = ()
) -> tuple[object, str]:
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    photos = [(path.open("rb"), path.name) for path in files]
    data = {"csrf_token": token(page), "action": action, "text": text, "photos": photos}
    response = client.post(f"/admin/complaints/{code}/act", data=data, content_type="multipart/form-data")
    return response, client.get(f"/admin/complaints/{code}").get_data(as_text=True)


def complaint_row(services: Services, code: str) -> Complaint:
    with transaction(services.sessions) as session:
        row = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert row is not None
        session.expunge(row)
        return row


def pushes_to_citizen(services: Services) -> list[str]:
    with transaction(services.sessions) as session:
        return [
            m.messages
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.to == "U" + "1" * 32))
        ]


def test_an_officer_handles_a_complaint_from_the_web_and_the_citizen_is_told(
    client: FlaskClient, services: Services, world: dict[str, str], tmp_path: Path
) -> None:
    sign_in(client, "officer1030")
    code = world["ours"]
    response, page = act(client, code, "acknowledge")
    assert response.status_code == 302 and "รับเรื่องแล้ว ผู้ร้องได้รับแจ้งทาง LINE" in page
    assert complaint_row(services, code).status == "acknowledged"
    assert len(pushes_to_citizen(services)) == 1

    _, page = act(client, code, "progress", "ช่างไฟฟ้าตรวจแล้ว", [png(tmp_path, "site.png")])
    assert "บันทึกความก้าวหน้าแล้ว" in page and complaint_row(services, code).status == "in_progress"

    _, page = act(client, code, "resolve", "เปลี่ยนหลอดไฟแล้ว")  # no after photo
    assert "กรุณาแนบภาพหลังดำเนินการอย่างน้อย 1 ภาพ" in page
    assert complaint_row(services, code).status == "in_progress"
    not_image = tmp_path / "after.png"
    not_image.write_bytes(b"%PDF-1.4 not a photo")
    _, page = act(client, code, "resolve", "เปลี่ยนหลอดไฟแล้ว", [not_image])
    assert "ไฟล์ที่แนบไม่ใช่ภาพ" in page and complaint_row(services, code).status == "in_progress"

    _, page = act(client, code, "resolve", "เปลี่ยนหลอดไฟแล้ว", [png(tmp_path, "after.png")])
    assert "บันทึกผลการดำเนินการแล้ว" in page
    assert complaint_row(services, code).status == "resolved"
    told = pushes_to_citizen(services)
    assert len(told) == 3 and "เปลี่ยนหลอดไฟแล้ว" in told[-1]  # the result, as the LINE door sends it
    assert page.count('alt="ภาพหลังดำเนินการ"') == 1  # the after photo beside the before photo
    _, page = act(client, code, "acknowledge")  # a stale form
    assert "สถานะปัจจุบันของเรื่องไม่อนุญาต" in page


def test_a_viewer_may_read_but_not_act(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "viewer")
    detail = client.get(f"/admin/complaints/{world['ours']}").get_data(as_text=True)
    assert 'data-testid="actions"' not in detail
    _, page = act(client, world["ours"], "acknowledge")  # the form posted anyway
    assert "บัญชีนี้ดูข้อมูลได้อย่างเดียว" in page
    assert complaint_row(services, world["ours"]).status == "routed" and pushes_to_citizen(services) == []


def test_another_districts_officer_cannot_act(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "officer1001")
    page = client.get("/admin/complaints").get_data(as_text=True)  # a token of their own session
    response = client.post(
        f"/admin/complaints/{world['ours']}/act", data={"csrf_token": token(page), "action": "acknowledge"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/complaints"
    assert complaint_row(services, world["ours"]).status == "routed" and pushes_to_citizen(services) == []


def test_an_action_without_its_csrf_token_is_refused(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    response = client.post(f"/admin/complaints/{world['ours']}/act", data={"action": "acknowledge"})
    assert response.status_code == 400
    assert complaint_row(services, world["ours"]).status == "routed"


def post_action(client: FlaskClient, code: str, **form: str) -> str:
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    client.post(f"/admin/complaints/{code}/act", data={"csrf_token": token(page), **form})
    return client.get(f"/admin/complaints/{code}").get_data(as_text=True)


def test_transfer_to_another_district_and_back_from_the_centre(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "officer1030")
    code = world["ours"]
    page = post_action(client, code, action="transfer", to_district="", text="ไม่ใช่พื้นที่")
    assert "กรุณาเลือกเขตที่จะโอนเรื่องไป" in page and complaint_row(services, code).district_code == "1030"
    page = post_action(client, code, action="transfer", to_district="1001", text="")
    assert "กรุณากรอกเหตุผล" in page
    post_action(client, code, action="transfer", to_district="centre", text="ไม่ใช่พื้นที่ของเขต")
    moved = complaint_row(services, code)
    assert moved.district_code is None and moved.ack_due_at is None
    assert client.get(f"/admin/complaints/{code}").status_code == 404  # no longer the officer's
    (told,) = pushes_to_citizen(services)
    assert f"เรื่อง {code} ถูกโอนไปยัง" in told and "ไม่ใช่พื้นที่ของเขต" in told

    client.post("/admin/logout", data={"csrf_token": token(client.get("/admin/").get_data(as_text=True))})
    sign_in(client, "centre")
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    assert "ส่วนกลาง" in page and 'data-testid="transfer-form"' in page and "รับเรื่อง</button>" not in page
    post_action(client, code, action="transfer", to_district="1001", text="พื้นที่ของเขตพระนคร")
    routed = complaint_row(services, code)
    assert routed.district_code == "1001" and routed.status == "routed" and routed.ack_due_at is not None


def test_reject_as_a_duplicate_of_another_complaint(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    code = world["ours"]
    page = post_action(client, code, action="reject", text="ซ้ำ", duplicate_of="69-ZZZZZZ")
    assert "ไม่พบเรื่องตามรหัสที่ระบุว่าซ้ำ" in page and complaint_row(services, code).status == "routed"
    page = post_action(
        client, code, action="reject", text="ซ้ำกับเรื่องเดิม", duplicate_of=world["theirs"].lower()
    )
    assert "บันทึกว่าไม่รับเรื่องแล้ว" in page and complaint_row(services, code).status == "rejected"
    with transaction(services.sessions) as session:
        event = session.scalars(select(ComplaintEvent).where(ComplaintEvent.kind == "rejected")).one()
        assert event.data == {"duplicate_of": world["theirs"]} and event.text == "ซ้ำกับเรื่องเดิม"
    (told,) = pushes_to_citizen(services)  # the citizen is told, with the reason
    assert f"ไม่รับเรื่อง {code}" in told and "ซ้ำกับเรื่องเดิม" in told


def test_filters_by_category_dates_and_overdue_kind(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")

    def codes(**query: str) -> set[str]:
        return listed(client.get("/admin/complaints", query_string=query).get_data(as_text=True))

    everything = {world["ours"], world["theirs"]}
    assert codes(category="ไฟฟ้า") == everything and codes(category="ถนน") == set()
    assert codes(**{"from": "2026-11-23", "to": "2026-11-23"}) == everything  # filed 23 Nov, 10:00 Bangkok
    assert codes(**{"from": "2026-11-24"}) == set() and codes(to="2026-11-22") == set()
    assert codes(**{"from": "not a date"}) == set()  # refused in words (400), not ignored
    with transaction(services.sessions) as session:
        for row in session.scalars(select(Complaint)):
            row.ack_due_at = datetime(2026, 1, 5, 16, 59, 59, tzinfo=UTC)  # as if filed in January
    assert codes(overdue="ack") == everything
    with transaction(services.sessions) as session:
        ours = session.scalar(select(Complaint).where(Complaint.tracking_code == world["ours"]))
        ours.status = "acknowledged"
    assert codes(overdue="ack") == {world["theirs"]}
    assert codes(overdue="ack", district="1030") == set()


def test_exports_hold_the_filtered_rows_of_the_users_district_only(
    client: FlaskClient, world: dict[str, str]
) -> None:
    sign_in(client, "officer1030")
    csv_response = client.get("/admin/complaints/export.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    body = csv_response.get_data(as_text=True)
    assert body.startswith("\ufeffรหัสติดตาม,")  # a BOM for Excel, Thai headers
    assert world["ours"] in body and world["theirs"] not in body
    assert "2026-11-23 10:00" in body  # ISO dates (XLSX: date cells, shown in BE)
    assert "&lt;script" not in body and "<script>" in body  # data, not HTML: kept as typed

    xlsx = client.get("/admin/complaints/export.xlsx", query_string={"district": "1001"})
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert [c.value for c in sheet[1]][:2] == ["รหัสติดตาม", "วันที่รับเรื่อง"]
    assert sheet.max_row == 1  # another district asked for by URL: nothing but the header

    client.post("/admin/logout", data={"csrf_token": token(client.get("/admin/").get_data(as_text=True))})
    sign_in(client, "centre")
    xlsx = client.get("/admin/complaints/export.xlsx", query_string={"q": "ขยะ"})
    rows = list(load_workbook(io.BytesIO(xlsx.get_data())).active.values)
    assert len(rows) == 2 and rows[1][0] == world["theirs"] and rows[1][2] == "พระนคร"


def test_make_run_gives_the_sandbox_an_admin_with_a_fresh_password_each_time(
    client: FlaskClient, services: Services
) -> None:
    from bot.cli import SANDBOX_ADMIN, _sandbox_admin_password

    first = _sandbox_admin_password(services)
    second = _sandbox_admin_password(services)  # the next `make run`
    assert first != second and len(second) >= 12
    assert sign_in(client, SANDBOX_ADMIN, first) == 401
    assert sign_in(client, SANDBOX_ADMIN, second) == 302
    assert "ภาพรวม" in client.get("/admin/").get_data(as_text=True)


def test_a_failed_sign_in_with_a_stale_session_is_answered(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    """The log-in page is rendered after the sign-in's transaction: its header reads the old session's
    account in another one (on SQLite that one used to wait for the first and fail)."""
    assert sign_in(client, "head1030") == 302
    with transaction(services.sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "head1030"))
        set_password(session, user, "another long password")
    assert sign_in(client, "head1030", "not the password") == 401
    assert sign_in(client, "head1030", "another long password") == 302
