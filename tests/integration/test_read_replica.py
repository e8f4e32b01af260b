"""DATABASE_REPLICA_URL: the public pages and APIs, the open data and the KPI scores read the replica, every
write (and everything else) goes to the primary; unset, all read the primary (every backend).

The "replica" here is a second database holding other complaints (a SQLite file beside the primary's,
a PostgreSQL schema beside the primary's), so that each answer shows which one it was read from.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import sessionmaker

from bot.app import create_app
from bot.sandbox import events as ev
from bot.services import Services
from bot.settings import ConfigError, settings_from_env
from kpi.database_scoring import score_database
from kpi.schemes import load_kpi32
from models import Citizen, InboxEvent, staff
from models.categories import ensure_categories
from models.clock import Clock, clock
from models.complaint_operations import file_complaint
from models.db import make_engine, transaction
from models.districts import ensure_districts
from models.migrate import upgrade
from models.sections import ensure_sections
from models.staff import StaffUser, add_user
from tests.admin_web import PASSWORD, _hash_once, sign_in
from tests.conftest import PG_URL, _pg_url, make_settings, post_events

BANGKOK = ZoneInfo("Asia/Bangkok")
FILED = datetime(2026, 11, 23, 10, 0, tzinfo=BANGKOK)  # FY 2570
KPI_PAGE = "/admin/kpi?fy=2570&as_of=2026-12-31"


@pytest.fixture
def replica_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second migrated database of the primary's backend, with the 50 districts and nothing else."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "replica.sqlite3"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    schema = f"r_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_url(schema)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(sessionmaker(engine)) as session:
        ensure_districts(session)
        ensure_sections(session, FILED)
        ensure_categories(session, FILED)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def file_in(sessions: sessionmaker, district: str, count: int = 1) -> list[str]:  # type: ignore[type-arg]
    """`count` complaints from one citizen, filed and routed to `district`; their tracking codes."""
    with transaction(sessions) as session:
        person = Citizen(line_user_id=ev.new_user_id(), created_at=FILED, updated_at=FILED)
        session.add(person)
        session.flush()
        return [
            file_complaint(
                session, person, description="ถนนเป็นหลุม", category="ถนน", district_code=district,
                latitude=13.804, longitude=100.553, photos=[], at=FILED,
            ).tracking_code
            for _ in range(count)
        ]  # fmt: skip


def kpi_n(client: FlaskClient, district: str) -> str:
    """The KPI page's N (complaints scored) for a district, as the page shows it."""
    response = client.get(KPI_PAGE)
    assert response.status_code == 200
    row = re.search(rf'<tr data-district="{district}">(.*?)</tr>', response.get_data(as_text=True), re.S)
    assert row, f"no row for {district}"
    cell = re.search(r'<td data-col="n"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert cell
    return cell.group(1).strip()


def kpi_cell(page: str, district: str) -> str:
    """The dashboard's KPI 3.2 total for a district, as the page shows it."""
    row = page.split(f'<tr data-district="{district}">', 1)[1].split("</tr>", 1)[0]
    cell = re.search(r"<td data-kpi>(.*?)</td>", row, re.S)
    assert cell is not None
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


def signed_in_admin(services: Services, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff, "generate_password_hash", _hash_once)  # the tests' light hash (admin_web)
    with transaction(services.sessions) as session:
        add_user(session, "centre", PASSWORD, "admin", None, FILED)
    assert sign_in(client, "centre") == 302


def test_public_pages_open_data_and_kpi_read_the_replica_and_writes_go_to_the_primary(
    db_url: str, replica_url: str, tmp_path: Path, app_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_clock.freeze(datetime(2026, 12, 31, 12, 0, tzinfo=BANGKOK))
    services = Services.from_settings(make_settings(db_url, tmp_path, DATABASE_REPLICA_URL=replica_url))
    replica = services.read_sessions
    assert replica is not services.sessions
    (on_primary,) = file_in(services.sessions, "1001")
    on_replica = file_in(replica, "1030", count=2)
    app = create_app(services=services)
    app.config["TESTING"] = True
    client = app.test_client()
    try:
        # The public status page and API find what the replica holds, and only that.
        assert client.get(f"/c/{on_replica[0]}").status_code == 200
        assert client.get(f"/c/{on_primary}").status_code == 404
        assert client.get(f"/api/v1/complaints/{on_replica[1]}").json["code"] == on_replica[1]  # type: ignore[index]
        assert client.get(f"/api/v1/complaints/{on_primary}").status_code == 404
        csv_text = client.get("/open-data/complaints.csv").get_data(as_text=True)
        assert all(code in csv_text for code in on_replica) and on_primary not in csv_text

        # Signing in reads and writes the primary (the replica has no staff at all); the KPI page and the
        # dashboard's KPI column score the replica's two complaints in 1030 (none there on the primary).
        signed_in_admin(services, client, monkeypatch)
        assert kpi_n(client, "1030") == "2"
        totals = {
            name: score_database(sessions, load_kpi32(), 2570, clock.now(), ["1030"], workers=1)[0].total
            for name, sessions in (("replica", replica), ("primary", services.sessions))
        }
        assert totals["replica"] != totals["primary"]
        assert kpi_cell(client.get("/admin/").get_data(as_text=True), "1030") == str(totals["replica"])
        with transaction(services.sessions) as session:
            assert session.scalar(select(StaffUser.last_login_at)) is not None
        with transaction(replica) as session:
            assert session.scalar(select(func.count(StaffUser.id))) == 0

        # The webhook stores LINE's events in the primary.
        assert post_events(client, [ev.follow_event(ev.new_user_id())]).status_code == 200
        with transaction(services.sessions) as session:
            assert session.scalar(select(func.count(InboxEvent.id))) == 1
        with transaction(replica) as session:
            assert session.scalar(select(func.count(InboxEvent.id))) == 0
    finally:
        services.engine.dispose()
        replica.kw["bind"].dispose()


def test_without_a_replica_the_public_pages_and_kpi_read_the_primary(
    client: FlaskClient, services: Services, app_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_clock.freeze(datetime(2026, 12, 31, 12, 0, tzinfo=BANGKOK))
    assert services.settings.database_replica_url is None
    assert services.read_sessions is services.sessions
    (code,) = file_in(services.sessions, "1030")
    assert client.get(f"/c/{code}").status_code == 200
    assert client.get(f"/api/v1/complaints/{code}").json["code"] == code  # type: ignore[index]
    assert code in client.get("/open-data/complaints.csv").get_data(as_text=True)
    signed_in_admin(services, client, monkeypatch)
    assert kpi_n(client, "1030") == "1"


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "PHOTO_DIR": str(tmp_path / "p"), **values}


def test_the_replica_url_is_read_like_the_database_url(tmp_path: Path) -> None:
    pg = "postgres://u:p@primary:5432/app"
    settings = settings_from_env(env(tmp_path, DATABASE_URL=pg, DATABASE_REPLICA_URL="postgresql://u@r/app"))
    assert settings.database_replica_url == "postgresql+psycopg://u@r/app"
    assert settings_from_env(env(tmp_path, DATABASE_REPLICA_URL=" ")).database_replica_url is None


@pytest.mark.parametrize(
    ("primary", "replica", "problem"),
    [
        (None, "not a url", "not a database URL"),
        (None, "mysql://x/y", "'mysql' is not supported"),
        ("postgresql://u@primary/app", "sqlite:///copy.sqlite3", "is sqlite but DATABASE_URL is postgresql"),
        (None, "postgresql://u@replica/app", "is postgresql but DATABASE_URL is sqlite"),
    ],
)
def test_a_bad_replica_url_names_the_setting(
    tmp_path: Path, primary: str | None, replica: str, problem: str
) -> None:
    values = env(tmp_path, DATABASE_REPLICA_URL=replica)
    if primary:
        values["DATABASE_URL"] = primary
    with pytest.raises(ConfigError) as info:
        settings_from_env(values)
    assert info.value.setting == "DATABASE_REPLICA_URL"
    assert str(info.value).startswith("setting DATABASE_REPLICA_URL:") and problem in str(info.value)
