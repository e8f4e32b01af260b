"""Categories as data: admins keep the list on the web; LINE offers what the table holds (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.services import Services
from models import Category
from models.db import transaction
from tests.admin_web import XSS, sign_in, token
from tests.citizen_chat import JATUJAK, Chat, actions

PAGE = "/admin/settings/categories"


def signed(client: FlaskClient, username: str = "centre") -> str:
    assert sign_in(client, username) == 302
    return token(client.get(PAGE).get_data(as_text=True))


def save(client: FlaskClient, csrf: str, **fields: str) -> Any:
    return client.post(PAGE, data={"csrf_token": csrf, "action": "save_category", **fields})


def category(services: Services, code: str) -> Category | None:
    with transaction(services.sessions) as session:
        return session.get(Category, code)


def offered(chat: Chat, description: str) -> list[str]:
    """The category buttons LINE shows a citizen who describes this and sends a place."""
    chat.text(description)
    chat.tap("ไม่มีรูป")
    chat.location(*JATUJAK)
    return [a["label"] for a in actions(chat.last) if a.get("type") == "postback"]


def test_an_added_category_is_offered_in_line_and_filed_by_its_thai_name(
    client: FlaskClient, services: Services, world: dict[str, str], stub: Any
) -> None:
    csrf = signed(client)
    done = save(
        client,
        csrf,
        code="wasps",
        name_th="รังแตน",
        name_en="Wasp nests",
        keywords="แตน, ต่อ, รังผึ้ง",
        active="on",
    )
    assert done.status_code == 303
    page = client.get(PAGE).get_data(as_text=True)
    assert 'data-code="wasps"' in page and "Wasp nests" in page
    chat = Chat(client, services, stub)
    buttons = offered(chat, "มีรังแตนใหญ่ใต้หลังคาบ้านร้าง")
    assert buttons[0] == "รังแตน" and buttons[-1] == "อื่น ๆ"  # the keyword ranks it first; other stays last
    chat.tap("รังแตน")
    chat.tap("ยืนยันส่งเรื่อง")
    assert "ส่งเรื่องเรียบร้อยแล้ว" in chat.said()
    with transaction(services.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Category)) == 20


def test_a_switched_off_category_is_no_longer_offered_and_its_old_button_is_refused(
    client: FlaskClient, services: Services, world: dict[str, str], stub: Any
) -> None:
    chat = Chat(client, services, stub)
    assert "ต้นไม้" in offered(chat, "กิ่งไม้ใหญ่หักพาดสายไฟ")
    old_button = chat.button("ต้นไม้")
    csrf = signed(client)
    current = category(services, "trees")
    assert current is not None
    assert save(client, csrf, code="trees", name_en=current.name_en, keywords="ต้นไม้").status_code == 303
    assert category(services, "trees").active is False  # type: ignore[union-attr]
    chat.postback(old_button["data"])
    assert "ต้นไม้" not in [a["label"] for a in actions(chat.last) if a.get("type") == "postback"]
    fresh = Chat(client, services, stub)
    assert "ต้นไม้" not in offered(fresh, "กิ่งไม้ใหญ่หักพาดสายไฟ")


def test_an_english_name_change_shows_at_once_and_the_thai_name_stays(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    response = save(
        client,
        csrf,
        code="road",
        name_th="ถนนใหม่",
        name_en="Roads and lanes",
        group_en="Streets",
        active="on",
    )
    assert response.status_code == 303
    row = category(services, "road")
    assert row is not None and (row.name_th, row.name_en, row.group_en) == (
        "ถนน",
        "Roads and lanes",
        "Streets",
    )


BAD = [
    ({"code": "Bad Code!", "name_th": "x", "name_en": "x"}, "รหัสประเภทใช้ตัวอักษรอังกฤษตัวเล็ก"),
    ({"code": "new1", "name_th": "", "name_en": "x"}, "กรุณากรอกชื่อภาษาไทย"),
    ({"code": "new2", "name_th": "ก" * 21, "name_en": "x"}, "ไม่เกิน 20 ตัวอักษร"),
    ({"code": "new3", "name_th": "ถนน", "name_en": "x"}, "มีประเภทชื่อนี้อยู่แล้ว"),
    ({"code": "new4", "name_th": "ใหม่", "name_en": ""}, "กรุณากรอกชื่อภาษาอังกฤษ"),
    ({"code": "other", "name_en": "Other"}, "ต้องเปิดใช้งานเสมอ"),
    ({"code": "road", "name_en": "Roads", "position": "-3", "active": "on"}, "ลำดับต้องเป็นตัวเลข"),
    (
        {"code": "new5", "name_th": "ใหม่", "name_en": "x", "keywords": ",".join(["ก"] * 51)},
        "คำที่บ่งบอกยาวเกินไป",
    ),
]


@pytest.mark.parametrize(("fields", "message"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_category_input_is_refused_in_words_and_changes_nothing(
    client: FlaskClient, services: Services, world: dict[str, str], fields: dict[str, str], message: str
) -> None:
    csrf = signed(client)
    before = [(c.code, c.name_th, c.name_en, c.active, c.position) for c in _all(services)]
    response = save(client, csrf, **fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert [(c.code, c.name_th, c.name_en, c.active, c.position) for c in _all(services)] == before


def test_names_are_escaped_and_only_admins_change_the_list(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    assert save(client, csrf, code="xss", name_th="สคริปต์", name_en=XSS[:100], active="on").status_code == 303
    page = client.get(PAGE).get_data(as_text=True)
    assert XSS[:100] not in page and "&lt;script&gt;" in page
    client.get("/admin/logout")
    head = signed_as_head(client)
    assert save(client, head, code="road", name_en="Hacked", active="on").status_code in (303, 403)
    assert category(services, "road").name_en == "Roads"  # type: ignore[union-attr]


def signed_as_head(client: FlaskClient) -> str:
    assert sign_in(client, "head1030") == 302
    return token(client.get("/admin/complaints").get_data(as_text=True))


def _all(services: Services) -> list[Category]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(Category).order_by(Category.code)))
