"""Open311 refusals (issue 15, "Bad input"): each one a clear error in the spec's format, the HTTP code the
spec names, a log line, and nothing stored; never a 5xx, whatever comes in."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.services import Services
from models import Category, Complaint
from models.api_keys import revoke_key
from models.clock import clock
from models.db import transaction
from tests.open311_common import BASE, JATUJAK, OUTSIDE, Api, errors, issue, make_api, stored


@pytest.fixture
def api(app: Flask, client: FlaskClient, services: Services) -> Api:
    return make_api(app, client, services)


LAT, LONG = str(JATUJAK[0]), str(JATUJAK[1])
GOOD = {"service_code": "lighting", "lat": LAT, "long": LONG, "description": "ไฟดับ"}
METACHARACTERS = "<script>alert('x')</script> & \"quoted\" '; DROP TABLE complaints; -- ]]> ไฟดับ"

# (what is wrong, the fields sent, the HTTP status, words the description must contain)
BAD_POSTS: list[tuple[str, dict[str, Any], int, str]] = [
    ("no service_code", {**GOOD, "service_code": None}, 400, "service_code is required"),
    ("unknown service_code", {**GOOD, "service_code": "potholes"}, 404, "not found"),
    ("SQL in service_code", {**GOOD, "service_code": "x' OR '1'='1"}, 404, "not found"),
    ("Thai service_code", {**GOOD, "service_code": "ไฟฟ้า"}, 404, "not found"),
    ("no location", {**GOOD, "lat": None, "long": None}, 400, "location is required"),
    ("lat without long", {**GOOD, "long": None}, 400, "together"),
    ("outside every district", {**GOOD, "lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, 400, "outside"),
    ("lat not a number", {**GOOD, "lat": "13,80"}, 400, "lat is not a number"),
    ("lat NaN", {**GOOD, "lat": "nan"}, 400, "between"),
    ("lat infinite", {**GOOD, "lat": "1e999"}, 400, "between"),
    ("lat off the globe", {**GOOD, "lat": "91"}, 400, "between"),
    ("long huge", {**GOOD, "long": "9" * 400}, 400, "long"),
    ("address of no district", {**GOOD, "lat": None, "long": None, "address_string": "Main St"}, 400, "no"),
    ("unknown address_id", {**GOOD, "lat": None, "long": None, "address_id": "9999"}, 400, "address_id"),
    (
        "address of two districts",
        {**GOOD, "lat": None, "long": None, "address_string": "ถนนลาดพร้าว บางกะปิ"},
        400,
        "several districts",
    ),
    ("no description", {**GOOD, "description": None}, 400, "description is required"),
    ("blank description", {**GOOD, "description": " \n "}, 400, "description is required"),
    ("description 4,001 characters", {**GOOD, "description": "ก" * 4001}, 400, "longer than 4000"),
    ("description 100,000 characters", {**GOOD, "description": "x" * 100_000}, 400, "longer than 4000"),
    ("NUL in description", {**GOOD, "description": "ไฟ\x00ดับ"}, 400, "control characters"),
    ("escape in first_name", {**GOOD, "first_name": "a\x1bb"}, 400, "control characters"),
    ("description twice, differing", {**GOOD, "description": ["หนึ่ง", "สอง"]}, 400, "more than once"),
    ("phone without digits", {**GOOD, "phone": "call me"}, 400, "phone"),
    ("phone too long", {**GOOD, "phone": "1" * 25}, 400, "phone"),
    ("not an e-mail", {**GOOD, "email": "somchai at example"}, 400, "email"),
    ("name too long", {**GOOD, "first_name": "ก" * 150, "last_name": "ข" * 150}, 400, "longer than"),
    ("media_url while fetching is off", {**GOOD, "media_url": "http://169.254.169.254/x.jpg"}, 400, "media"),
    ("bad locale", {**GOOD, "locale": "fr"}, 400, "locale"),
]


def _check(
    api: Api, caplog: pytest.LogCaptureFixture, label: str, response: Any, status: int, words: str
) -> None:
    assert response.status_code == status, (label, response.status_code, response.get_data(as_text=True))
    (error,) = errors(response)
    assert words.lower() in error["description"].lower(), (label, error)
    assert any("open311 refused" in r.getMessage() for r in caplog.records), label
    caplog.clear()


def test_every_bad_request_is_refused_in_the_specs_format_and_stores_nothing(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.open311")
    before = stored(api.services)
    for label, fields, status, words in BAD_POSTS:
        _check(api, caplog, label, api.post(**fields), status, words)
    assert stored(api.services) == before
    # The same fields, good, are filed: the refusals above were for what each case changed.
    assert api.post(**GOOD).status_code == 200
    assert api.post(**{**GOOD, "description": "ก" * 4000}).status_code == 200  # 4,000 is allowed


def test_keys_missing_unknown_or_revoked_are_refused_with_403(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.open311")
    before = stored(api.services)
    _check(api, caplog, "no key", api.post(key=None, **GOOD), 403, "api_key is required")
    _check(api, caplog, "wrong key", api.post(key="not-a-key", **GOOD), 403, "invalid api_key")
    _check(api, caplog, "huge key", api.post(key="k" * 5000, **GOOD), 400, "api_key is longer")
    with transaction(api.services.sessions) as session:
        revoke_key(session, "city-website", clock.now())
    _check(api, caplog, "revoked", api.post(**GOOD), 403, "revoked")
    _check(api, caplog, "revoked on GET", api.get("requests.json", api_key=api.key), 403, "revoked")
    assert stored(api.services) == before
    other, _ = issue(api.services, "other-system")
    assert api.post(key=other, **GOOD).status_code == 200


def test_an_inactive_category_is_not_a_service(api: Api) -> None:
    with transaction(api.services.sessions) as session:
        category = session.get(Category, "lighting")
        assert category is not None
        category.active = False
    assert api.post(**GOOD).status_code == 404
    assert api.get("services/lighting.json").status_code == 404
    assert "lighting" not in [s["service_code"] for s in api.get("services.json").json]  # type: ignore[union-attr]


def test_too_many_requests_answer_429_with_retry_after(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.open311")
    limited, _ = issue(api.services, "small-client", limit=2)
    assert api.post(key=limited, **GOOD).status_code == 200
    clock.advance(timedelta(seconds=20))
    assert api.post(key=limited, **GOOD).status_code == 200
    before = stored(api.services)
    refused = api.post(key=limited, **GOOD)
    _check(api, caplog, "third in a minute", refused, 429, "2 requests a minute")
    assert refused.headers["Retry-After"] == "40"  # when the first of the minute leaves the window
    assert stored(api.services) == before
    assert api.post(**GOOD).status_code == 200  # the limit is per key: the other key files on
    clock.advance(timedelta(seconds=41))
    assert api.post(key=limited, **GOOD).status_code == 200


def test_bad_reads_are_refused_with_400(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.open311")
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "range over 90 days",
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            "90",
        ),
        ("91 whole days", {"start_date": "2026-08-25", "end_date": "2026-11-23"}, "90"),
        ("malformed start", {"start_date": "yesterday"}, "start_date"),
        ("no such day", {"end_date": "2026-02-30"}, "end_date"),
        ("year zero", {"start_date": "0001-01-01"}, "start_date"),
        ("end before start", {"start_date": "2026-11-20", "end_date": "2026-11-10"}, "after"),
        ("unknown status", {"status": "pending"}, "status"),
        ("unknown service_code", {"service_code": "potholes"}, "service_code"),
        ("district not a code", {"district": "1030 OR 1=1"}, "district"),
        ("unknown district", {"district": "9999"}, "district"),
        ("page zero", {"page": "0"}, "page"),
        ("page not a number", {"page": "²"}, "page"),
        ("page_size too big", {"page_size": "1000"}, "page_size"),
        ("extensions neither", {"extensions": "yes"}, "extensions"),
        ("too many ids", {"service_request_id": ",".join(f"69-AAAA{i:02d}" for i in range(201))}, "at most"),
        ("NUL in an id", {"service_request_id": "69-\x00"}, "control characters"),
    ]
    for label, params, words in cases:
        response = api.client.get(f"{BASE}/requests.json", query_string=params)
        _check(api, caplog, label, response, 400, words)
    # Bytes that are not UTF-8 (a lone surrogate's encoding) arrive as U+FFFD: not a service either.
    _check(
        api,
        caplog,
        "not UTF-8",
        api.client.get(f"{BASE}/requests.json?service_code=%ED%B2%80"),
        400,
        "service",
    )
    _check(api, caplog, "unknown id", api.get("requests/69-ZZZZZZ.json"), 404, "not found")
    _check(api, caplog, "no such path", api.get("complaints.json"), 404, "no such resource")
    _check(api, caplog, "bad format", api.get("services.html"), 400, ".json or .xml")
    _check(api, caplog, "DELETE", api.client.delete(f"{BASE}/requests.json"), 405, "not supported")
    assert (
        api.get("requests.json", start_date="2026-08-26", end_date="2026-11-23").status_code == 200
    )  # 90 days


def test_metacharacters_and_thai_in_every_field_come_back_escaped(api: Api) -> None:
    code = api.file(
        description=METACHARACTERS,
        first_name=METACHARACTERS[:60],
        last_name="ใจดี & <co>",
        address_string=METACHARACTERS,
        **{"attribute[note]": METACHARACTERS},
    )
    with transaction(api.services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None and complaint.description == METACHARACTERS
        assert complaint.reporter_name == METACHARACTERS[:60] + " ใจดี & <co>"
    xml = api.get(f"requests/{code}.xml", api_key=api.key)  # the filing key gets its description back
    assert xml.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b"<script>" not in xml.data and b"&lt;script&gt;" in xml.data
    request = ET.fromstring(xml.data).find("request")
    assert request is not None and request.findtext("description") == METACHARACTERS
    assert api.get(f"requests/{code}.json", api_key=api.key).json[0]["description"] == METACHARACTERS  # type: ignore[index]
    # An error that repeats what was sent escapes it too.
    refused = api.post(fmt="xml", **{**GOOD, "service_code": "<x>&'\""})
    assert refused.status_code == 404
    assert "<x>&'\"" in (ET.fromstring(refused.data).findtext("error/description") or "")


def test_bodies_too_large_or_malformed_get_the_specs_error_not_a_crash(api: Api) -> None:
    before = stored(api.services)
    huge = api.client.post(
        f"{BASE}/requests.json",
        data={"api_key": api.key, **GOOD, "padding": "x" * (13 * 1024 * 1024)},
    )
    assert huge.status_code == 413 and errors(huge)
    for body in (b"%ZZ=%%&api_key", b"\xff\xfe\x00\x01", b"=" * 1000, b"api_key=" + b"%ED%A0%80" * 10):
        response = api.client.post(
            f"{BASE}/requests.xml", data=body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in (400, 403), (body, response.status_code)
        assert ET.fromstring(response.data).tag == "errors"
    broken = api.client.post(
        f"{BASE}/requests.json",
        data=b'--x\r\nContent-Disposition: form-data; name="api_key"\r\n\r\n',
        content_type="multipart/form-data; boundary=x",
    )
    assert 400 <= broken.status_code < 500 and errors(broken)
    assert stored(api.services) == before


NASTY = [
    "",
    " ",
    "\x00",
    "%00",
    "' OR 1=1 --",
    "<x>&amp;</x>",
    "]]>",
    "ก" * 5000,
    "9" * 400,
    "-1",
    "1e308",
    "nan",
    "-inf",
    "0x1F",
    "１３.８",  # fullwidth digits
    "٣",  # an Arabic-Indic digit
    "2026-02-30",
    "\u202eevil",
    "🚧",
    "[]",
    "a,b,,c",
]
POST_FIELDS = [
    "api_key", "service_code", "lat", "long", "address_string", "address_id", "description", "first_name",
    "last_name", "phone", "email", "media_url", "attribute[x]", "locale", "jurisdiction_id",
]  # fmt: skip
GET_PARAMS = [
    "service_request_id", "service_code", "start_date", "end_date", "status", "page", "page_size", "district",
    "extensions", "locale", "api_key",
]  # fmt: skip
RAW_BYTES = [b"%ED%A0%80", b"%FF%FE", b"%C0%AF", b"%E0%B8", b"%", b"%%41"]  # not UTF-8, or broken escapes


def test_no_input_gets_a_server_error(api: Api) -> None:
    good = {**GOOD, "address_id": "1030"}
    for field in POST_FIELDS:
        for value in NASTY:
            response = api.post(**{**good, field: value})
            assert response.status_code < 500, (field, value[:20], response.get_data(as_text=True))
            assert response.json, (field, value[:20])
        for raw in RAW_BYTES:
            body = b"&".join(
                [b"api_key=" + api.key.encode(), b"service_code=road", b"address_id=1030", b"description=x"]
            )
            response = api.client.post(
                f"{BASE}/requests.xml",
                data=body + b"&" + field.encode() + b"=" + raw,
                content_type="application/x-www-form-urlencoded",
            )
            assert response.status_code < 500, (field, raw)
            ET.fromstring(response.data)  # well-formed XML whatever came in
    for param in GET_PARAMS:
        for value in NASTY:
            for path in ("requests.json", "requests.xml", "requests/69-ABCDEF.json"):
                response = api.client.get(f"{BASE}/{path}", query_string={param: value})
                assert response.status_code < 500, (path, param, value[:20])
        for raw in RAW_BYTES:
            response = api.client.get(f"{BASE}/requests.xml?{param}=" + raw.decode("ascii"))
            assert response.status_code < 500, (param, raw)
            ET.fromstring(response.data)
    for path in (
        "services/%00.json",
        "services/%ED%A0%80.xml",
        "requests/%3Cx%3E.xml",
        "services/a.b.c.json",
    ):
        assert api.client.get(f"{BASE}/{path}").status_code in (400, 404), path
