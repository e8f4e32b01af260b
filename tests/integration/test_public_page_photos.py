"""`/c/<code>`: the before and after photos, the place on a small map and the preview for LINE (issue 16
point 1), on both databases. A photo staff hid is neither shown, linked nor previewed; a category that
could reveal the complainant's home shows only its ~500 m cell; what anyone typed is shown escaped."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.services import Services
from bot.settings import Settings
from models import Complaint, ComplaintEvent, Photo
from models.clock import clock
from models.complaint_operations import hide_from_public
from models.db import transaction
from models.open_data import public_place
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import ADMIN, act
from tests.conftest import make_settings
from tests.public_common import phoned_in

ENTERED = datetime(2026, 12, 4, 10, 0, tzinfo=BANGKOK)
BASE = "https://rongtook.example"
PNG = b"\x89PNG\r\n\x1a\n stub"  # served as stored: the page test needs a file, not a picture


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, PUBLIC_BASE_URL=BASE)


def _photo(session, complaint: Complaint, event: ComplaintEvent | None) -> int:  # type: ignore[no-untyped-def]
    made = Photo(
        path="x.png",
        content_type="image/png",
        size_bytes=1,
        sha256="x",
        created_at=ENTERED,
        complaint_id=complaint.id,
        event_id=event.id if event else None,
    )
    session.add(made)
    session.flush()
    return made.id


def handled(services: Services, hide_first: bool = False, **filed: str) -> tuple[str, list[int], list[int]]:
    """Phoned in with two photos of the reporter's, then resolved by the district with one; its code and
    the photo ids (before, after). `hide_first`: staff hid the reporter's first photo."""
    code = phoned_in(services, ENTERED, **filed)  # type: ignore[arg-type]
    services.settings.photo_dir.mkdir(parents=True, exist_ok=True)
    (services.settings.photo_dir / "x.png").write_bytes(PNG)
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        filing = session.scalar(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "filed"
            )
        )
        before = [_photo(session, complaint, filing), _photo(session, complaint, filing)]
        act(session, "acknowledge", complaint, at=datetime(2026, 12, 4, 11, tzinfo=BANGKOK))
        fixed = _photo(session, complaint, None)
        resolved = act(
            session,
            "resolve",
            complaint,
            at=datetime(2026, 12, 5, 11, tzinfo=BANGKOK),
            photos=[session.get(Photo, fixed)],
        )
        assert resolved.kind == "resolved"
        if hide_first:
            at = datetime(2026, 12, 5, 12, tzinfo=BANGKOK)
            hide_from_public(session, complaint, ADMIN, at, "photo", before[0], "เห็นหน้าบ้านผู้แจ้ง")
    clock.freeze(datetime(2026, 12, 6, 9, 0, tzinfo=BANGKOK))
    return code, before, [fixed]


def images(page: str) -> list[tuple[str, str, str]]:
    """Each photo on the page: its link, its src and its alt text."""
    return [
        (html.unescape(href), html.unescape(src), html.unescape(alt))
        for href, src, alt in re.findall(
            r'<a href="([^"]+)"><img src="([^"]+)" alt="([^"]+)" loading="lazy"', page
        )
    ]


def test_before_and_after_photos_with_alt_texts_link_to_the_full_image(
    client: FlaskClient, services: Services
) -> None:
    code, before, after = handled(services)
    response = client.get(f"/c/{code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = images(page)
    assert [alt for _, _, alt in shown] == [
        f"รูปก่อนแก้ไข 1 ของเรื่อง {code}",
        f"รูปก่อนแก้ไข 2 ของเรื่อง {code}",
        f"รูปหลังแก้ไข 1 ของเรื่อง {code}",
    ]
    for (href, src, _), photo in zip(shown, before + after, strict=True):
        assert href == src and src.startswith(f"/media/photos/{photo}/")
        assert client.get(src).status_code == 200  # the public link serves it, to anyone
    assert 'data-testid="photos-before"' in page and 'data-testid="photos-after"' in page
    # The preview in LINE: the first photo, by its absolute public link, with its alt text.
    og = re.search(r'<meta property="og:image" content="([^"]+)">', page)
    assert og is not None and og.group(1) == f"{BASE}{shown[0][1]}"
    assert f'<meta property="og:image:alt" content="รูปก่อนแก้ไข 1 ของเรื่อง {code}">' in page

    english = client.get(f"/c/{code}?lang=en").get_data(as_text=True)
    assert [alt for _, _, alt in images(english)] == [
        f"Before photo 1 of complaint {code}",
        f"Before photo 2 of complaint {code}",
        f"After photo 1 of complaint {code}",
    ]


def test_a_hidden_photo_is_neither_shown_nor_linked_nor_previewed(
    client: FlaskClient, services: Services
) -> None:
    code, before, after = handled(services, hide_first=True)
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert f"/media/photos/{before[0]}/" not in page
    shown = images(page)
    assert [src.split("/")[3] for _, src, _ in shown] == [str(before[1]), str(after[0])]
    assert shown[0][2] == f"รูปก่อนแก้ไข 1 ของเรื่อง {code}"  # numbered among what is shown
    og = re.search(r'<meta property="og:image" content="([^"]+)">', page)
    assert og is not None and f"/media/photos/{before[1]}/" in og.group(1)
    assert client.get(shown[0][1]).status_code == 200


def test_no_photo_no_preview_image(client: FlaskClient, services: Services) -> None:
    code = phoned_in(services, ENTERED)
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert "og:image" not in page and "<img" not in page
    assert 'data-testid="photos-before"' not in page


def test_without_a_public_address_there_is_no_preview_image(db_url: str, tmp_path: Path) -> None:
    from bot.app import create_app

    real_line = {"LINE_CHANNEL_SECRET": "s" * 32, "LINE_CHANNEL_ACCESS_TOKEN": "t", "SECRET_KEY": "k" * 32}
    local = make_settings(db_url, tmp_path, PUBLIC_BASE_URL="", **real_line)  # the sandbox has its own
    assert local.public_base_url is None
    services = Services.from_settings(local)
    try:
        code, _, _ = handled(services)
        page = create_app(services=services).test_client().get(f"/c/{code}").get_data(as_text=True)
        assert "og:image" not in page and len(images(page)) == 3
    finally:
        services.engine.dispose()


def test_the_place_is_on_the_map_exactly_or_to_its_500_m_cell(
    client: FlaskClient, services: Services
) -> None:
    lit = phoned_in(services, ENTERED)
    page = client.get(f"/c/{lit}").get_data(as_text=True)
    assert 'data-lat="13.804" data-lon="100.553"' in page and 'data-coarse=""' in page
    assert "ละติจูด 13.804 ลองจิจูด 100.553" in page
    assert "/map/leaflet/leaflet.js" in page and "district=1030" in page

    noisy = phoned_in(services, ENTERED, category="เสียงรบกวน")
    assert "เสียงรบกวน" in services.settings.public_coarse_categories
    latitude, longitude, precision = public_place(13.8040, 100.5530, True)
    assert precision == "500m"
    page = client.get(f"/c/{noisy}").get_data(as_text=True)
    assert f'data-lat="{latitude}" data-lon="{longitude}"' in page and 'data-coarse="true"' in page
    assert "13.804 " not in page and '13.804"' not in page and "100.553" not in page
    assert "500 เมตร" in page

    nowhere = phoned_in(services, ENTERED, latitude=None, longitude=None)  # type: ignore[arg-type]
    page = client.get(f"/c/{nowhere}").get_data(as_text=True)
    assert 'data-testid="place-map"' not in page and "leaflet.js" not in page


def test_what_anyone_typed_is_shown_escaped(client: FlaskClient, services: Services) -> None:
    script = '<script>alert("x")</script>'
    code, _, _ = handled(services, category=f"ไฟ{script}", description=f"ไฟดับ {script}")
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert script not in page  # neither the category (shown, escaped) nor the description (never shown)
    assert "&lt;script&gt;" in page
    og_title = re.search(r'<meta property="og:title" content="([^"]*)">', page)
    assert og_title is not None and "<" not in og_title.group(1) and "&lt;script&gt;" in og_title.group(1)
    assert "ไฟดับ" not in page
