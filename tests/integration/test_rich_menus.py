"""The rich menus at LINE (the sandbox's fake LINE stands in): release uploads once, skips an unchanged
menu, replaces a changed one; LINE refusing fails that menu only; follow, link and switch-off give the
right menu."""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.cli import cmd_release
from bot.rich_menus import release_gateway, settle_links
from bot.sandbox import events as ev
from bot.setup import release
from models import Officer, RichMenu, RichMenuLink, SandboxRichMenu, SandboxRichMenuLink, SandboxUser
from models.db import transaction
from models.officer_links import add_officer, new_link_code, set_active
from models.rich_menus import menu_for_officer
from tests.citizen_chat import Chat
from tests.conftest import make_settings
from texts import th

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def uploaded(services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return {
            role: menu_id for role, menu_id in session.execute(select(RichMenu.role, RichMenu.line_menu_id))
        }


def at_line(services) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """The sandbox's fake LINE: every menu it holds, by id (its JSON, whether it has an image, is default)."""
    with transaction(services.sessions) as session:
        return {
            m.rich_menu_id: {
                "body": json.loads(m.body),
                "image": m.image is not None,
                "default": m.is_default,
            }
            for m in session.scalars(select(SandboxRichMenu))
        }


def shown_to(client, user_id: str) -> str | None:  # type: ignore[no-untyped-def]
    """The menu the sandbox page shows this user (their own link, else the default), as LINE would."""
    menu = client.get(f"/sandbox/api/rich-menu?user_id={user_id}").get_json()["menu"]
    return menu["id"] if menu else None


def test_release_uploads_each_menu_once_and_not_again_when_unchanged(services):
    first = release(services)
    assert [(o.role, o.result) for o in first.rich_menus] == [
        ("citizen", "uploaded"),
        ("officer", "uploaded"),
    ]
    ids = uploaded(services)
    menus = at_line(services)
    assert set(menus) == set(ids.values())
    assert all(m["image"] for m in menus.values())
    assert [i for i, m in menus.items() if m["default"]] == [ids["citizen"]]
    assert menus[ids["officer"]]["body"]["chatBarText"] == "เมนูงาน"

    second = release(services)
    assert [(o.role, o.result) for o in second.rich_menus] == [
        ("citizen", "unchanged"),
        ("officer", "unchanged"),
    ]
    assert uploaded(services) == ids
    assert set(at_line(services)) == set(ids.values())  # nothing created at LINE the second time


def test_a_changed_menu_is_uploaded_again_its_users_switched_then_the_old_one_deleted(
    client, services, monkeypatch
):
    release(services)
    old = uploaded(services)
    officer_user = ev.new_user_id()
    with transaction(services.sessions) as session:
        session.add(SandboxUser(line_user_id=officer_user, display_name="สมศรี", created_at=NOW))
        officer = add_officer(session, "1030", "สมศรี", "officer", NOW)
        officer.line_user_id = officer_user
    with release_gateway(services) as gateway:
        gateway.link_rich_menu(officer_user, old["officer"])

    monkeypatch.setitem(th.TEXTS, "menu_new_sub", "รอรับเรื่อง (ใหม่)")  # the officer menu's words change
    report = release(services)
    assert [(o.role, o.result) for o in report.rich_menus] == [
        ("citizen", "unchanged"),
        ("officer", "uploaded"),
    ]
    new = uploaded(services)
    assert new["citizen"] == old["citizen"] and new["officer"] != old["officer"]
    assert set(at_line(services)) == {new["citizen"], new["officer"]}  # the old officer menu is gone
    assert shown_to(client, officer_user) == new["officer"]  # switched before the old one went

    services.settings = dataclasses.replace(services.settings, public_base_url="https://rongtook.example")
    report = release(services)
    assert [(o.role, o.result) for o in report.rich_menus] == [
        ("citizen", "uploaded"),
        ("officer", "unchanged"),
    ]
    newest = uploaded(services)
    menus = at_line(services)
    assert set(menus) == {newest["citizen"], new["officer"]}
    assert menus[newest["citizen"]]["default"]
    uris = [a["action"].get("uri") for a in menus[newest["citizen"]]["body"]["areas"]]
    assert "https://rongtook.example/map" in uris


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ({"/content": [400]}, "LINE 400"),  # a bad image
        ({"/v2/bot/richmenu": [429]}, "LINE 429"),  # the quota of rich menus or of calls
        ({"/v2/bot/richmenu": [500]}, "LINE 500"),
    ],
)
def test_line_refusing_a_menu_fails_that_menu_and_release_goes_on(
    db_url, tmp_path, stub, capsys, script, said
):
    stub.scripts.update(script)
    stub.bodies["/v2/bot/richmenu"] = json.dumps({"richMenuId": "richmenu-0123456789abcdef0123456789abcdef"})
    settings = make_settings(db_url, tmp_path, LINE_API_BASE_URL=stub.url)
    assert cmd_release(settings, argparse.Namespace()) == 0
    out = capsys.readouterr().out
    assert "database migrated" in out
    assert f"rich menu citizen: FAILED ({said}" in out
    assert f"rich menu officer: FAILED ({said}" in out
    from bot.services import Services

    services = Services.from_settings(settings)
    try:
        assert uploaded(services) == {}  # nothing recorded: the next release tries again
    finally:
        services.engine.dispose()
    if "/content" in script:  # the half-made menu (created, no image) is deleted at LINE
        assert [c.method for c in stub.calls("/v2/bot/richmenu/richmenu-")].count("DELETE") == 2


def test_line_out_of_reach_fails_the_menus_and_release_goes_on(db_url, tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(db_url, tmp_path, LINE_API_BASE_URL=f"http://127.0.0.1:{port}")
    assert cmd_release(settings, argparse.Namespace()) == 0
    out = capsys.readouterr().out
    assert "rich menu citizen: FAILED (LINE unreachable" in out
    assert "rich menu officer: FAILED" in out


def test_release_logs_which_menu_failed(db_url, tmp_path, stub, caplog):
    stub.scripts["/content"] = [400]
    stub.bodies["/v2/bot/richmenu"] = json.dumps({"richMenuId": "richmenu-0123456789abcdef0123456789abcdef"})
    from bot.services import Services

    services = Services.from_settings(make_settings(db_url, tmp_path, LINE_API_BASE_URL=stub.url))
    try:
        with caplog.at_level("ERROR", logger="bot.rich_menus"):
            release(services)
    finally:
        services.engine.dispose()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "rich menu citizen not uploaded",
        "rich menu officer not uploaded",
    ]


def pending(services) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        return [(u, r) for u, r in session.execute(select(RichMenuLink.line_user_id, RichMenuLink.role))]


def settle(services) -> int:  # type: ignore[no-untyped-def]
    with release_gateway(services) as gateway:
        return settle_links(services, gateway)


def test_follow_link_and_switch_off_give_the_right_menu(client, services, stub):
    release(services)
    menus = uploaded(services)
    citizen = Chat(client, services, stub)
    officer = Chat(client, services, stub)
    with transaction(services.sessions) as session:
        for chat in (citizen, officer):
            session.add(SandboxUser(line_user_id=chat.user, display_name="ผู้ใช้", created_at=NOW))
        code = new_link_code(session, add_officer(session, "1030", "สมศรี", "officer", NOW), NOW).code

    citizen.send(ev.follow_event(citizen.user))
    assert pending(services) == []  # the default covers a citizen: no call per follower
    assert shown_to(client, citizen.user) == menus["citizen"]

    officer.send(ev.follow_event(officer.user))
    officer.text(code)
    assert "เชื่อมบัญชี LINE" in officer.said()
    assert pending(services) == [(officer.user, "officer")]  # made by the worker, after the handler's commit
    assert shown_to(client, officer.user) == menus["citizen"]
    assert settle(services) == 1
    assert pending(services) == []
    assert shown_to(client, officer.user) == menus["officer"]

    # The officer menu's "เรื่องใหม่" is understood: the district's complaints waiting to be acknowledged.
    officer.text("เรื่องใหม่")
    assert officer.said().startswith("ไม่มีเรื่องใหม่ที่รอรับในเขต")

    with transaction(services.sessions) as session:  # switched off, as the admin web and the CLI do it
        found = session.scalar(select(Officer).where(Officer.line_user_id == officer.user))
        menu_for_officer(session, set_active(session, found.id, False), NOW)
    assert pending(services) == [(officer.user, "citizen")]
    assert settle(services) == 1
    assert shown_to(client, officer.user) == menus["citizen"]
    with transaction(services.sessions) as session:
        assert session.scalar(select(func.count()).select_from(SandboxRichMenuLink)) == 0


def test_a_link_line_cannot_make_now_is_retried_later(services, stub, app_clock):
    app_clock.freeze(NOW)
    with transaction(services.sessions) as session:
        from models.rich_menus import want_menu

        session.add(RichMenu(role="officer", line_menu_id="richmenu-x", content_hash="h", uploaded_at=NOW))
        want_menu(session, "U" + "1" * 32, "officer", NOW)
    stub.scripts["/richmenu/"] = [500, 200]
    from bot.line_gateway import LineGateway

    gateway = LineGateway("token", stub.url)
    assert settle_links(services, gateway) == 0
    with transaction(services.sessions) as session:
        row = session.get(RichMenuLink, "U" + "1" * 32)
        assert row.attempts == 1 and "500" in (row.last_error or "") and row.next_try_at > NOW
    assert settle_links(services, gateway) == 0  # not due yet: LINE is not asked again at once
    app_clock.freeze(row.next_try_at)
    assert settle_links(services, gateway) == 1
    assert pending(services) == []
    assert len(stub.calls("/v2/bot/user/")) == 2


def test_switching_an_officer_off_in_the_admin_web_asks_for_the_citizen_menu(client, services, world):  # type: ignore[no-untyped-def]
    from tests.admin_web import sign_in, token

    user = "U" + "3" * 32
    with transaction(services.sessions) as session:
        officer = add_officer(session, "1030", "ดำ", "officer", NOW)
        officer.line_user_id = user
        officer_id = officer.id
    assert sign_in(client, "centre") == 302
    csrf = token(client.get("/admin/complaints").get_data(as_text=True))
    url = "/admin/settings/officers"
    form = {"csrf_token": csrf, "officer_id": str(officer_id)}
    assert client.post(url, data={**form, "action": "deactivate"}).status_code in (200, 302, 303)
    assert pending(services) == [(user, "citizen")]
    assert client.post(url, data={**form, "action": "activate"}).status_code in (200, 302, 303)
    assert pending(services) == [(user, "officer")]  # the later wish replaces the earlier one
