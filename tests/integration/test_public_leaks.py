"""No leaks (issue 16, quality bar), on both databases: complaints whose citizen has a known display name,
LINE user id, phone number and e-mail address (written into the description too), a reporter who phoned in
with theirs, a district's text and a photo hidden from the public, and a complaint whose citizen asked that
it not be public at all; then every public page and output is fetched, and none of those strings, nor the
hidden text, nor any link to the hidden photo or to the private complaint's photos, appears in any of them."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from bot.sandbox import events as ev
from bot.services import Services
from handlers.notices import Links
from models import Citizen, Complaint, Photo
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from tests.citizen_chat import BANGKOK, JATUJAK, Chat, flex_cards
from tests.public_common import REPORTER, phoned_in
from texts import say

START = datetime(2027, 11, 22, 9, 0, tzinfo=BANGKOK)  # a Monday
DISPLAY_NAME = "กมลชนก ลับเฉพาะ"
PHONE, PHONE_DASHED = "0897654321", "089-765-4321"
EMAIL = "kamolchanok.secret@example.org"
NATIONAL_ID = "1-1037-02468-13-5"
HIDDEN_TEXT = "ข้อความที่ต้องซ่อน-7431 ผู้แจ้งชื่อกมลชนก"
SHOWN_TEXT = "ตรวจพื้นที่แล้ว ติดต่อกลับที่ "  # + the citizen's phone: masked on every public output
PERSONAL_KEYS = ("citizen_id", "line_user_id", "display_name", "reporter_", "actor_", "officer", "api_key")


def describe(user: str) -> str:
    return (
        f"ไฟถนนดับหน้าบ้าน {DISPLAY_NAME} โทร {PHONE_DASHED} หรือ {PHONE} อีเมล {EMAIL} "
        f"บัตร {NATIONAL_ID} LINE {user}"
    )


def public_outputs(codes: list[str]) -> list[str]:
    """Every public page and output: HTML, JSON, CSV, GeoJSON and XML."""
    a, b, c = codes
    paths = [
        "/",
        "/?lang=en",
        "/c",
        "/map",
        "/map/data",
        "/map/data?bbox=100.3,13.5,100.95,14.0",
        "/map/districts.geojson",
        "/districts",
        "/districts?lang=en",
        "/districts/1030",
        "/districts/1030?lang=en",
        "/districts.csv",
        "/open-data",
        "/open-data/complaints.csv",
        "/open-data/complaints.geojson",
        "/open311/v2/services.json",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/open311/v2/requests.json?extensions=true",
        "/open311/v2/requests.xml?extensions=true&locale=en",
        f"/open311/v2/requests.json?service_request_id={a},{b},{c}&extensions=true",
    ]
    for code in codes:
        paths += [
            f"/c/{code}",
            f"/c/{code}?lang=en",
            f"/c?code={code.lower()}",
            f"/api/v1/complaints/{code}",
            f"/open311/v2/requests/{code}.json?extensions=true",
            f"/open311/v2/requests/{code}.xml?extensions=true",
        ]
    return paths


def readable(response: Any) -> str:
    """The body as a reader (or a program) gets it: JSON with its \\u escapes undone."""
    body = response.get_data(as_text=True)
    if response.mimetype in ("application/json", "application/geo+json"):
        return json.dumps(json.loads(body), ensure_ascii=False)
    return body


def linked_officer(client: FlaskClient, services: Services, stub: Any) -> Chat:
    with transaction(services.sessions) as session:
        officer = add_officer(session, "1030", "สมศรี", "officer", START)
        code = new_link_code(session, officer, START).code
    chat = Chat(client, services, stub, start=START)
    chat.text(code)
    return chat


def file(citizen: Chat, not_public: bool = False) -> str:
    citizen.text(describe(citizen.user))
    citizen.photo()
    citizen.tap("เสร็จแล้ว")
    citizen.location(*JATUJAK)
    citizen.tap("แสงสว่าง")
    if not_public:
        citizen.tap(say("qr_not_public"))
    citizen.tap("ยืนยันส่งเรื่อง")
    assert "ส่งเรื่องเรียบร้อยแล้ว" in citizen.said()
    with transaction(citizen.services.sessions) as session:
        return session.scalars(select(Complaint.tracking_code).order_by(Complaint.id.desc())).first()  # type: ignore[return-value]


def photos_of(services: Services, code: str) -> list[int]:
    with transaction(services.sessions) as session:
        return list(
            session.scalars(
                select(Photo.id)
                .join(Complaint, Complaint.id == Photo.complaint_id)
                .where(Complaint.tracking_code == code)
                .order_by(Photo.id)
            )
        )


def test_no_public_page_or_output_leaks_anything_personal_or_hidden(
    client: FlaskClient, services: Services, stub: Any
) -> None:
    user = ev.new_user_id()
    stub.bodies["/profile/"] = json.dumps({"userId": user, "displayName": DISPLAY_NAME, "language": "th"})
    citizen = Chat(client, services, stub, user=user, start=START)
    officer = linked_officer(client, services, stub)
    citizen.send(ev.follow_event(user))
    with transaction(services.sessions) as session:
        assert (
            session.scalar(select(Citizen.display_name).where(Citizen.line_user_id == user)) == DISPLAY_NAME
        )

    shown = file(citizen)
    private = file(citizen, not_public=True)
    phoned = phoned_in(services, citizen.now())
    officer.at = citizen.at
    (card, _) = flex_cards(officer.inbox())  # both LINE complaints' cards; the first is `shown`'s
    officer.tap("รับเรื่อง", [card])
    for words in (HIDDEN_TEXT, SHOWN_TEXT + PHONE):
        officer.tap("รายงานความคืบหน้า")
        officer.text(words)
        if words == HIDDEN_TEXT:
            officer.photo()
        officer.tap("ส่ง")
        officer.text(shown)
    officer.tap(say("qr_hide"))
    officer.tap(say("qr_hide_text", n=1))  # the first text: HIDDEN_TEXT
    officer.text("มีชื่อผู้แจ้ง")
    officer.text(shown)
    officer.tap(say("qr_hide"))
    officer.tap(say("qr_hide_photo", n=1))  # the citizen's photo: the front of their home
    officer.text("เห็นบ้านผู้แจ้ง")
    assert say("hidden_ok", item=say("qr_hide_photo", n=1), code=shown) == officer.said()

    links = Links(services.settings.secret_key.encode(), services.settings.public_base_url)
    base = services.settings.public_base_url or ""
    hidden_photo, shown_photo = photos_of(services, shown)
    never_linked = [hidden_photo, *photos_of(services, private)]
    forbidden = [
        DISPLAY_NAME,
        user,
        PHONE,
        PHONE_DASHED,
        EMAIL,
        NATIONAL_ID,
        HIDDEN_TEXT,
        REPORTER.name,
        REPORTER.phone,
        REPORTER.email,
        private,  # not public at all: not even its code
    ]
    seen: dict[str, str] = {}
    for path in public_outputs([shown, private, phoned]):
        response = client.get(path)
        assert response.status_code in (200, 302, 404), (path, response.status_code)
        assert response.status_code != 404 or private.lower() in path.lower(), path
        body = readable(response)
        seen[path] = body
        for secret in forbidden:
            if secret == private and response.status_code in (302, 404):
                continue  # its own "not public" page names the code the reader typed; the box redirects
            assert secret not in body, (path, secret)
        for key in PERSONAL_KEYS:
            assert f'"{key}' not in body and f"<{key}" not in body, (path, key)
        for photo in never_linked:
            assert not re.search(rf"/media/photos/{photo}/", body), (path, photo)

    # What is public is there: the fetches were not empty answers.
    page = seen[f"/c/{shown}"]
    assert SHOWN_TEXT in page and say("public.masked_phone") in page and say("public.text_hidden") in page
    assert (
        shown in seen["/map/data"]
        and shown in seen["/open-data/complaints.csv"]
        and phoned in seen["/map/data"]
    )
    assert links.public_photo_url(shown_photo) in seen["/open311/v2/requests.json"]
    assert say("public.not_public", code=private) in seen[f"/c/{private}"]
    # The hidden photo is gone for the public; staff's own links still show it.
    assert client.get(links.public_photo_url(hidden_photo).removeprefix(base)).status_code == 404  # type: ignore[union-attr]
    assert client.get(links.photo_url(hidden_photo).removeprefix(base)).status_code == 200  # type: ignore[union-attr]
    for photo in photos_of(services, private):
        assert client.get(links.public_photo_url(photo).removeprefix(base)).status_code == 404  # type: ignore[union-attr]
