"""The service survives PostgreSQL dropping every connection (what a database restart does to clients)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bot.app import create_app
from bot.line_gateway import LineGateway
from bot.sandbox import events as ev
from bot.services import Services
from bot.worker import Worker
from models import Dialog, InboxEvent
from models.db import transaction
from tests.conftest import PG_URL, _emptied, make_settings, post_events, require_or_skip
from tests.line_stub import LineStub

APP_NAME = f"rongtook-restart-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pg_services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    if not PG_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    # Its own application name: the "restart" drops this app's connections only, not those of the
    # other test workers running beside it.
    # An emptied schema: rows an earlier test left unhandled would be answered here too.
    url = f"{_emptied(request.getfixturevalue('_pg_schema'))}&application_name={APP_NAME}"
    services = Services.from_settings(make_settings(url, tmp_path))
    yield services
    services.engine.dispose()


def drop_all_connections() -> int:
    """Terminate every connection of the app under test, as a server restart would."""
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' AND application_name = :name"
            ),
            {"name": APP_NAME},
        ).scalar_one()
    admin.dispose()
    return int(killed)


def test_webhook_and_worker_carry_on_after_the_database_drops_connections(pg_services: Services) -> None:
    client = create_app(services=pg_services).test_client()
    stub = LineStub()
    try:
        worker = Worker(pg_services, LineGateway("token", stub.url))
        user = ev.new_user_id()
        assert post_events(client, [ev.text_event(user, "ก่อน")]).status_code == 200
        worker.drain()
        assert drop_all_connections() >= 1
        # Neither the webhook's kept connection nor the worker's pooled ones are usable now.
        assert post_events(client, [ev.text_event(user, "หลัง")]).status_code == 200
        worker.drain()
        with transaction(pg_services.sessions) as session:
            statuses = list(session.scalars(select(InboxEvent.status).order_by(InboxEvent.id)))
            draft = session.scalar(select(Dialog.data).where(Dialog.line_user_id == user))
        assert statuses[-2:] == ["done", "done"]
        assert draft["description"] == "ก่อน\nหลัง"  # both texts reached the citizen's draft, in order
        assert len(stub.calls("/message/reply")) == 2  # and both were answered
    finally:
        stub.stop()
