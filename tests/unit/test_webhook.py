"""The webhook and health check answer 503, not 500, when the database cannot be reached."""

from __future__ import annotations

from bot.sandbox import events as ev
from tests.conftest import post_events


def test_health_check_is_503_when_database_is_unreachable(tmp_path):
    from bot.app import create_app
    from tests.conftest import make_settings

    settings = make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1", tmp_path)
    client = create_app(settings).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_webhook_answers_503_not_500_when_database_is_down(tmp_path):
    from bot.app import create_app
    from tests.conftest import make_settings

    settings = make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1", tmp_path)
    client = create_app(settings).test_client()
    response = post_events(client, [ev.text_event(ev.new_user_id(), "x")])
    assert response.status_code == 503
