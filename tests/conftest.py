"""Fixtures: a migrated database per test on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL.

Database tests take the `db_url` fixture (directly or through `services`/`app`/`client`);
they run once per backend, with ids `[sqlite]` and `[postgresql]`.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from bot.app import create_app
from bot.sandbox.events import sign_body, webhook_body
from bot.services import Services
from bot.settings import Settings, settings_from_env
from models import Base
from models.categories import ensure_categories
from models.clock import Clock, clock
from models.db import make_engine, transaction
from models.districts import ensure_districts
from models.migrate import upgrade
from models.sections import ensure_sections
from tests.line_stub import LineStub

pytest_plugins = ["tests.sandbox_page", "tests.prism", "tests.admin_web"]

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
BANGKOK = ZoneInfo("Asia/Bangkok")
SHARED_GEOJSON = Path(__file__).resolve().parents[2] / "shared" / "data" / "bangkok_districts.geojson"


def pytest_report_header(config: pytest.Config) -> str:
    """The date every process of this run sees (faketime moves it in the shifted-clock runs)."""
    return f"app clock: {clock.now().astimezone(BANGKOK):%Y-%m-%d %H:%M} Asia/Bangkok"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("real_clock")
        if marker is not None and not (marker.args and str(marker.args[0]).strip()):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.real_clock needs its reason")
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and callspec.params.get("db_url") == "postgresql"
        if on_postgresql or names & {"pg_url", "pg_services"}:
            item.add_marker(pytest.mark.postgresql)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say what a marker expression left out, and why (the shifted-clock runs deselect two kinds)."""
    left_out = terminalreporter.stats.get("deselected", [])
    if not left_out or not config.getoption("markexpr"):
        return
    reasons: dict[str, int] = {}
    for item in left_out:
        marker = item.get_closest_marker("real_clock")
        key = (
            f"real_clock ({marker.args[0]})"
            if marker
            else (
                "postgresql (the shifted runs use SQLite)"
                if item.get_closest_marker("postgresql")
                else "other"
            )
        )
        reasons[key] = reasons.get(key, 0) + 1
    terminalreporter.write_line(f"deselected {len(left_out)} tests (-m {config.getoption('markexpr')!r}):")
    for key, count in sorted(reasons.items()):
        terminalreporter.write_line(f"  {count:4d}  {key}")


@pytest.fixture(autouse=True)
def _clock_back_after_each_test() -> Iterator[None]:
    """A test that sets the app's clock leaves the next one the real clock (or faketime's)."""
    yield
    clock.reset()


@pytest.fixture
def app_clock() -> Clock:
    """The app's one clock (models/clock.py), for the test to freeze, start at a moment, or advance."""
    return clock


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(sessionmaker(engine)) as session:
        ensure_districts(session)
        ensure_sections(session, clock.now())
        ensure_categories(session, clock.now())
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    """A fresh schema for this test run, migrated once, dropped at the end."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, pool_pre_ping=True)  # survives tests that drop connections
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # configured but unreachable: that is a failure, never a skip
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}", returncode=3)
    url = _pg_url(schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _pg_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    url = (
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        if PG_URL.startswith("postgresql://")
        else PG_URL
    )
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    return _emptied(request.getfixturevalue("_pg_schema"))


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """An emptied PostgreSQL schema, for what only PostgreSQL has (exported snapshots, say)."""
    if not PG_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    return _emptied(request.getfixturevalue("_pg_schema"))


def _emptied(url: str) -> str:
    engine = make_engine(url)
    with engine.begin() as conn:  # empty every table, then the 50 districts again
        names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    with transaction(sessionmaker(engine)) as session:
        ensure_districts(session)
        ensure_sections(session, clock.now())
        ensure_categories(session, clock.now())
    engine.dispose()
    return url


def make_settings(db_url: str, tmp_path: Path, **env: str) -> Settings:
    values = {
        "DATABASE_URL": db_url,
        "PHOTO_DIR": str(tmp_path / "photos"),
        "INBOX_LEASE_SECONDS": "60",
        # No model file unless a test trains one: the keyword order, whatever `make run` left in instance/.
        "CATEGORY_MODEL_PATH": str(tmp_path / "category_model.pkl"),
    }
    values.update(env)
    return settings_from_env(values)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services.from_settings(settings)
    yield services
    services.engine.dispose()


@pytest.fixture
def app(services: Services) -> Flask:
    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def post_events(client: FlaskClient, events: list[dict[str, Any]], secret: str | None = None) -> Any:
    """POST a correctly signed webhook body, as LINE does."""
    body = webhook_body(events)
    secret = secret or client.application.extensions["rongtook"].settings.line_channel_secret
    return client.post(
        "/callback",
        data=body.encode("utf-8"),
        headers={"X-Line-Signature": sign_body(secret, body), "Content-Type": "application/json"},
    )


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app served over loopback (the worker's gateway talks to its fake LINE API over HTTP)."""
    server = LiveServer(app)
    yield server
    server.stop()


def require_or_skip(reason: str) -> None:
    """A missing tool (Chromium, Prism) skips a test on a developer's machine but fails it in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def stub() -> Iterator[LineStub]:
    """A scripted stand-in for LINE's Messaging API (tests/line_stub.py)."""
    line = LineStub()
    yield line
    line.stop()


@pytest.fixture
def chat(client: FlaskClient, services: Services, stub: LineStub) -> Any:
    """A citizen talking to the bot through the webhook and the worker (tests/citizen_chat.py)."""
    from tests.citizen_chat import Chat

    return Chat(client, services, stub)
