"""Open311, the whole way (SQLite and PostgreSQL): a client files, an officer handles it on LINE, the
client follows it to `closed` with the result in status_notes and the history in notes."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.services import Services
from kpi.reports import cpl_r003
from kpi.source import district_facts
from models import Complaint, ComplaintEvent, OutboxMessage, Photo
from models.clock import clock
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from tests.citizen_chat import Chat, flex_cards
from tests.open311_common import BANGKOK, MONDAY, Api, make_api, png


@pytest.fixture
def api(app: Flask, client: FlaskClient, services: Services) -> Api:
    return make_api(app, client, services)


RESULT = "เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว <ok> & 'done'"


def linked_officer(api: Api, stub) -> Chat:  # type: ignore[no-untyped-def]
    with transaction(api.services.sessions) as session:
        officer = add_officer(session, "1030", "สมศรี", "officer", MONDAY)
        code = new_link_code(session, officer, MONDAY).code
    chat = Chat(api.client, api.services, stub, start=MONDAY - timedelta(minutes=10))
    chat.text(code)
    assert "เชื่อมบัญชี LINE" in chat.said()
    clock.freeze(MONDAY)
    return chat


def test_a_client_files_an_officer_resolves_on_line_and_the_client_sees_it_closed(api: Api, stub) -> None:  # type: ignore[no-untyped-def]
    officer = linked_officer(api, stub)
    filed = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.key,
            "service_code": "lighting",
            "lat": "13.8040",
            "long": "100.5530",
            "description": "ไฟถนนดับ 3 ต้น หน้าซอย 5 โทร 0812345678",
            "first_name": "สมชาย",
            "last_name": "ใจดี",
            "phone": "+66 81-234-5678",
            "email": "somchai@example.org",
            "media": (io.BytesIO(png()), "before.png"),
        },
        content_type="multipart/form-data",
    )
    assert filed.status_code == 200, filed.get_data(as_text=True)
    (answer,) = filed.json  # type: ignore[misc]
    code = answer["service_request_id"]
    assert "จตุจักร" in answer["service_notice"] and "2026-11-24" in answer["service_notice"]
    assert "token" not in answer  # realtime: the tracking code at once, no token to exchange

    with transaction(api.services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        assert (complaint.channel, complaint.api_key_id, complaint.citizen_id) == ("api", api.key_id, None)
        assert (complaint.reporter_name, complaint.reporter_phone) == ("สมชาย ใจดี", "66812345678")
        assert complaint.reporter_email == "somchai@example.org"
        assert (complaint.district_code, complaint.category) == ("1030", "แสงสว่าง")
        assert complaint.routed_at == MONDAY and complaint.ack_due_at is not None
        first = session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id))
        assert first is not None and (first.kind, first.actor_kind, first.actor_name) == (
            "filed",
            "api",
            "city-website",
        )
        assert first.data["channel"] == "api"
        assert session.scalar(select(Photo.event_id).where(Photo.complaint_id == complaint.id)) == first.id

    opened = api.get(f"requests/{code}.json").json[0]  # type: ignore[index]
    assert opened["status"] == "open" and "status_notes" not in opened
    assert opened["expected_datetime"] == "2026-11-24T23:59:59+07:00"  # the acknowledgement deadline
    assert opened["agency_responsible"] == "สำนักงานเขตจตุจักร"

    officer.at = MONDAY + timedelta(minutes=20)  # the officer acts after the filing
    officer.worker.drain()  # the card the API filing queued goes out
    (card,) = flex_cards(officer.inbox())
    officer.tap("รับเรื่อง", [card])
    assert api.get(f"requests/{code}.json").json[0]["status"] == "open"  # type: ignore[index]
    officer.text(code)
    officer.tap("แก้ไขเสร็จ")
    officer.text(RESULT)
    officer.photo("after1")
    officer.tap("ส่ง")

    closed = api.get(f"requests/{code}.json", extensions="true", locale="en").json[0]  # type: ignore[index]
    assert closed["status"] == "closed" and closed["status_notes"] == RESULT
    assert "expected_datetime" not in closed
    assert closed["agency_responsible"] == "Chatuchak district office"
    assert closed["service_name"] == "Street lighting" and closed["service_code"] == "lighting"
    kinds = [n["type"] for n in closed["notes"]]
    assert kinds == ["submitted", "routed", "acknowledged", "resolved"]
    assert closed["notes"][-1]["description"] == RESULT
    assert closed["updated_datetime"] == closed["notes"][-1]["datetime"]  # closed: the moment it closed
    with transaction(api.services.sessions) as session:
        resolved_at = session.scalar(select(Complaint.resolved_at).where(Complaint.tracking_code == code))
        # Nobody was pushed a LINE message for the reporter (they have none): only the officer was.
        told = set(session.scalars(select(OutboxMessage.to)))
    assert resolved_at is not None
    assert closed["updated_datetime"] == resolved_at.astimezone(BANGKOK).isoformat(timespec="seconds")
    assert told == {officer.user}

    # The same in XML, the result's <, & and quotes escaped and read back intact.
    xml = api.get(f"requests/{code}.xml", extensions="true")
    assert xml.content_type == "text/xml; charset=utf-8"
    request = ET.fromstring(xml.data).find("request")
    assert request is not None
    assert request.findtext("status") == "closed" and request.findtext("status_notes") == RESULT
    assert [n.findtext("type") for n in request.iter("note")] == kinds
    listed = api.get("requests.json", status="closed").json
    assert [r["service_request_id"] for r in listed] == [code]  # type: ignore[union-attr]

    # The KPI counts it like any complaint of the district, and the month's report under its channel.
    with transaction(api.services.sessions) as session:
        (facts,) = district_facts(session, MONDAY - timedelta(days=30), MONDAY + timedelta(days=30), "1030")
        (scored,) = list(facts.complaints)
        assert scored.code == code and scored.resolved_at is not None and scored.result_text
        report = cpl_r003(session, "1030", MONDAY.date().replace(day=1), MONDAY + timedelta(days=2))
    lines = {line.label_th: line.count for line in report.items}
    assert lines["เรื่องที่ได้รับในเดือน"] == 1 and lines["— ทางระบบอื่น (API): city-website"] == 1
