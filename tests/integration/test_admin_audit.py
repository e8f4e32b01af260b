"""The audit page of the admin web: the month's 10 % draw, once, and the auditor's findings.

October 2026 as in tests/integration/test_admin_reports.py: Chatuchak (1030) resolved two complaints (one is
drawn), Phra Nakhon (1001) one (drawn). Only the centre draws and marks; what is stored is read
back through kpi.audit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.services import Services
from kpi.audit import draw_month, drawn_items, month_audit
from models import AuditDraw
from models.db import transaction
from models.staff import add_user
from tests.admin_web import sign_in, token, world  # noqa: F401 - world is a fixture
from tests.integration.test_admin_reports import (
    AFTER_TENTH,
    BEFORE_TENTH,
    Tables,
    body_rows,
    flashes,
    october,
    pinning,
)

OCT = date(2026, 10, 1)
AUDIT = "/admin/audit?month=2569-10"
pytestmark = pytest.mark.usefixtures("world")  # the five accounts of tests/admin_web.py


@pytest.fixture
def pin() -> Callable[[datetime], None]:
    return pinning()


def findings(services: Services) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Drawn code → (finding, note, marked by), as kpi.audit reads them."""
    with transaction(services.sessions) as s:
        return {code: (i.finding, i.note, i.marked_by) for _, code, i in drawn_items(s, OCT)}


def draws(services: Services) -> list[tuple[str, str, int, int, int]]:
    with transaction(services.sessions) as s:
        return [
            (d.district_code, d.month, d.seed, d.drawn_count, d.population_count)
            for d in s.scalars(select(AuditDraw).order_by(AuditDraw.district_code))
        ]


def drawn_by_district(services: Services) -> dict[str, str]:
    with transaction(services.sessions) as s:
        return {district: code for district, code, _ in drawn_items(s, OCT)}


def csrf(client: FlaskClient) -> str:
    return token(client.get("/admin/audit").get_data(as_text=True))


def draw_by_domain(services: Services) -> None:
    with transaction(services.sessions) as s:
        draw_month(s, OCT, AFTER_TENTH)


# ---- who may do what -------------------------------------------------------------------------------------

MATRIX = [
    ("centre", {"view": 200, "draw": 302, "mark": 302}),
    ("viewer", {"view": 200, "draw": 403, "mark": 403}),
    ("head1030", {"view": 200, "draw": 403, "mark": 403}),
    ("officer1030", {"view": 200, "draw": 403, "mark": 403}),
    ("officer1001", {"view": 200, "draw": 403, "mark": 403}),
    (None, {"view": 302, "draw": 302, "mark": 302}),  # signed out: to the log-in page
]


@pytest.mark.parametrize(("username", "expected"), MATRIX, ids=[str(u) for u, _ in MATRIX])
def test_who_may_view_draw_and_mark(
    client: FlaskClient, services: Services, pin: Any, username: str | None, expected: dict[str, int]
) -> None:
    october(services)
    if username:
        assert sign_in(client, username) == 302
    form = token(client.get("/admin/audit" if username else "/admin/login").get_data(as_text=True))
    got = {"view": client.get(AUDIT).status_code}
    got["draw"] = client.post("/admin/audit/draw", data={"csrf_token": form, "month": "2569-10"}).status_code
    assert (draws(services) != []) is (username == "centre")  # only the centre's draw was made
    if not draws(services):
        draw_by_domain(services)
    code = drawn_by_district(services)["1030"]
    got["mark"] = client.post(
        "/admin/audit/mark",
        data={"csrf_token": form, "code": code, "month": "2569-10", "finding": "consistent", "note": "ok"},
    ).status_code
    assert got == expected
    marked = {c: f for c, (f, _, _) in findings(services).items() if f}
    assert marked == ({code: "consistent"} if username == "centre" else {})


# ---- drawing -------------------------------------------------------------------------------------------


def test_the_centre_draws_once_and_the_drawn_complaints_are_listed(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    codes = october(services)
    sign_in(client, "centre")
    page = client.get(AUDIT).get_data(as_text=True)
    assert 'data-testid="not-drawn"' in page and 'data-testid="draw-form"' in page
    done = client.post(
        "/admin/audit/draw", data={"csrf_token": token(page), "month": "2569-10"}, follow_redirects=True
    )
    page = done.get_data(as_text=True)
    assert flashes(page) == ["สุ่มเรื่องของเดือนตุลาคม 2569 แล้ว: 2 เรื่อง จาก 2 เขต"]
    stored = draws(services)
    assert [(d, m, drawn, population) for d, m, _, drawn, population in stored] == [
        ("1001", "2026-10", 1, 1),
        ("1030", "2026-10", 1, 2),
    ]
    drawn = drawn_by_district(services)
    assert drawn["1001"] == codes["theirs_fixed"]
    assert drawn["1030"] in (codes["fixed1"], codes["fixed2"])
    for code in drawn.values():
        assert f'<a href="/admin/complaints/{code}">{code}</a>' in page
    items = {cells[0]: cells for _, cells in body_rows(page, "items")}
    assert items[codes["theirs_fixed"]][1:4] == ["1001 พระนคร", "9 ต.ค. 2569", "ยังไม่ได้ตรวจ"]
    per_district = {a["data-district"]: cells for a, cells in body_rows(page, "draws")}
    assert per_district["1030"][1:7] == [
        "2",
        "1",
        "0",
        "0",
        "0.00",
        "หัก 0.05 คะแนน",
    ]  # unmarked: not consistent
    assert 'data-testid="draw-form"' not in page and len(Tables(page).tables["items"]) == 3

    # A second draw, even with another seed and a week later, is refused: the first stands.
    pin(AFTER_TENTH)
    again = client.post(
        "/admin/audit/draw",
        data={"csrf_token": token(page), "month": "2569-10", "seed": "7"},
        follow_redirects=True,
    )
    assert flashes(again.get_data(as_text=True)) == [
        "เดือนตุลาคม 2569สุ่มไปแล้วเมื่อ 5 พ.ย. 2569 10:00 เดือนที่สุ่มแล้วจะไม่สุ่มซ้ำ"
    ]
    assert draws(services) == stored and drawn_by_district(services) == drawn


def test_a_month_not_ended_is_not_drawn_and_an_empty_month_draws_nothing(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    october(services)
    sign_in(client, "centre")
    early = client.post(
        "/admin/audit/draw", data={"csrf_token": csrf(client), "month": "2569-11"}, follow_redirects=True
    )
    assert flashes(early.get_data(as_text=True)) == ["เดือนพฤศจิกายน 2569ยังไม่สิ้นสุด สุ่มได้หลังสิ้นเดือน (ยังไม่ได้สุ่ม)"]
    empty = client.post(
        "/admin/audit/draw", data={"csrf_token": csrf(client), "month": "2569-08"}, follow_redirects=True
    )
    assert flashes(empty.get_data(as_text=True)) == ["เดือนสิงหาคม 2569ไม่มีเรื่องที่ดำเนินการแล้วเสร็จ ไม่มีเรื่องให้สุ่ม"]
    assert draws(services) == []


def test_an_announced_seed_is_used(client: FlaskClient, services: Services, pin: Any) -> None:
    october(services)
    sign_in(client, "centre")
    client.post(
        "/admin/audit/draw", data={"csrf_token": csrf(client), "month": "2026-10", "seed": "20261101"}
    )
    assert {seed for _, _, seed, _, _ in draws(services)} == {20261101}


# ---- marking --------------------------------------------------------------------------------------------


def test_the_centre_marks_a_drawn_complaint_and_may_correct_it(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    october(services)
    draw_by_domain(services)
    code = drawn_by_district(services)["1030"]
    sign_in(client, "centre")
    note = 'ไม่มีภาพหลังดำเนินการ <b>"ตรวจซ้ำ"</b>'
    done = client.post(
        "/admin/audit/mark",
        data={
            "csrf_token": csrf(client),
            "code": code,
            "month": "2569-10",
            "finding": "inconsistent",
            "note": note,
        },
        follow_redirects=True,
    )
    page = done.get_data(as_text=True)
    assert flashes(page) == [f"บันทึกผลตรวจเรื่อง {code} แล้ว: ไม่สอดคล้องกับหลักฐาน"]
    assert findings(services)[code] == ("inconsistent", note, "centre")
    with transaction(services.sessions) as s:
        audit = {r.district: (r.marked, r.consistent, r.costs()) for r in month_audit(s, OCT)}
    assert audit["1030"] == (1, 0, True)
    row = next(cells for attrs, cells in body_rows(page, "items") if attrs["data-code"] == code)
    assert row[3:6] == ["ไม่สอดคล้องกับหลักฐาน", note, "centre · 5 พ.ย. 2569 10:00"]
    assert "<b>" not in page.split('data-testid="items"')[1].split("</table>")[0]  # the note is text
    # Corrected: consistent now, so the month no longer costs the deduction.
    page = client.post(
        "/admin/audit/mark",
        data={"csrf_token": csrf(client), "code": code.lower(), "month": "2026-10", "finding": "consistent"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert findings(services)[code] == ("consistent", None, "centre")
    per_district = {a["data-district"]: (a["data-costs"], cells[5]) for a, cells in body_rows(page, "draws")}
    assert per_district["1030"] == ("no", "100.00")


def test_a_code_not_drawn_or_unknown_is_refused_and_nothing_is_written(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    codes = october(services)
    draw_by_domain(services)
    drawn = drawn_by_district(services)["1030"]
    not_drawn = codes["fixed2"] if drawn == codes["fixed1"] else codes["fixed1"]
    sign_in(client, "centre")
    for code in (not_drawn, codes["waiting"], "69-ZZZZZZ", "nonsense"):
        page = client.post(
            "/admin/audit/mark",
            data={"csrf_token": csrf(client), "code": code, "month": "2569-10", "finding": "consistent"},
            follow_redirects=True,
        ).get_data(as_text=True)
        assert flashes(page) == [f"เรื่อง {code} ไม่ได้ถูกสุ่มตรวจในเดือนตุลาคม 2569 ไม่ได้บันทึก"]
    # Drawn, but in October: not in September's draw.
    page = client.post(
        "/admin/audit/mark",
        data={"csrf_token": csrf(client), "code": drawn, "month": "2569-09", "finding": "consistent"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "ไม่ได้ถูกสุ่มตรวจในเดือนกันยายน 2569" in page
    assert all(f == (None, None, None) for f in findings(services).values())


# ---- reading: who sees which district ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "districts"),
    [
        ("viewer", {"1001", "1030"}),
        ("head1030", {"1030"}),
        ("officer1030", {"1030"}),
        ("officer1001", {"1001"}),
    ],
)
def test_others_read_only_what_they_may_see(
    client: FlaskClient, services: Services, pin: Any, username: str, districts: set[str]
) -> None:
    october(services)
    draw_by_domain(services)
    drawn = drawn_by_district(services)
    sign_in(client, username)
    page = client.get(AUDIT).get_data(as_text=True)
    assert {a["data-district"] for a, _ in body_rows(page, "draws")} == districts
    assert {a["data-code"] for a, _ in body_rows(page, "items")} == {drawn[d] for d in districts}
    assert 'data-testid="mark-form"' not in page and 'data-testid="draw-form"' not in page
    for district in {"1001", "1030"} - districts:
        assert drawn[district] not in page


def test_a_district_user_is_told_when_it_had_nothing_drawn(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    october(services)
    draw_by_domain(services)
    with transaction(services.sessions) as s:
        add_user(s, "officer1002", "correct horse battery", "officer", "1002", BEFORE_TENTH)
    sign_in(client, "officer1002")
    page = client.get(AUDIT).get_data(as_text=True)
    assert 'data-testid="nothing-here"' in page and 'data-testid="draws"' not in page


def test_the_head_cannot_mark_even_a_drawn_complaint_of_their_own(
    client: FlaskClient, services: Services, pin: Any
) -> None:
    october(services)
    draw_by_domain(services)
    code = drawn_by_district(services)["1030"]
    sign_in(client, "head1030")
    got = client.post(
        "/admin/audit/mark",
        data={"csrf_token": csrf(client), "code": code, "month": "2569-10", "finding": "consistent"},
    )
    assert got.status_code == 403 and "ไม่มีสิทธิ์" in got.get_data(as_text=True)
    assert findings(services)[code] == (None, None, None)


# ---- bad input ------------------------------------------------------------------------------------------

BAD = [
    ("GET", "/admin/audit?month=abc", {}, "เดือนไม่ถูกต้อง"),
    ("GET", "/admin/audit?month=2569-13", {}, "เดือนไม่ถูกต้อง"),
    ("GET", "/admin/audit?as_of=tomorrow", {}, "as_of"),
    ("POST", "/admin/audit/draw", {"month": "abc"}, "เดือนไม่ถูกต้อง"),
    ("POST", "/admin/audit/draw", {"month": ""}, "เดือนไม่ถูกต้อง"),
    ("POST", "/admin/audit/draw", {"month": "2569-10", "seed": "-1"}, "(seed)"),
    ("POST", "/admin/audit/draw", {"month": "2569-10", "seed": "9" * 19}, "(seed)"),
    ("POST", "/admin/audit/mark", {"month": "2569-13", "code": "X", "finding": "consistent"}, "เดือนไม่ถูกต้อง"),
    ("POST", "/admin/audit/mark", {"month": "2569-10", "code": "", "finding": "consistent"}, "รหัสติดตาม"),
    ("POST", "/admin/audit/mark", {"month": "2569-10", "code": "X", "finding": "maybe"}, "ผลการตรวจ"),
    ("POST", "/admin/audit/mark",
     {"month": "2569-10", "code": "X", "finding": "consistent", "note": "n" * 2001}, "2,000"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "url", "form", "words"), BAD, ids=[f"{m} {u} {f}"[:60] for m, u, f, _ in BAD]
)
def test_bad_input_is_answered_in_words_with_400_and_changes_nothing(
    client: FlaskClient, services: Services, pin: Any, method: str, url: str, form: dict[str, str], words: str
) -> None:
    october(services)
    sign_in(client, "centre")
    got = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": csrf(client), **form})
    assert got.status_code == 400
    assert words in got.get_data(as_text=True)
    assert draws(services) == []


def test_the_audit_page_in_english(client: FlaskClient, services: Services, pin: Any) -> None:
    october(services)
    draw_by_domain(services)
    sign_in(client, "viewer")
    page = client.get(AUDIT + "&lang=en").get_data(as_text=True)
    assert "Audit of resolved complaints" in page and "Drawn complaints" in page and "not checked yet" in page
