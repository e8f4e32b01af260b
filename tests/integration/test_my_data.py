"""The citizen's personal data in LINE: the privacy notice, "ข้อมูลของฉัน" and its one-time download link."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from bot.sandbox import events as ev
from bot.services import Services
from models import Citizen, Dialog
from models.clock import clock
from models.db import transaction
from models.personal_data import ExportLink
from tests.citizen_chat import JATUJAK, Chat, complaints
from tests.line_stub import LineStub

LINK = re.compile(r"https?://[^\s]+?(/my-data/[^\s]+)")


def file_one(chat: Chat, description: str) -> str:
    """A complaint filed through the dialog, with one photo; its tracking code."""
    chat.text(description)
    chat.photo()
    chat.tap("เสร็จแล้ว")
    chat.location(*JATUJAK)
    chat.tap("แสงสว่าง")
    chat.tap("ยืนยันส่งเรื่อง")
    return complaints(chat.services)[-1].tracking_code


def ask_my_data(chat: Chat) -> str:
    """Type "ข้อมูลของฉัน"; the link's path (/my-data/<token>)."""
    chat.text("ข้อมูลของฉัน")
    found = LINK.search(chat.said())
    assert found, chat.said()
    return found.group(1)


def page(client: FlaskClient, path: str, method: str = "get", status: int = 200) -> str:
    response = client.open(path, method=method.upper())
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def test_my_data_sums_up_what_is_held_and_its_link_downloads_a_zip_once(
    chat: Chat, client: FlaskClient, services: Services, stub: LineStub
) -> None:
    chat.send(ev.follow_event(chat.user))
    code = file_one(chat, "ไฟถนนดับ 3 ต้น หน้าซอย 5 โทร 081-234-5678")
    path = ask_my_data(chat)
    said = chat.said()
    assert "สมชาย" in said  # the LINE name held
    assert "เรื่องที่แจ้ง: 1 เรื่อง (ยังดำเนินการอยู่ 1 เรื่อง)" in said
    assert "รูปภาพที่ส่ง: 1 รูป" in said
    assert "23 พ.ย. 2569" in said  # since the follow
    assert "ใช้ได้ครั้งเดียว" in said and "24 ชั่วโมง" in said
    # The link went to this citizen's own chat, and to no one else.
    everything = [c.body for c in stub.calls("/v2/bot/message/") if c.path.endswith(("/reply", "/push"))]
    assert [b for b in everything if "/my-data/" in json.dumps(b)] == [
        b for b in everything if chat._mine(b) and "/my-data/" in json.dumps(b)
    ]

    # Opening the link (as a chat app's preview would) spends nothing: a page with a button.
    html = page(client, path)
    assert 'data-testid="download"' in html and "ดาวน์โหลด" in html
    html = page(client, path)
    response = client.post(path)
    assert response.status_code == 200
    assert response.mimetype == "application/zip" and "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"README.txt", "profile.json", "complaints.json"} <= names
    profile = json.loads(archive.read("profile.json"))
    assert profile["display_name"] == "สมชาย" and profile["line_user_id"] == chat.user
    (complaint,) = json.loads(archive.read("complaints.json"))
    assert complaint["tracking_code"] == code
    assert complaint["description"] == "ไฟถนนดับ 3 ต้น หน้าซอย 5 โทร 081-234-5678"  # theirs, as written
    assert [e["kind"] for e in complaint["events"]] == ["filed", "routed"]
    (photo_name,) = complaint["events"][0]["photos"]
    assert archive.read(photo_name) == stub.content  # the photo they sent, byte for byte

    # Once only: the second download is refused politely, with no data.
    again = client.post(path)
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "ใช้ดาวน์โหลดไปแล้ว" in text and "already been used" in text
    assert "081-234-5678" not in text and code not in text and again.mimetype == "text/html"
    assert "ใช้ดาวน์โหลดไปแล้ว" in page(client, path, status=410)


def test_only_a_hash_of_the_token_is_stored(chat: Chat, services: Services) -> None:
    path = ask_my_data(chat)
    token = path.rsplit("/", 1)[1]
    with transaction(services.sessions) as session:
        (link,) = session.scalars(select(ExportLink))
        assert link.token_hash != token and token not in link.token_hash and len(link.token_hash) == 64
        assert link.expires_at - link.created_at == timedelta(hours=24)


def test_the_link_expires_after_24_hours(chat: Chat, client: FlaskClient) -> None:
    path = ask_my_data(chat)
    clock.freeze(chat.now() + timedelta(hours=23, minutes=59))
    page(client, path)  # still good a minute before
    clock.freeze(chat.now() + timedelta(hours=24, seconds=1))
    assert "หมดอายุแล้ว" in page(client, path, status=410)
    response = client.post(path)
    assert response.status_code == 410 and "has expired" in response.get_data(as_text=True)


def test_a_tampered_or_made_up_link_is_refused_without_an_error(chat: Chat, client: FlaskClient) -> None:
    path = ask_my_data(chat)
    secret, signature = path.removeprefix("/my-data/").rsplit(".", 1)
    flipped = ("A" if secret[0] != "A" else "B") + secret[1:]
    for bad in (
        f"/my-data/{flipped}.{signature}",  # one character changed: the signature no longer fits
        f"/my-data/{secret}.{'0' * len(signature)}",
        f"/my-data/{secret}",  # cut short
        "/my-data/nothing-at-all",
        "/my-data/..",
        f"/my-data/{'ก' * 300}",
    ):
        for method in ("get", "post"):
            response = client.open(bad, method=method.upper())
            assert response.status_code == 404, (bad, method, response.status_code)
            assert "ลิงก์ไม่ถูกต้อง" in response.get_data(as_text=True) or "ไม่พบลิงก์" in response.get_data(
                as_text=True
            )
    assert client.post(path).status_code == 200  # the real one still works


def test_asking_again_replaces_the_earlier_link(chat: Chat, client: FlaskClient) -> None:
    first = ask_my_data(chat)
    second = ask_my_data(chat)
    assert first != second
    assert "ถูกยกเลิกแล้ว" in page(client, first, "post", status=410)
    assert client.post(second).status_code == 200


def test_my_data_in_the_middle_of_a_draft_keeps_the_draft(chat: Chat, services: Services) -> None:
    chat.text("ถนนเป็นหลุมใหญ่หน้าตลาด")
    assert "ส่งรูปภาพ" in chat.said()
    ask_my_data(chat)
    said = chat.said()
    assert "เรื่องที่คุณกำลังแจ้งยังอยู่" in said and "ส่งรูปภาพ" in said  # the draft's question again
    with transaction(services.sessions) as session:
        dialog = session.scalar(select(Dialog).where(Dialog.line_user_id == chat.user))
        assert dialog is not None and dialog.state == "photos"
        assert dialog.data["description"] == "ถนนเป็นหลุมใหญ่หน้าตลาด"
    chat.tap("ไม่มีรูป")
    chat.location(*JATUJAK)
    chat.tap("ถนน")
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    assert complaint.description == "ถนนเป็นหลุมใหญ่หน้าตลาด"


def test_my_data_in_english(chat: Chat, services: Services) -> None:
    chat.text("hello")
    with transaction(services.sessions) as session:  # LINE set to English
        session.scalar(select(Citizen).where(Citizen.line_user_id == chat.user)).language = "en"
    chat.text("My data")
    said = chat.said()
    assert "What we hold about you" in said and "Reports: 0 (0 still open)" in said
    assert "/my-data/" in said and "works once, within 24 hours" in said
    chat.text("erase my data")
    assert "This cannot be undone" in chat.said()
    chat.tap("Keep it")
    assert "Nothing was erased" in chat.said()


def test_the_welcome_carries_the_privacy_notice_and_its_link(chat: Chat) -> None:
    chat.send(ev.follow_event(chat.user))
    said = chat.said()
    assert "ยินดีต้อนรับ" in said
    assert "ข้อมูลส่วนบุคคลของคุณ" in said and "ลบข้อมูลของฉัน" in said and "2 ปี" in said
    assert re.search(r"https?://\S+/privacy", said)
    chat.text("ความเป็นส่วนตัว")
    assert "/privacy" in chat.said()
    chat.text("วิธีใช้")
    assert "ข้อมูลของฉัน" in chat.said()


def test_the_privacy_page_in_thai_and_english_names_the_contact(tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    from bot.app import create_app
    from tests.conftest import make_settings

    contact = "เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล กรุงเทพมหานคร dpo@bangkok.go.th โทร 02-000-0000"
    settings = make_settings(db_url, tmp_path, DATA_PROTECTION_CONTACT=contact, RETENTION_DAYS="365")
    services = Services.from_settings(settings)
    client = create_app(services=services).test_client()
    thai = page(client, "/privacy")
    assert "ประกาศความเป็นส่วนตัว" in thai and contact in thai and "365 วัน" in thai
    assert "ข้อมูลของฉัน" in thai and "30 วัน" in thai
    english = page(client, "/privacy?lang=en")
    assert "Privacy notice" in english and contact in english and "365 days" in english
    assert "erase my data" in english
    assert 'href="/privacy?lang=th"' in page(client, "/?lang=th").replace("&amp;", "&")  # the footer's link
    services.engine.dispose()


def test_without_a_contact_setting_the_notice_names_the_district_and_1555(client: FlaskClient) -> None:
    assert "1555" in page(client, "/privacy")


def test_an_erased_citizens_link_stops_working(chat: Chat, client: FlaskClient, services: Services) -> None:
    path = ask_my_data(chat)
    chat.text("ลบข้อมูลของฉัน")
    chat.tap("ยืนยันลบข้อมูล")
    assert "ถูกยกเลิกแล้ว" in page(client, path, "post", status=410)
    with transaction(services.sessions) as session:
        assert session.scalar(select(Citizen).where(Citizen.line_user_id == chat.user)) is None


def test_the_docs_hold_the_same_notice_as_the_page() -> None:
    from pathlib import Path

    from bot.public_pages import PDPA_SECTIONS
    from texts import say

    doc = (Path(__file__).resolve().parents[2] / "docs" / "privacy-notice.md").read_text(encoding="utf-8")
    for lang in ("th", "en"):
        keys = ["pdpa_title", "pdpa_intro", "pdpa_h_contact", "pdpa_contact_default"]
        keys += [f"pdpa_h_{name}" for name in PDPA_SECTIONS] + [f"pdpa_{name}" for name in PDPA_SECTIONS]
        for key in keys:
            for line in say(f"public.{key}", lang, days=730).split("\n"):
                assert line in doc, (lang, key, line)
