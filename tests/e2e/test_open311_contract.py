"""Contract: every Open311 JSON answer validated against the schema definitions of the GeoReport v2 swagger
(`../shared/open311/georeport-v2.swagger.json`, read where it lies, never copied) with `jsonschema`;
and checks that an answer breaking those schemas really fails. Both databases.

Where the swagger and the spec text (`GeoReport_v2.md`) disagree, the spec text wins:
 1. The single request is `requests/{id}` in the spec, `request/{id}` (singular) in the swagger: both are
    served (the plural as the spec's, the singular as an alias); both validated here.
 2. The swagger's single request answers one `Request` object; the spec's example answers the
    `service_requests` list: we answer a list of one, each item validated against `Request`.
 3. The swagger documents only a 200 for POST requests; the spec names 400 (bad request), 403 (api_key)
    and 404 (service_code); we answer those (and 429 past a key's rate limit) in the spec's error format,
    which the swagger does not define: the errors are validated against a schema read off the spec text.
 4. The swagger makes `jurisdiction_id` required everywhere; the spec requires it only of endpoints serving
    several jurisdictions: we serve one, and ignore it.
 5. The swagger's GET requests answers 401 for an unknown jurisdiction; the spec says 404 (not applicable
    here, see 4).
 6. The swagger's `status` filter is one enum value; the spec lets it be repeated or comma-separated
    (open,closed): both are taken.
 7. The swagger has POST parameters `in: query`; the spec sends them as a form body: both are read.
 8. The spec's JSON examples carry `null` for absent fields (description, agency_responsible); the swagger
    types them as strings, which null would break: absent fields are left out.
 9. Tokens (`tokens/{id}`) exist for `batch` services; ours are `realtime` (the POST returns the tracking
    code), so no token is issued and that path is not served.
"""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from sqlalchemy import select

from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from handlers.use_cases import Actor
from models import Category, Complaint
from models.db import transaction
from tests.complaint_actions_common import photo
from tests.open311_common import BASE, Api, issue, make_api, png

SWAGGER = Path(__file__).resolve().parents[3] / "shared" / "open311" / "georeport-v2.swagger.json"
W3_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
# The spec text's error answer (the swagger has none): a list of {code, description}.
ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}

formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _w3_date_time(value: object) -> bool:
    """The spec's w3 format, its offset required: 2010-01-01T00:00:00Z or …+07:00."""
    if not isinstance(value, str):
        return True
    if not W3_DATE_TIME.match(value):
        raise ValueError(f"not a w3 date-time with an offset: {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@formats.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URI: {value!r}")
    return True


@pytest.fixture(scope="module")
def swagger() -> dict[str, Any]:
    assert SWAGGER.is_file(), f"the shared swagger is missing: {SWAGGER}"  # a failure, never a skip
    return json.loads(SWAGGER.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validator(swagger: dict[str, Any], schema: dict[str, Any]) -> Draft4Validator:
    """A validator of `schema` whose $refs resolve in the swagger's definitions."""
    whole = {"definitions": swagger["definitions"], **copy.deepcopy(schema)}
    Draft4Validator.check_schema(whole)
    return Draft4Validator(whole, format_checker=formats)


def response_schema(swagger: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The swagger's own 200 schema of a path."""
    return swagger["paths"][path][method]["responses"]["200"]["schema"]  # type: ignore[no-any-return]


def valid(swagger: dict[str, Any], schema: dict[str, Any], body: Any) -> Any:
    validator(swagger, schema).validate(body)
    return body


@pytest.fixture
def api(app: Flask, client: FlaskClient, services: Services) -> Api:
    return make_api(app, client, services)


def test_every_json_answer_matches_the_swagger(api: Api, swagger: dict[str, Any]) -> None:
    requests_get = response_schema(swagger, "/requests.{response_format}", "get")
    request_item = {"$ref": "#/definitions/Request"}
    post_answer = response_schema(swagger, "/requests.{response_format}", "post")

    services = api.get("services.json")
    valid(swagger, response_schema(swagger, "/services.{response_format}", "get"), services.json)
    for locale in ("th", "en"):
        valid(
            swagger,
            {"type": "array", "items": {"$ref": "#/definitions/Service"}},
            api.get("services.json", locale=locale).json,
        )
    with transaction(api.services.sessions) as session:
        road = session.get(Category, "road")
        assert road is not None
        road.attributes = [
            {
                "variable": True,
                "code": "lanes",
                "datatype": "multivaluelist",
                "required": False,
                "datatype_description": "ช่องจราจร",
                "order": 1,
                "description": "Which lanes?",
                "values": [{"key": "1", "name": "ซ้าย"}, {"key": "2", "name": "ขวา"}],
            }
        ]
    for code in ("road", "lighting"):
        definition = api.get(f"services/{code}.json").json
        valid(
            swagger, response_schema(swagger, "/services/{service_code}.{response_format}", "get"), definition
        )

    filed = api.client.post(
        f"{BASE}/requests.json",
        data={
            "api_key": api.key,
            "service_code": "road",
            "lat": "13.8040",
            "long": "100.5530",
            "description": "ถนนเป็นหลุม <ลึก> & 'อันตราย'",
            "attribute[lanes][]": ["1", "2"],
            "media": (io.BytesIO(png()), "hole.png"),
        },
        content_type="multipart/form-data",
    )
    assert filed.status_code == 200, filed.get_data(as_text=True)
    valid(swagger, post_answer, filed.json)
    code = filed.json[0]["service_request_id"]  # type: ignore[index]
    second = api.file(service_code="lighting", address_id="1007")
    with transaction(api.services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == second))
        assert complaint is not None
        acting = use_cases.Acting(
            session, Actor("admin", None, None, "centre"), complaint.created_at, Links(b"k" * 32, None)
        )
        use_cases.acknowledge(acting, complaint)
        use_cases.resolve(acting, complaint, "ซ่อมแล้ว", [photo(session)])

    answers = []
    for params in ({}, {"extensions": "true"}, {"extensions": "true", "locale": "en", "api_key": api.key}):
        listed = api.get("requests.json", **params).json
        assert {r["service_request_id"] for r in listed} == {code, second}  # type: ignore[union-attr]
        answers.append(valid(swagger, requests_get, listed))
        for path in (f"requests/{code}.json", f"request/{code}.json", f"requests/{second}.json"):
            one = api.get(path, **params).json
            assert isinstance(one, list) and len(one) == 1  # the spec's list (difference 2)
            valid(swagger, requests_get, one)
            valid(swagger, request_item, one[0])  # the swagger's single Request
    with_photo = next(r for r in answers[0] if r["service_request_id"] == code)
    assert with_photo["media_url"].startswith("http")  # a uri, checked as one
    closed = next(r for r in answers[1] if r["service_request_id"] == second)
    assert closed["status"] == "closed" and closed["notes"]

    errors = validator(swagger, ERRORS)
    limited, _ = issue(api.services, "one-a-minute", limit=1)
    api.post(key=limited, service_code="road", address_id="1030", description="x")
    for response, status in (
        (api.post(service_code="nothing", address_id="1030", description="x"), 404),
        (api.post(key="wrong", service_code="road"), 403),
        (api.post(service_code="road", description="x"), 400),
        (api.post(key=limited, service_code="road", address_id="1030", description="x"), 429),
        (api.get("requests.json", start_date="not a date"), 400),
        (api.get("requests/69-ZZZZZZ.json"), 404),
        (api.get("services/nothing.json"), 404),
    ):
        assert response.status_code == status
        errors.validate(response.json)
        assert response.json[0]["code"] == status  # type: ignore[index]


def test_an_answer_that_breaks_the_swagger_fails_validation(api: Api, swagger: dict[str, Any]) -> None:
    code = api.file()
    requests_get = response_schema(swagger, "/requests.{response_format}", "get")
    good = api.get(f"requests/{code}.json").json
    valid(swagger, requests_get, good)
    broken_requests: list[tuple[str, Any]] = [
        ("status not open or closed", lambda r: r.update(status="pending")),
        ("no service_request_id", lambda r: r.pop("service_request_id")),
        ("no requested_datetime", lambda r: r.pop("requested_datetime")),
        ("lat as text", lambda r: r.update(lat="13.8")),
        ("a null where a string goes", lambda r: r.update(description=None)),
        ("a date-time without its offset", lambda r: r.update(updated_datetime="2026-11-23T09:00:00")),
        ("a date that is not one", lambda r: r.update(expected_datetime="tomorrow")),
        ("media_url not a URI", lambda r: r.update(media_url="not a link")),
    ]
    for label, breaks in broken_requests:
        body = copy.deepcopy(good)
        breaks(body[0])  # type: ignore[index]
        with pytest.raises(ValidationError):
            valid(swagger, requests_get, body)
            pytest.fail(f"not caught: {label}")
    with pytest.raises(ValidationError):
        valid(swagger, requests_get, good[0])  # type: ignore[index]  # an object where a list goes

    services = response_schema(swagger, "/services.{response_format}", "get")
    service = api.get("services.json").json[0]  # type: ignore[index]
    for change in ({"type": "instant"}, {"metadata": "yes"}, {"service_name": 5}):
        with pytest.raises(ValidationError):
            valid(swagger, services, [{**service, **change}])
    definition = response_schema(swagger, "/services/{service_code}.{response_format}", "get")
    with pytest.raises(ValidationError):
        valid(swagger, definition, {"service_code": "road"})  # attributes missing
    with pytest.raises(ValidationError):
        valid(
            swagger, definition, {"service_code": "road", "attributes": [{"code": "x", "datatype": "colour"}]}
        )
    with pytest.raises(ValidationError):
        validator(swagger, ERRORS).validate([{"code": "400"}])
