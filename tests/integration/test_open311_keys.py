"""Open311 API keys (both databases): `rongtook apikeys` and the admin's keys page issue, list, limit and
revoke them; a key is shown once and kept only as its SHA-256; its use is noted."""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot import cli
from bot.cli_apikeys import add_parser, cmd_apikeys
from bot.services import Services
from bot.settings import Settings
from models import ApiKey
from models.clock import clock
from models.db import transaction
from tests.admin_web import sign_in, token
from tests.open311_common import BASE, MONDAY, Api, make_api

PAGE = "/admin/settings/api_keys"
GOOD = {"service_code": "road", "address_id": "1030", "description": "ถนนเป็นหลุม"}


@pytest.fixture
def api(app: Flask, client: FlaskClient, services: Services) -> Api:
    return make_api(app, client, services)


def run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="rongtook")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return cmd_apikeys(settings, parser.parse_args(["apikeys", *argv]))


def key_row(services: Services, name: str) -> ApiKey:
    with transaction(services.sessions) as session:
        row = session.scalar(select(ApiKey).where(ApiKey.name == name))
        assert row is not None
        session.expunge(row)
        return row


def test_the_command_issues_lists_limits_and_revokes_keys(
    api: Api, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "add", "traffy-bridge", "--limit", "5") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "key for traffy-bridge (5 requests a minute), shown only this once:"
    secret = out[1]
    assert (
        len(secret) >= 40
        and key_row(api.services, "traffy-bridge").key_hash == hashlib.sha256(secret.encode()).hexdigest()
    )
    assert api.post(key=secret, **GOOD).status_code == 200

    assert run(settings, "list") == 0
    listed = capsys.readouterr().out
    assert secret not in listed and f"traffy-bridge  {secret[:8]}…  5/min" in listed
    assert "last used 2026-11-23 09:00  active" in listed and "2 key(s)" in listed

    assert run(settings, "limit", "traffy-bridge", "100") == 0
    assert "traffy-bridge may file 100 requests a minute" in capsys.readouterr().out
    assert key_row(api.services, "traffy-bridge").posts_per_minute == 100
    assert run(settings, "revoke", "TRAFFY-bridge") == 0  # names compare without case
    assert "revoked traffy-bridge" in capsys.readouterr().out
    assert api.post(key=secret, **GOOD).status_code == 403

    for argv, words in (
        (("add", "traffy-bridge"), "exists already"),
        (("add", "<b>x</b>"), "a key's name is"),
        (("add", "other", "--limit", "0"), "between 1 and 100000"),
        (("revoke", "nobody"), "no key named"),
        (("limit", "nobody", "5"), "no key named"),
    ):
        assert run(settings, *argv) == 1, argv
        assert words in capsys.readouterr().err, argv


def test_the_command_is_registered_with_rongtook(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PHOTO_DIR", str(tmp_path / "photos"))
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    assert cli.main(["apikeys", "add", "city-website"]) == 0
    assert cli.main(["apikeys", "list"]) == 0
    assert "city-website" in capsys.readouterr().out


def test_admins_issue_limit_and_revoke_keys_on_their_page(api: Api, world: dict[str, str]) -> None:
    web = api.client
    assert sign_in(web, "centre") == 302
    page = web.get(PAGE)
    assert page.status_code == 200
    csrf = token(page.get_data(as_text=True))
    assert 'href="/admin/settings/api_keys"' in web.get("/admin/settings/holidays").get_data(as_text=True)

    issued = web.post(
        PAGE, data={"csrf_token": csrf, "action": "add", "name": "city-website-2", "limit": "3"}
    )
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    found = re.search(r'data-testid="api-key">([^<]+)<', issued.get_data(as_text=True))
    assert found, issued.get_data(as_text=True)
    secret = found.group(1)
    row = key_row(api.services, "city-website-2")
    assert (row.posts_per_minute, row.key_hash) == (3, hashlib.sha256(secret.encode()).hexdigest())
    clock.freeze(MONDAY.replace(hour=10))
    assert api.post(key=secret, **GOOD).status_code == 200
    listing = web.get(PAGE).get_data(as_text=True)
    assert secret not in listing  # shown once
    line = re.search(r'<tr data-testid="api-key-city-website-2">(.*?)</tr>', listing, re.S)
    assert line and secret[:8] in line.group(1) and "10:00" in line.group(1)  # last used

    def change(**fields: str) -> str:
        response = web.post(PAGE, data={"csrf_token": csrf, **fields}, follow_redirects=True)
        return f"{response.status_code} {response.get_data(as_text=True)}"

    assert change(action="limit", key_id=str(row.id), limit="120").startswith("200")
    assert key_row(api.services, "city-website-2").posts_per_minute == 120
    assert change(action="limit", key_id=str(row.id), limit="0").startswith("400")
    assert change(action="add", name="city-website-2").startswith("400")  # the name is taken
    assert change(action="add", name='<script>alert("x")</script>').startswith("400")
    assert change(action="revoke", key_id="999999").startswith("400")
    assert change(action="revoke", key_id=str(row.id)).startswith("200")
    assert api.post(key=secret, **GOOD).status_code == 403
    assert change(action="revoke", key_id=str(row.id)).startswith("400")  # revoked already
    revoked = re.search(
        r'<tr data-testid="api-key-city-website-2">(.*?)</tr>', web.get(PAGE).get_data(as_text=True), re.S
    )
    assert revoked and "ยกเลิกแล้ว" in revoked.group(1) and 'value="revoke"' not in revoked.group(1)
    with transaction(api.services.sessions) as session:
        assert len(session.scalars(select(ApiKey)).all()) == 2  # the fixture's key and this one


def test_only_admins_see_the_keys_page(client: FlaskClient, world: dict[str, str]) -> None:
    assert sign_in(client, "head1030") == 302
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{BASE}/services.json").status_code == 200  # the API itself needs no sign-in
