"""Open311 reads (both databases): services and their attributes, the request list's filters, window and
pages, how statuses map, where a request is placed, and that no GET shows who reported it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.open311.places import LOCATOR_KEY
from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from handlers.use_cases import Actor
from models import Category, Citizen, Complaint, ComplaintEvent
from models.clock import clock
from models.complaint_operations import file_complaint
from models.db import transaction
from models.working_days import load_calendar
from tests.complaint_actions_common import photo
from tests.open311_common import BASE, JATUJAK, MONDAY, OUTSIDE, Api, issue, make_api

SIAM = ("13.7455", "100.5340")  # Pathum Wan (1007)
LINE_USER = "U" + "7" * 32
OFFICER_1030 = Actor("officer", 1, "1030", "สมศรี")


@pytest.fixture
def api(app: Flask, client: FlaskClient, services: Services) -> Api:
    return make_api(app, client, services)


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["service_request_id"] for r in response.json]


def acting(api: Api, actor: Actor = OFFICER_1030) -> Any:
    def start(session: Any) -> use_cases.Acting:
        return use_cases.Acting(session, actor, clock.now(), Links(b"k" * 32, None))

    return start


def complaint(session: Any, code: str) -> Complaint:
    found = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
    assert found is not None
    return found  # type: ignore[no-any-return]


# ---- services ------------------------------------------------------------------------------------


def test_services_list_the_active_categories_in_thai_or_english(api: Api) -> None:
    thai = api.get("services.json").json
    assert [s["service_code"] for s in thai][:3] == ["road", "footpath", "safety"]  # type: ignore[index]
    assert thai[-1]["service_code"] == "other"  # type: ignore[index]
    road = thai[0]  # type: ignore[index]
    assert road == {
        "service_code": "road",
        "service_name": "ถนน",
        "description": "ถนน / Roads",
        "metadata": False,
        "type": "realtime",
        "keywords": "ถนน, หลุม, บ่อ, ผิวจราจร, ยางมะตอย, ทรุด",
        "group": "โครงสร้างพื้นฐาน",
    }
    english = api.get("services.json", locale="en").json[0]  # type: ignore[index]
    assert (english["service_name"], english["group"]) == ("Roads", "Infrastructure")
    by_header = api.client.get(f"{BASE}/services.json", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert by_header.json[0]["service_name"] == "Roads"  # type: ignore[index]
    prefers_thai = api.client.get(f"{BASE}/services.json", headers={"Accept-Language": "th,en;q=0.5"})
    assert prefers_thai.json[0]["service_name"] == "ถนน"  # type: ignore[index]
    xml = ET.fromstring(api.get("services.xml", jurisdiction_id="bangkok.go.th").data)
    assert xml.tag == "services" and len(xml.findall("service")) == len(thai)  # type: ignore[arg-type]
    assert xml.findtext("service/metadata") == "false"


def test_a_category_with_attributes_asks_for_them(api: Api) -> None:
    attribute = {
        "variable": True,
        "code": "lanes",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 1,
        "description": "ช่องจราจรที่เสียหาย",
        "values": [{"key": "1", "name": "ช่องซ้าย"}, {"key": "2", "name": "ช่องขวา"}],
        "not_in_the_spec": "left out",
    }
    with transaction(api.services.sessions) as session:
        road = session.get(Category, "road")
        assert road is not None
        road.attributes = [
            attribute,
            {"variable": True, "code": "width", "datatype": "number", "required": False},
        ]
    assert api.get("services.json").json[0]["metadata"] is True  # type: ignore[index]
    definition = api.get("services/road.json").json
    assert definition["service_code"] == "road"  # type: ignore[index]
    assert definition["attributes"][0] == {k: v for k, v in attribute.items() if k != "not_in_the_spec"}  # type: ignore[index]
    xml = ET.fromstring(api.get("services/road.xml").data)
    assert (
        xml.tag == "service_definition" and xml.findtext("attributes/attribute/values/value/name") == "ช่องซ้าย"
    )
    assert api.get("services/nothing.json").status_code == 404
    place = {"service_code": "road", "address_id": "1030", "description": "ถนนพัง"}
    assert "attribute[lanes] is required" in api.post(**place).json[0]["description"]  # type: ignore[index]
    assert "listed keys" in api.post(**place, **{"attribute[lanes]": "3"}).json[0]["description"]  # type: ignore[index]
    assert (
        "number"
        in api.post(**place, **{"attribute[lanes]": "1", "attribute[width]": "wide"}).json[0][  # type: ignore[index]
            "description"
        ]
    )
    code = api.file(**place, **{"attribute[lanes]": "2", "attribute[width]": "3.5", "attribute[other]": "x"})
    with transaction(api.services.sessions) as session:
        event = session.scalar(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint(session, code).id, ComplaintEvent.kind == "filed"
            )
        )
        assert event is not None and event.data["attributes"] == {"lanes": "2", "width": "3.5"}


# ---- the request list ----------------------------------------------------------------------------


def test_the_list_filters_by_window_district_service_and_status_newest_first(api: Api) -> None:
    clock.freeze(MONDAY - timedelta(days=100))
    too_old = api.file()
    clock.freeze(MONDAY - timedelta(days=10))
    older = api.file()
    clock.freeze(MONDAY - timedelta(days=5))
    road_siam = api.file(service_code="road", lat=SIAM[0], long=SIAM[1])
    clock.freeze(MONDAY - timedelta(days=1))
    newest = api.file()
    clock.freeze(MONDAY)
    with transaction(api.services.sessions) as session:
        use_cases.reject(acting(api)(session), complaint(session, older), "ซ้ำกับเรื่องเดิม")

    assert codes(api.get("requests.json")) == [newest, road_siam, older]  # the last 90 days, newest first
    assert codes(api.get("requests.json", district="1030")) == [newest, older]
    assert codes(api.get("requests.json", district="1007")) == [road_siam]
    assert codes(api.get("requests.json", service_code="road")) == [road_siam]
    assert codes(api.get("requests.json", service_code="road,lighting")) == [newest, road_siam, older]
    assert codes(api.get("requests.json", status="closed")) == [older]
    assert codes(api.get("requests.json", status="open")) == [newest, road_siam]
    assert codes(api.get("requests.json", status="open,closed")) == [newest, road_siam, older]
    assert codes(api.get("requests.json", district="1030", status="open", service_code="lighting")) == [
        newest
    ]
    window = api.get("requests.json", start_date="2026-11-13T00:00:00+07:00", end_date="2026-11-20T00:00:00Z")
    assert codes(window) == [road_siam, older]
    assert codes(api.get("requests.json", start_date="2026-08-01")) == [too_old]  # 90 days from the start
    assert codes(api.get("requests.json", end_date="2026-11-14")) == [older]  # 90 days to its end
    assert codes(api.get("requests.json", end_date="2026-11-12")) == [too_old]
    page_1 = api.get("requests.json", page_size="2")
    page_2 = api.get("requests.json", page_size="2", page="2")
    assert (codes(page_1), codes(page_2)) == ([newest, road_siam], [older])
    assert codes(api.get("requests.json", page_size="2", page="3")) == []
    # service_request_id overrides every other argument, the window included.
    both = api.get(
        "requests.json", service_request_id=f"{too_old}, {newest.lower()},69-ZZZZZZ", district="1007"
    )
    assert sorted(codes(both)) == sorted([too_old, newest])
    xml = ET.fromstring(api.get("requests.xml", district="1007").data)
    assert [r.findtext("service_request_id") for r in xml.findall("request")] == [road_siam]


def test_statuses_map_to_open_and_closed_with_the_latest_public_update(api: Api) -> None:
    code = api.file()
    with transaction(api.services.sessions) as session:
        filed = complaint(session, code)
        act = acting(api)(session)
        use_cases.acknowledge(act, filed)
        use_cases.progress(act, filed, "ช่างตรวจแล้ว รออะไหล่", [])
    shown = api.get(f"requests/{code}.json").json[0]  # type: ignore[index]
    assert (shown["status"], shown["status_notes"]) == ("open", "ช่างตรวจแล้ว รออะไหล่")
    # The update met the 30 November checkpoint: the next one owed is the 15th of December.
    assert shown["expected_datetime"] == "2026-12-15T23:59:59+07:00"
    with transaction(api.services.sessions) as session:
        use_cases.resolve(acting(api)(session), complaint(session, code), "เปลี่ยนหลอดแล้ว", [photo(session)])
    shown = api.get(f"requests/{code}.json").json[0]  # type: ignore[index]
    assert (shown["status"], shown["status_notes"]) == ("closed", "เปลี่ยนหลอดแล้ว")
    with transaction(api.services.sessions) as session:
        filed = complaint(session, code)
        person = Citizen(line_user_id=LINE_USER, created_at=MONDAY, updated_at=MONDAY)
        session.add(person)
        session.flush()
        filed.citizen_id = person.id  # reopening is the citizen's act: give the complaint one
        use_cases.reopen(acting(api)(session), filed, person, "ยังดับอยู่ โทร 0899999999")
    shown = api.get(f"requests/{code}.json", extensions="true").json[0]  # type: ignore[index]
    assert shown["status"] == "open" and "status_notes" not in shown  # the result no longer holds
    assert "0899999999" not in json.dumps(shown, ensure_ascii=False)  # the citizen's words stay private
    assert [n["type"] for n in shown["notes"]][-1] == "reopened"


def test_no_get_shows_who_reported_it_and_only_the_filing_key_sees_its_description(api: Api) -> None:
    secret_words = "ไฟดับหน้าบ้านเลขที่ 99 โทร 0812345678"
    code = api.file(
        description=secret_words,
        first_name="สมชาย",
        last_name="ใจดีมาก",
        phone="0812345678",
        email="somchai@example.org",
        address_string="บ้านเลขที่ 99 ซอยลับ",
    )
    with transaction(api.services.sessions) as session:
        person = Citizen(line_user_id=LINE_USER, display_name="มาลี", created_at=MONDAY, updated_at=MONDAY)
        session.add(person)
        session.flush()
        line_one = file_complaint(
            session,
            person,
            description="ขยะล้น ติดต่อมาลี 0891112222",
            category="ความสะอาด",
            district_code="1030",
            latitude=JATUJAK[0],
            longitude=JATUJAK[1],
            photos=[],
            at=clock.now(),
            calendar=load_calendar(session),
        ).tracking_code
    other_key, _ = issue(api.services, "other-system")
    private = (
        "0812345678",
        "สมชาย",
        "ใจดีมาก",
        "somchai@",
        "ซอยลับ",
        LINE_USER,
        "มาลี",
        "0891112222",
        "city-website",
    )
    for params in ({}, {"extensions": "true"}, {"api_key": other_key, "extensions": "true"}):
        for fmt in ("json", "xml"):
            for answer in (
                api.get(f"requests.{fmt}", **params),
                api.get(f"requests/{code}.{fmt}", **params),
                api.get(f"requests/{line_one}.{fmt}", **params),
            ):
                text = answer.get_data(as_text=True)
                assert answer.status_code == 200 and (code in text or line_one in text)
                assert not [word for word in private if word in text], (params, fmt, text)
    own = api.get("requests.json", api_key=api.key, extensions="true").json
    by_code = {r["service_request_id"]: r for r in own}  # type: ignore[union-attr]
    assert by_code[code]["description"] == secret_words  # its own text, back to the key that sent it
    assert "description" not in by_code[line_one]  # not a LINE citizen's
    assert not [w for w in private if w != "0812345678" and w in json.dumps(own, ensure_ascii=False)]


# ---- placing a request ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "district"),
    [
        ({"address_id": "1030"}, "1030"),
        ({"address_id": "Chatuchak"}, "1030"),
        ({"address_id": "เขตจตุจักร"}, "1030"),
        ({"address_string": "123 ถนนพหลโยธิน แขวงจอมพล เขตจตุจักร กรุงเทพฯ"}, "1030"),
        ({"address_string": "99 Phahonyothin Rd, Chatuchak District, Bangkok 10900"}, "1030"),
        ({"address_string": "ซอยลาดพร้าว 101 เขตวังทองหลาง"}, "1045"),  # the road's name is a district's too
        ({"address_string": "Thawi Watthana"}, "1048"),  # not Watthana, whose name is inside it
        ({"address_string": "ปทุมวัน", "address_id": "1001"}, "1001"),  # address_id wins
        ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1]), "address_id": "1007"}, "1007"),
    ],
)
def test_a_request_is_placed_by_its_point_or_the_district_its_address_names(
    api: Api, fields: dict[str, str], district: str
) -> None:
    code = api.file(**{"lat": None, "long": None, **fields})
    with transaction(api.services.sessions) as session:
        filed = complaint(session, code)
        assert filed.district_code == district and filed.latitude is None and filed.longitude is None
        routed = session.scalar(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == filed.id, ComplaintEvent.kind == "routed"
            )
        )
        assert routed is not None and routed.data["how"] == "address"
    shown = api.get(f"requests/{code}.json").json[0]  # type: ignore[index]
    assert shown["address_id"] == district and "lat" not in shown


def test_a_point_wins_and_finds_possible_duplicates_within_50_m(api: Api) -> None:
    first = api.file()
    second = api.file(lat="13.8042", long="100.5531", address_id="1001")  # about 25 m away
    with transaction(api.services.sessions) as session:
        again = complaint(session, second)
        assert (again.district_code, again.latitude) == ("1030", 13.8042)
        assert again.possible_duplicate_of_id == complaint(session, first).id


def test_without_boundaries_a_point_cannot_be_placed_but_an_address_can(app: Flask, api: Api) -> None:
    del app.extensions[LOCATOR_KEY]  # the database of these tests holds no boundaries
    refused = api.post(service_code="road", lat=str(JATUJAK[0]), long=str(JATUJAK[1]), description="หลุม")
    assert refused.status_code == 400 and "address_id" in refused.json[0]["description"]  # type: ignore[index]
    api.file(lat=str(JATUJAK[0]), long=str(JATUJAK[1]), address_id="1030")
    assert LOCATOR_KEY not in app.extensions  # an empty index is not kept: boundaries loaded later count
