"""What the admin web tests share: five accounts, two complaints in two districts, signing in.

`world` is a fixture (this module is a plugin of tests/conftest.py: no import needed); `sign_in`
fills the real log-in form, CSRF token included.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from PIL import Image

from bot.services import Services
from models import Citizen, Photo, staff
from models.complaint_operations import file_complaint
from models.db import transaction
from models.staff import add_user
from models.working_days import load_calendar

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
USERS = {  # username: (role, district)
    "centre": ("admin", None),
    "head1030": ("head", "1030"),
    "officer1030": ("officer", "1030"),
    "officer1001": ("officer", "1001"),
    "viewer": ("viewer", None),
}
TEST_HASH_METHOD = "scrypt:1024:8:1"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


# scrypt costs a tenth of a second a hash and as much again at each sign-in, on purpose; the tests'
# accounts would cost minutes in all. Their passwords are hashed once per run with a light scrypt
# (N=1024): the sign-in still runs the real check, which reads the cost from the hash itself.
# tests/unit/test_password_hashing.py holds the production cost.
_hash_once = functools.cache(functools.partial(staff.generate_password_hash, method=TEST_HASH_METHOD))


@pytest.fixture
def world(services: Services, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The five accounts; a complaint in Chatuchak (1030) with a photo and one in Phra Nakhon (1001)."""
    monkeypatch.setattr(staff, "generate_password_hash", _hash_once)
    photo_dir = services.settings.photo_dir
    photo_dir.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (160, 120), (200, 120, 40)).save(photo_dir / "before.png")
    with transaction(services.sessions) as session:
        for name, (role, district) in USERS.items():
            add_user(session, name, PASSWORD, role, district, NOW)
        person = Citizen(line_user_id="U" + "1" * 32, created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        calendar = load_calendar(session)
        codes = {}
        for key, district, text in (("ours", "1030", f"ไฟดับ {XSS}"), ("theirs", "1001", "ขยะล้นถัง")):
            photo = Photo(
                citizen_id=person.id,
                path="before.png",
                content_type="image/png",
                size_bytes=(photo_dir / "before.png").stat().st_size,
                sha256="x",
                created_at=NOW,
            )
            session.add(photo)
            session.flush()
            complaint = file_complaint(
                session,
                person,
                description=text,
                category="ไฟฟ้า",
                district_code=district,
                latitude=None,
                longitude=None,
                photos=[photo],
                at=NOW,
                calendar=calendar,
            )
            codes[key] = complaint.tracking_code
            codes[f"{key}_photo"] = str(photo.id)
    return codes


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def listed(page: str) -> set[str]:
    """The tracking codes in a complaint list (the rows' links, not the search box)."""
    return set(re.findall(r'href="/admin/complaints/([0-9]{2}-[A-Z0-9]{6})"', page))


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login", data={"username": username, "password": password, "csrf_token": token(page)}
    )
    return response.status_code
