"""A fair KPI in the middle of the year, from the database and on the staff web (issue "What people hit on
their first day", points 12 and 13), on SQLite and PostgreSQL.

District 1007 (ปทุมวัน) handled one complaint on time in November 2026 and got a second one at 14:00
on Wed 31 Mar 2027, a few hours before the as-of moment (the end of that day): pending, not failing.
The `world` of tests/admin_web.py adds 1030's and 1001's complaints of 23 Nov 2026, never acknowledged.
No district sent a monthly report.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from bot.services import Services
from kpi.database_scoring import score_database
from kpi.reports import cpl_r003, to_csv
from kpi.schemes import load_kpi32
from kpi.scoring import ACK_PENDING, NOT_RESOLVED, UnitScore
from models import Citizen, Complaint, Photo
from models.complaint_operations import Actor, acknowledge, file_complaint, report_progress, resolve
from models.db import make_engine, transaction
from models.districts import District
from models.migrate import downgrade, upgrade
from models.working_days import load_calendar
from tests.admin_web import sign_in, token
from tests.integration.test_admin_kpi import page, plain
from tests.reports_common import NOV, A, bkk, november

BANGKOK = ZoneInfo("Asia/Bangkok")
FY = 2570
MID_YEAR = datetime(2027, 3, 31, 23, 59, 59, 999999, tzinfo=BANGKOK)
AFTER = datetime(2027, 10, 31, 23, 59, 59, 999999, tzinfo=BANGKOK)
QUERY = f"fy={FY}&as_of=2027-03-31"
KPI_START = "/admin/settings/kpi_start"


@pytest.fixture
def fresh(services: Services, world: dict[str, str]) -> dict[str, str]:
    """1007's two complaints (see the module): their tracking codes, "done" and "fresh"."""
    with transaction(services.sessions) as s:
        calendar = load_calendar(s)
        citizen = s.scalars(select(Citizen)).first()
        assert citizen is not None

        def filed(at: datetime) -> str:
            c = file_complaint(
                s, citizen, description="ทางเท้าชำรุด", category="ถนน", district_code="1007",
                latitude=None, longitude=None, photos=[], at=at, calendar=calendar,
            )  # fmt: skip
            return c.tracking_code

        done = filed(bkk(2026, 11, 23, 9))
        row = s.scalar(select(Complaint).where(Complaint.tracking_code == done))
        assert row is not None
        officer = Actor("officer", None, "1007", "ทดสอบ")
        acknowledge(s, row, officer, bkk(2026, 11, 23, 10), calendar)
        report_progress(s, row, officer, bkk(2026, 11, 23, 11), "ช่างตรวจแล้ว")
        after = Photo(
            path="after.png", content_type="image/png", size_bytes=1, sha256="x", created_at=bkk(2026, 11, 23)
        )
        s.add(after)
        s.flush()
        resolve(s, row, officer, bkk(2026, 11, 24, 9), "ซ่อมเสร็จแล้ว", [after])
        return {**world, "done": done, "fresh": filed(bkk(2027, 3, 31, 14))}


def scores(services: Services, as_of: datetime = MID_YEAR, **options: object) -> dict[str, UnitScore]:
    units = score_database(services.sessions, load_kpi32(), FY, as_of, ["1007", "1030"], workers=1, **options)  # type: ignore[arg-type]
    return {u.district: u for u in units}


def set_own_start(services: Services, district: str, day: date | None) -> None:
    with transaction(services.sessions) as s:
        found = s.get(District, district)
        assert found is not None
        found.kpi_start_on = day


# --- 12: pending, from the database ---------------------------------------------------------------------


def test_the_fresh_complaint_is_pending_by_default_and_failing_literally(
    services: Services, fresh: dict[str, str]
) -> None:
    ours = scores(services)["1007"]
    assert ours.view == "pending" and ours.n == 2
    assert [(s.correct, s.of, s.pending) for s in ours.steps[:2]] == [(1, 1, 1), (1, 1, 1)]
    assert [(r.code, r.rule) for r in ours.step(1).pending_reasons] == [(fresh["fresh"], ACK_PENDING)]
    assert ours.failures == ()
    literal = scores(services, literal=True)["1007"]
    assert [(s.correct, s.of, s.pending) for s in literal.steps[:2]] == [(1, 2, 0), (1, 2, 0)]
    assert [(r.code, r.rule) for r in literal.failures] == [
        (fresh["fresh"], ACK_PENDING),
        (fresh["fresh"], NOT_RESOLVED),
    ]
    # Steps 1 and 2 at full points by default (step 3 is the same in both views); 50 % literally.
    assert ours.total - literal.total == Decimal("1.4211")  # 1 + 2 − (50/95 + 100/95), rounded
    final = scores(services, AFTER)["1007"]
    assert (final.view, final.step(1).of, final.step(1).pending) == ("final", 2, 0)
    assert fresh["fresh"] in {r.code for r in final.failures}


# --- 13: the start date, from the database ----------------------------------------------------------------


def test_a_districts_own_start_date_wins_over_the_deployments(
    services: Services, fresh: dict[str, str]
) -> None:
    def months_due(**options: object) -> dict[str, int]:
        return {code: u.step(3).of for code, u in scores(services, AFTER, **options).items()}

    assert months_due() == {"1007": 12, "1030": 12}  # unset: every month of the window, as before
    assert months_due(kpi_start_on=date(2027, 1, 10)) == {"1007": 9, "1030": 9}
    set_own_start(services, "1007", date(2027, 3, 15))
    assert months_due() == {"1007": 7, "1030": 12}
    assert months_due(kpi_start_on=date(2027, 1, 10)) == {"1007": 7, "1030": 9}
    (unit,) = score_database(services.sessions, load_kpi32(), FY, AFTER, ["1007"], workers=1)
    assert (unit.kpi_start_on, unit.step(3).deductions, unit.step(3).points) == (
        date(2027, 3, 15),
        Decimal("0.7"),
        Decimal("1.3000"),
    )


def test_processes_sharing_a_snapshot_score_both_options_alike(pg_url: str, tmp_path: Path) -> None:
    from tests.conftest import make_settings

    services = Services.from_settings(make_settings(pg_url, tmp_path))
    try:
        with transaction(services.sessions) as s:
            citizen = Citizen(line_user_id="U" + "7" * 32, created_at=MID_YEAR, updated_at=MID_YEAR)
            s.add(citizen)
            s.flush()
            for district in ("1007", "1030"):
                file_complaint(
                    s, citizen, description="ไฟดับ", category="ไฟฟ้า", district_code=district, latitude=None,
                    longitude=None, photos=[], at=bkk(2027, 3, 31, 14), calendar=load_calendar(s),
                )  # fmt: skip
        set_own_start(services, "1007", date(2027, 3, 15))
        seen = []
        for options in ({}, {"literal": True, "kpi_start_on": date(2027, 1, 10)}):
            one, two = (
                score_database(
                    services.sessions,
                    load_kpi32(),
                    FY,
                    MID_YEAR,
                    ["1007", "1030"],
                    workers=n,
                    **options,  # type: ignore[arg-type]
                )
                for n in (1, 2)
            )
            assert [(u.view, u.total, u.steps, u.kpi_start_on) for u in one] == [
                (u.view, u.total, u.steps, u.kpi_start_on) for u in two
            ]
            seen.append([(u.view, u.step(1).pending, u.kpi_start_on) for u in two])
        assert seen == [
            [("pending", 1, date(2027, 3, 15)), ("pending", 1, None)],
            [("literal", 0, date(2027, 3, 15)), ("literal", 0, date(2027, 1, 10))],
        ]
    finally:
        services.engine.dispose()


# --- the migration --------------------------------------------------------------------------------------


def test_migration_0010_adds_and_drops_the_nullable_start_date(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        upgrade(engine, "0009")
        assert "kpi_start_on" not in {c["name"] for c in inspect(engine).get_columns("districts")}
        upgrade(engine)
        (column,) = [c for c in inspect(engine).get_columns("districts") if c["name"] == "kpi_start_on"]
        assert column["nullable"] is True
        downgrade(engine, "0009")
        assert "kpi_start_on" not in {c["name"] for c in inspect(engine).get_columns("districts")}
    finally:
        engine.dispose()


# --- the KPI pages ----------------------------------------------------------------------------------------


def cells(html: str, row: str) -> dict[str, str]:
    """The cells (data-col → words) of the table row `<tr {row}>`, e.g. row = 'data-district="1007"'."""
    found = re.search(rf"<tr {re.escape(row)}>(.*?)</tr>", html, re.S)
    assert found, row
    found_cells = re.findall(r'<td data-col="(\w+)"[^>]*>(.*?)</td>', found.group(1), re.S)
    return {col: plain(cell) for col, cell in found_cells}


def by_testid(html: str, name: str) -> str:
    found = re.search(rf'<(\w+) [^>]*data-testid="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, name
    return plain(found.group(2))


def test_the_kpi_page_shows_the_pending_and_switches_to_the_literal_view(
    client: FlaskClient, services: Services, fresh: dict[str, str]
) -> None:
    sign_in(client, "viewer")
    html = page(client, f"/admin/kpi?{QUERY}")
    row = cells(html, 'data-district="1007"')
    assert (row["step1_correct"], row["step1_pending"], row["step2_correct"], row["step2_pending"]) == (
        "1/1", "1", "1/1", "1",
    )  # fmt: skip
    assert row["step1_points"] == "1.0000" and row["step2_points"] == "2.0000"
    assert by_testid(html, "pending").startswith("รอผล (ไม่นับใน N): ขั้นที่ 1 1 เรื่อง · ขั้นที่ 2 1 เรื่อง")
    switch = re.search(r'<p data-testid="view-switch" data-view="pending">(.*?)</p>', html, re.S)
    assert switch and 'data-view="pending" aria-current="true"' in switch.group(1)
    literal_url = re.search(r'<a href="([^"]+)" data-view="literal">', switch.group(1)).group(1)  # type: ignore[union-attr]
    assert "view=literal" in literal_url and "as_of=2027-03-31" in literal_url

    literal = page(client, literal_url.replace("&amp;", "&"))
    row = cells(literal, 'data-district="1007"')
    assert (row["step1_correct"], row["step1_pending"], row["step1_percent"]) == ("1/2", "0", "50.00")
    assert 'data-testid="pending"' not in literal
    assert 'data-view="literal" aria-current="true"' in literal
    assert 'name="view" value="literal"' in literal  # the period form keeps the view
    assert "view=literal" in re.search(r'href="(/admin/kpi/1007[^"]*)"', literal).group(1)  # type: ignore[union-attr]
    english = page(client, f"/admin/kpi?{QUERY}&lang=en")
    assert "Pending (not in N): step 1 1 · step 2 1" in plain(english)


def test_the_district_page_lists_the_pending_complaint_in_both_views(
    client: FlaskClient, fresh: dict[str, str]
) -> None:
    sign_in(client, "centre")
    html = page(client, f"/admin/kpi/1007?{QUERY}")
    listed = by_testid(html, "pending-list")
    assert fresh["fresh"] in listed and "ยังไม่ได้ตอบรับเรื่อง (ครบกำหนด 1 เม.ย. 2570)" in listed
    assert 'data-testid="no-failures"' in html
    steps = re.search(r'<table data-testid="steps">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
    step1 = re.search(r'<tr data-step="1">(.*?)</tr>', steps, re.S).group(1)  # type: ignore[union-attr]
    assert '<td data-col="pending">1</td>' in step1 and "1/1" in step1

    literal = page(client, f"/admin/kpi/1007?{QUERY}&view=literal")
    failures = by_testid(literal, "failures")
    assert fresh["fresh"] in failures and "ยังไม่ได้ตอบรับเรื่อง (ครบกำหนด 1 เม.ย. 2570)" in failures
    assert 'data-testid="pending-list"' not in literal

    closed = page(client, f"/admin/kpi/1007?fy={FY}&as_of=2027-10-31")
    assert "ช่วงที่วัดสิ้นสุดแล้ว" in plain(closed) and fresh["fresh"] in by_testid(closed, "failures")


def test_step_3_follows_the_start_dates_on_the_kpi_pages(
    client: FlaskClient, services: Services, fresh: dict[str, str]
) -> None:
    sign_in(client, "centre")
    url = f"/admin/kpi?fy={FY}&as_of=2027-10-31"
    assert cells(page(client, url), 'data-district="1007"')["step3_months"] == "0/12"
    services.settings = replace(services.settings, kpi_start_date=date(2027, 1, 10))
    set_own_start(services, "1007", date(2027, 3, 15))
    html = page(client, url)
    assert (
        cells(html, 'data-district="1007"')["step3_months"] == "0/7"
        and cells(html, 'data-district="1030"')["step3_months"] == "0/9"
    )
    district = page(client, f"/admin/kpi/1007?fy={FY}&as_of=2027-10-31")
    assert "เริ่มใช้ระบบ 15 มี.ค. 2570" in by_testid(district, "start-date")


# --- the settings page: each district's own start date -----------------------------------------------------


def own_start(services: Services, district: str) -> date | None:
    with transaction(services.sessions) as s:
        found = s.get(District, district)
        assert found is not None
        return found.kpi_start_on


def test_an_admin_sets_and_clears_a_districts_start_date(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    html = page(client, KPI_START)
    assert 'href="/admin/settings/kpi_start"' in page(
        client, "/admin/settings/holidays"
    )  # in the settings menu
    assert by_testid(html, "kpi-start-default") == "ไม่ได้ตั้ง (นับทุกเดือน)"
    assert cells(html, 'data-testid="kpi-start-1007"') == {"own": "–", "used": "ไม่ได้ตั้ง (นับทุกเดือน)"}
    csrf = token(html)

    saved = client.post(
        KPI_START, data={"csrf_token": csrf, "action": "set", "district": "1007", "day": "2027-03-15"}
    )
    assert saved.status_code == 303
    html = page(client, KPI_START)
    assert "ตั้งวันเริ่มใช้ระบบของเขต ปทุมวัน เป็น 15 มี.ค. 2570 แล้ว" in html
    assert cells(html, 'data-testid="kpi-start-1007"') == {"own": "15 มี.ค. 2570", "used": "15 มี.ค. 2570"}
    assert own_start(services, "1007") == date(2027, 3, 15)

    services.settings = replace(services.settings, kpi_start_date=date(2027, 1, 10))
    html = page(client, KPI_START)
    assert by_testid(html, "kpi-start-default") == "10 ม.ค. 2570"
    assert cells(html, 'data-testid="kpi-start-1030"') == {"own": "–", "used": "10 ม.ค. 2570"}
    assert cells(html, 'data-testid="kpi-start-1007"')["used"] == "15 มี.ค. 2570"  # its own wins

    cleared = client.post(KPI_START, data={"csrf_token": csrf, "action": "clear", "district": "1007"})
    assert cleared.status_code == 303 and own_start(services, "1007") is None
    assert cells(page(client, KPI_START), 'data-testid="kpi-start-1007"') == {
        "own": "–",
        "used": "10 ม.ค. 2570",
    }
    assert "Deployment setting (KPI_START_DATE)" in page(client, f"{KPI_START}?lang=en")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "set", "district": "1007", "day": "next week"}, ""),
        ({"action": "set", "district": "9999", "day": "2027-03-15"}, "ไม่พบเขตนี้"),
        ({"action": "set", "district": "", "day": "2027-03-15"}, "กรุณาเลือกเขต"),
        ({"action": "clear", "district": "1007"}, "ไม่ได้ตั้งวันของเขตเอง"),
        ({"action": "drop", "district": "1007"}, "ไม่รู้จักคำสั่งนี้"),
    ],
)
def test_a_bad_start_date_change_is_said_and_changes_nothing(
    client: FlaskClient, services: Services, world: dict[str, str], fields: dict[str, str], message: str
) -> None:
    sign_in(client, "centre")
    csrf = token(page(client, KPI_START))
    response = client.post(KPI_START, data={"csrf_token": csrf, **fields})
    assert response.status_code == 400
    said = by_testid(response.get_data(as_text=True), "error")
    assert said and message in said
    assert own_start(services, "1007") is None


@pytest.mark.parametrize(("username", "status"), [("centre", 200), ("head1030", 403), ("viewer", 403)])
def test_only_admins_set_start_dates(
    client: FlaskClient, services: Services, world: dict[str, str], username: str, status: int
) -> None:
    sign_in(client, username)
    assert client.get(KPI_START).status_code == status
    csrf = token(page(client, "/admin/complaints"))
    fields = {"csrf_token": csrf, "action": "set", "district": "1030", "day": "2027-03-15"}
    assert client.post(KPI_START, data=fields).status_code == (303 if status == 200 else status)
    assert (own_start(services, "1030") is not None) is (status == 200)


# --- CPL_R003: checkpoints that have not come yet ---------------------------------------------------------


def checkpoints_row(services: Services, as_of: datetime) -> tuple[object, ...]:
    with transaction(services.sessions) as s:
        report = cpl_r003(s, A, NOV, as_of)
    keys = [getattr(line, "key", "") for line in report.items]
    return report.rows[keys.index("checkpoints_met")]


def test_the_monthly_report_says_not_yet_due_for_checkpoints_still_to_come(services: Services) -> None:
    november(services)
    # 10 Nov: neither the 15th nor the 30th has come.
    assert checkpoints_row(services, bkk(2026, 11, 10, 12)) == (
        "รายงานความคืบหน้าทันรอบวันที่ 15 และ 30", "ยังไม่ถึงกำหนด", None, None,
    )  # fmt: skip
    # The 15th itself, at noon: its day is not over.
    assert checkpoints_row(services, bkk(2026, 11, 15, 12))[1] == "ยังไม่ถึงกำหนด"
    # 20 Nov: the 15th has come (A missed it, E and J met it); the 30th is still to come.
    assert checkpoints_row(services, bkk(2026, 11, 20, 12)) == (
        "รายงานความคืบหน้าทันรอบวันที่ 15 (รอบวันที่ 30: ยังไม่ถึงกำหนด)", 2, 3, Decimal("66.67"),
    )  # fmt: skip
    # After the month: both, as before.
    assert checkpoints_row(services, bkk(2026, 12, 8, 9))[1:] == (4, 7, Decimal("57.14"))
    with transaction(services.sessions) as s:
        text = to_csv(cpl_r003(s, A, NOV, bkk(2026, 11, 10, 12))).decode("utf-8-sig")
    assert "รายงานความคืบหน้าทันรอบวันที่ 15 และ 30,ยังไม่ถึงกำหนด,," in text
