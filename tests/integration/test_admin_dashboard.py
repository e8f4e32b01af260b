"""The dashboard at a pinned moment: counts by status, due today, overdue, the districts, the weeks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.services import Services
from kpi.database_scoring import score_database
from kpi.schemes import load_kpi32
from models import Complaint
from models.clock import clock
from models.complaint_operations import Actor, acknowledge
from models.db import transaction
from models.working_days import load_calendar
from tests.admin_web import NOW, sign_in

CENTRE = Actor("admin", None, None, "centre")


def figures(page: str, attribute: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(rf'data-{attribute}="([a-z_]+)">(\d+)<', page)}


def district_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-district="(\d{4})">', page)


def kpi_cell(page: str, district: str) -> str:
    row = page.split(f'<tr data-district="{district}">', 1)[1].split("</tr>", 1)[0]
    cell = re.search(r"<td data-kpi>(.*?)</td>", row, re.S)
    assert cell is not None
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


def deadline(services: Services, code: str, column: str) -> datetime:
    with transaction(services.sessions) as session:
        value = session.scalar(select(getattr(Complaint, column)).where(Complaint.tracking_code == code))
    assert isinstance(value, datetime)
    return value


def dashboard_at(app: Flask, client: FlaskClient, moment: datetime, query: str = "") -> str:
    clock.freeze(moment)
    response = client.get(f"/admin/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_due_today_turns_into_overdue_when_the_deadline_passes(
    app: Flask, client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    due = deadline(services, world["ours"], "ack_due_at")
    before = dashboard_at(app, client, due - timedelta(hours=1))
    assert figures(before, "due")["ack"] == 2 and figures(before, "overdue")["ack"] == 0
    assert figures(before, "status")["routed"] == 2
    after = dashboard_at(app, client, due + timedelta(minutes=1))
    assert figures(after, "due")["ack"] == 0 and figures(after, "overdue")["ack"] == 2
    assert 'href="/admin/complaints?overdue=ack"' in after  # each count opens its list


def test_a_district_user_counts_only_their_district(
    app: Flask, client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "officer1030")
    due = deadline(services, world["ours"], "ack_due_at")
    page = dashboard_at(app, client, due + timedelta(minutes=1))
    assert figures(page, "overdue")["ack"] == 1 and figures(page, "status")["routed"] == 1
    assert district_rows(page) == ["1030"]


def test_first_progress_overdue_and_the_weekly_figures(
    app: Flask, client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == world["ours"]))
        assert complaint is not None
        acknowledge(session, complaint, CENTRE, NOW + timedelta(hours=1), load_calendar(session))
    sign_in(client, "centre")
    due = deadline(services, world["ours"], "first_progress_due_at")
    page = dashboard_at(app, client, due + timedelta(minutes=1))
    assert figures(page, "overdue")["first_progress"] == 1
    assert figures(page, "status")["acknowledged"] == 1
    # Both complaints were received in the week from Monday 23 November 2026 (Bangkok).
    weekly = page.split('data-testid="weekly-table"', 1)[1]
    weeks = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td></tr>", weekly)
    assert len(weeks) == 12
    received = {label: int(n) for label, n, _ in weeks}
    assert received.pop("23 พ.ย. 2569") == 2 and set(received.values()) <= {0}


def test_the_districts_table_sorts_and_shows_the_scorers_kpi(
    app: Flask, client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    sign_in(client, "centre")
    moment = NOW + timedelta(days=3)
    page = dashboard_at(app, client, moment)
    assert len(district_rows(page)) == 50  # every district, even one with no complaint
    units = score_database(services.sessions, load_kpi32(), 2570, moment, ["1030", "1001"], workers=1)
    for unit in units:
        assert Decimal(kpi_cell(page, unit.district)) == unit.total
    by_open = district_rows(dashboard_at(app, client, moment, "?sort=open&desc=1"))
    assert set(by_open[:2]) == {"1030", "1001"}
    by_name = dashboard_at(app, client, moment, "?sort=name")
    names = re.findall(r'<tr data-district="\d{4}">\s*<td><a [^>]+>([^<]+)</a>', by_name)
    assert names == sorted(names) and len(names) == 50
    assert "data-sort" in by_name and "▲" in by_name  # the active column says which way


def test_the_week_starts_on_monday_in_bangkok(app: Flask, client: FlaskClient, world: dict[str, str]) -> None:
    sign_in(client, "centre")
    for moment, newest in (
        (datetime(2026, 11, 29, 16, 59, tzinfo=UTC), "23 พ.ย. 2569"),  # 23:59 Sunday in Bangkok
        (datetime(2026, 11, 29, 17, 1, tzinfo=UTC), "30 พ.ย. 2569"),  # 00:01 Monday in Bangkok
    ):
        weekly = dashboard_at(app, client, moment).split('data-testid="weekly-table"', 1)[1]
        assert re.findall(r"<tr><td>([^<]+)</td>", weekly)[-1] == newest
