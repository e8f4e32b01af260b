"""What the Open311 tests share: an API client with a key, the district index, posting and counting.

A test module's `api` fixture returns `make_api(app, client, services)`: the app's clock frozen on a
Monday morning, a key issued then, the real district boundaries in the app's index.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from bot.open311.places import LOCATOR_KEY
from bot.services import Services
from models import Complaint, ComplaintEvent, Photo
from models.api_keys import issue_key
from models.clock import clock
from models.db import transaction
from tests.citizen_chat import bangkok_locator

BANGKOK = ZoneInfo("Asia/Bangkok")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=BANGKOK)  # acknowledgement due Tue 24 Nov 23:59:59
BASE = "/open311/v2"
JATUJAK = (13.8040, 100.5530)  # in Chatuchak (1030)
OUTSIDE = (13.69, 100.7501)  # Samut Prakan: no Bangkok district


@dataclass
class Api:
    client: FlaskClient
    services: Services
    key: str
    key_id: int

    def post(self, fmt: str = "json", key: str | None = "", **fields: Any) -> TestResponse:
        """POST requests.<fmt> with the key (unless key=None) and these fields; lists repeat a field."""
        data: dict[str, Any] = {"api_key": self.key if key == "" else key, **fields}
        data = {k: v for k, v in data.items() if v is not None}
        return self.client.post(f"{BASE}/requests.{fmt}", data=data)

    def file(self, **fields: Any) -> str:
        """File a valid request (a lighting fault in Chatuchak unless told otherwise); its tracking code."""
        values = {
            "service_code": "lighting",
            "lat": str(JATUJAK[0]),
            "long": str(JATUJAK[1]),
            "description": "ไฟถนนดับ 3 ต้น หน้าซอย 5",
            **fields,
        }
        response = self.post(**values)
        assert response.status_code == 200, response.get_data(as_text=True)
        return str(response.json[0]["service_request_id"])  # type: ignore[index]

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(f"{BASE}/{path}", query_string=params)


def issue(services: Services, name: str = "city-website", limit: int = 60) -> tuple[str, int]:
    with transaction(services.sessions) as session:
        row, secret = issue_key(session, name, clock.now(), limit)
        return secret, row.id


def make_api(app: Flask, client: FlaskClient, services: Services) -> Api:
    clock.freeze(MONDAY)
    app.extensions[LOCATOR_KEY] = bangkok_locator()  # the real boundaries, without loading them per test
    secret, key_id = issue(services)
    return Api(client, services, secret, key_id)


def stored(services: Services) -> tuple[int, int, int]:
    """Complaints, events and photos in the database: a refused request must add none."""
    with transaction(services.sessions) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Complaint, ComplaintEvent, Photo)
        )


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def errors(response: TestResponse) -> list[dict[str, Any]]:
    """The spec's error list of a JSON answer, checked for its shape."""
    body = response.json
    assert isinstance(body, list) and body, response.get_data(as_text=True)
    for error in body:
        assert set(error) == {"code", "description"} and error["code"] == response.status_code
        assert isinstance(error["description"], str) and error["description"]
    return body
