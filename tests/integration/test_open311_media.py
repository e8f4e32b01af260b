"""Open311 photos: `media_url` fetched only from allowed hosts and with every limit, `media` uploads checked
the same way; a refused photo refuses the request and stores nothing (both databases).

The image host is a local HTTP server on 127.0.0.1, which the tests allow explicitly.
"""

from __future__ import annotations

import dataclasses
import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.open311 import media
from bot.open311.render import Open311Error
from bot.services import Services
from bot.settings import ConfigError, Settings, settings_from_env
from models import Complaint, Photo
from models.db import transaction
from models.photos import MAX_PHOTO_BYTES
from tests.conftest import make_settings
from tests.open311_common import Api, errors, make_api, png, stored

PNG = png((64, 48))


class ImageHost(BaseHTTPRequestHandler):
    """What an image host may answer: a photo, something else, too much, a redirect, slowly."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        port = self.server.server_address[1]
        if self.path.startswith("/photo.png"):
            self._send(200, PNG, "image/png")
        elif self.path == "/note.txt":
            self._send(200, b"not a picture", "text/plain")
        elif self.path == "/fake.jpg":
            self._send(200, b"\xff\xd8\xff\xe0 a JPEG header and nothing more", "image/jpeg")
        elif self.path == "/declared-big":
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_PHOTO_BYTES + 1))
            self.end_headers()
            self._write(PNG)
        elif self.path == "/endless":  # no length given: the reader must stop by itself
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            for _ in range(MAX_PHOTO_BYTES // 65536 + 20):
                if not self._write(PNG + b"\0" * (65536 - len(PNG))):
                    return
        elif self.path == "/same-host":
            self._redirect("/photo.png")
        elif self.path == "/other-host":
            self._redirect(f"http://localhost:{port}/photo.png")
        elif self.path == "/slow":
            time.sleep(1.0)
            self._send(200, PNG, "image/png")
        else:
            self._send(404, b"no", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            return True
        except OSError:  # the client stopped reading: what the size limit does
            return False

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def host() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ImageHost)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    # 127.0.0.1 is loopback: allowed only because it is written on the list; localhost is listed by name.
    return make_settings(db_url, tmp_path, OPEN311_MEDIA_HOSTS="127.0.0.1, localhost")


@pytest.fixture
def api(app: Flask, client: FlaskClient, services: Services) -> Api:
    return make_api(app, client, services)


def refused(api: Api, words: str, **fields: object) -> None:
    before = stored(api.services)
    response = api.post(
        **{"service_code": "lighting", "lat": "13.8040", "long": "100.5530", "description": "ไฟดับ", **fields}
    )  # type: ignore[arg-type]
    assert response.status_code == 400, response.get_data(as_text=True)
    (error,) = errors(response)
    assert words in error["description"], error
    assert stored(api.services) == before


def photo_of(api: Api, code: str) -> Photo:
    with transaction(api.services.sessions) as session:
        photo = session.scalar(
            select(Photo)
            .join(Complaint, Photo.complaint_id == Complaint.id)
            .where(Complaint.tracking_code == code)
        )
        assert photo is not None
        session.expunge(photo)
        return photo


def test_an_image_on_an_allowed_host_is_fetched_stored_and_shown(api: Api, host: str) -> None:
    code = api.file(media_url=f"{host}/photo.png?size=large")
    photo = photo_of(api, code)
    assert (photo.content_type, photo.size_bytes, photo.citizen_id) == ("image/png", len(PNG), None)
    assert (api.services.settings.photo_dir / photo.path).read_bytes() == PNG
    link = api.get(f"requests/{code}.json").json[0]["media_url"]  # type: ignore[index]
    assert link.startswith(api.services.settings.public_base_url + "/media/photos/")
    assert api.client.get(link.removeprefix(api.services.settings.public_base_url)).data == PNG
    assert (
        api.post(  # a redirect to the same host is followed
            service_code="road",
            lat="13.8040",
            long="100.5530",
            description="ถนนพัง",
            media_url=f"{host}/same-host",
        ).status_code
        == 200
    )


def test_media_urls_that_are_not_safe_images_are_refused(
    api: Api, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = host.rsplit(":", 1)[1]
    refused(api, "not an image", media_url=f"{host}/note.txt")
    refused(api, "not an image", media_url=f"{host}/fake.jpg")
    refused(api, "larger than 10 MB", media_url=f"{host}/declared-big")
    refused(api, "larger than 10 MB", media_url=f"{host}/endless")
    refused(api, "HTTP 404", media_url=f"{host}/missing.png")
    refused(api, "another host", media_url=f"{host}/other-host")
    refused(api, "not on this server's list", media_url="http://images.example.org/a.png")
    refused(api, "not on this server's list", media_url=f"http://[::ffff:127.0.0.1]:{port}/photo.png")
    refused(api, "http or https", media_url=f"ftp://127.0.0.1:{port}/photo.png")
    refused(api, "http or https", media_url="javascript:alert(1)")
    refused(api, "user name or password", media_url=f"http://user:pw@127.0.0.1:{port}/photo.png")
    refused(api, "not a URL", media_url="http://127.0.0.1:99999999/photo.png")
    refused(api, "could not be fetched", media_url="http://127.0.0.1:9/photo.png")  # nothing listens
    monkeypatch.setattr(media, "READ_TIMEOUT_S", 0.2)
    refused(api, "could not be", media_url=f"{host}/slow")


def test_a_listed_name_that_resolves_to_a_private_address_is_refused(api: Api, host: str) -> None:
    port = host.rsplit(":", 1)[1]
    settings = api.services.settings
    api.services.settings = dataclasses.replace(settings, open311_media_hosts=frozenset({"localhost"}))
    refused(api, "private or local address", media_url=f"http://localhost:{port}/photo.png")
    # A name on the list whose DNS answer is an inner address is refused, whatever the name.
    with pytest.raises(Open311Error, match="private or local"):
        media.fetch(
            "http://images.example.org/a.png", frozenset({"images.example.org"}), lambda h, p: ["10.1.2.3"]
        )
    with pytest.raises(Open311Error, match="private or local"):  # one bad address of several is enough
        media.fetch(
            "https://images.example.org/a.png",
            frozenset({"images.example.org"}),
            lambda h, p: ["93.184.216.34", "169.254.169.254"],
        )
    with pytest.raises(Open311Error, match="cannot be resolved"):
        media.fetch("http://images.example.org/a.png", frozenset({"images.example.org"}), lambda h, p: [])


def test_fetching_is_off_unless_hosts_are_listed(api: Api, host: str) -> None:
    api.services.settings = dataclasses.replace(api.services.settings, open311_media_hosts=frozenset())
    refused(api, "does not fetch media_url", media_url=f"{host}/photo.png")


def test_uploads_are_checked_like_fetched_images(api: Api) -> None:
    def upload(*files: tuple[bytes, str]) -> dict[str, object]:
        return {"media": [(io.BytesIO(data), name) for data, name in files]}

    def post(**fields: object) -> object:
        return api.client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": api.key,
                "service_code": "road",
                "address_id": "1030",
                "description": "หลุม",
                **fields,
            },
            content_type="multipart/form-data",
        )

    before = stored(api.services)
    for files, words in (
        (upload((b"%PDF-1.4 not a photo", "scan.pdf")), "not an image"),
        (upload((PNG + b"\0" * MAX_PHOTO_BYTES, "huge.png")), "larger than 10 MB"),
        (upload(*[(PNG, f"{i}.png") for i in range(5)]), "at most 4 photos"),
    ):
        response = post(**files)
        assert response.status_code == 400, response.get_data(as_text=True)  # type: ignore[attr-defined]
        assert words in errors(response)[0]["description"]  # type: ignore[arg-type]
    assert stored(api.services) == before
    filed = post(**upload((PNG, "a.png"), (png((10, 10)), "b.png")))
    assert filed.status_code == 200  # type: ignore[attr-defined]
    assert stored(api.services)[2] == before[2] + 2


def test_the_allowed_hosts_setting_is_read_and_checked(tmp_path: Path) -> None:
    def hosts(value: str) -> frozenset[str]:
        return settings_from_env(
            {"PHOTO_DIR": str(tmp_path), "OPEN311_MEDIA_HOSTS": value}
        ).open311_media_hosts

    assert settings_from_env({"PHOTO_DIR": str(tmp_path)}).open311_media_hosts == frozenset()
    assert hosts(" Images.Example.org, [::1] ,127.0.0.1,, ") == {"images.example.org", "::1", "127.0.0.1"}
    for bad in ("http://images.example.org", "images.example.org/photos", "*.example.org", ".example.org"):
        with pytest.raises(ConfigError, match="OPEN311_MEDIA_HOSTS"):
            hosts(bad)
