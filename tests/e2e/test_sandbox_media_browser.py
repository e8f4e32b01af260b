"""What a newcomer does first on the sandbox page, in real headless Chromium against a live server and worker.

Stickers, videos and voice messages reach the bot as LINE's webhook spec has them (and the bot says it
cannot use them); a location shows its name and address; the page loads without a 404; the location
panel offers first a place in the demo officer's district, so that a first complaint reaches her; and
`rongtook run` names that district.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from linebot.v3.webhooks import (
    AudioMessageContent,
    LocationMessageContent,
    MessageEvent,
    StickerMessageContent,
    VideoMessageContent,
)
from playwright.sync_api import Response, expect
from sqlalchemy import update

from bot.cli import sandbox_officer_notice
from bot.sandbox.demo import SANDBOX_OFFICER
from bot.services import Services
from models import Officer
from models.db import transaction
from models.districts import DistrictBoundary, DistrictLocator
from tests.conftest import SHARED_GEOJSON, LiveServer
from tests.e2e.test_procfile import free_port
from tests.sandbox_page import CITIZEN, OFFICER, Chat, voice_wav
from texts import say

STICKER_ANSWER = say("sticker")
MEDIA_ANSWER = say("unsupported_message")
LINK_CODE = re.compile(r"send ([A-Z2-9]{10}) to the bot")
# Not a playable film, but a video file to the page and the fake content API alike.
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)


@pytest.fixture
def chat(sandbox_chat: Chat) -> Chat:
    return sandbox_chat


def delivered_message(chat: Chat, kind: str) -> MessageEvent:
    """The one message event of `kind` the page delivered to /callback, read by the LINE SDK's own models."""
    found = [
        event
        for body in chat.delivered
        for event in body["events"]
        if event["type"] == "message" and event["message"]["type"] == kind
    ]
    assert len(found) == 1, chat.delivered
    return MessageEvent.from_dict(found[0])


def content_from_fake_line(live_server: LiveServer, services: Services, message_id: str) -> tuple[bytes, str]:
    """What the bot gets when it fetches a message's content from (the sandbox's) LINE."""
    request = urllib.request.Request(
        f"{live_server.url}/sandbox/line/v2/bot/message/{message_id}/content",
        headers={"Authorization": f"Bearer {services.settings.line_channel_access_token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read(), response.headers.get_content_type()


# --- the page itself ---------------------------------------------------------------------------


@pytest.mark.browser
def test_the_page_loads_without_a_failed_request_and_has_an_icon(chat: Chat) -> None:
    failed: list[str] = []

    def check(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    chat.page.on("response", check)
    chat.open()
    expect(chat.page.get_by_text("ยังไม่มีข้อความ")).to_be_visible()
    chat.page.wait_for_load_state("networkidle")
    chat.page.reload()  # a second load too (cached or not, nothing may be missing)
    expect(chat.page.get_by_test_id("user-select")).to_have_value(re.compile(r"^U"))
    chat.page.wait_for_timeout(800)  # more than one poll
    assert failed == []

    icon = chat.page.locator("link[rel=icon]")
    expect(icon).to_have_count(1)
    served = chat.page.request.get(str(icon.evaluate("link => link.href")))
    assert (served.status, served.headers["content-type"]) == (200, "image/svg+xml; charset=utf-8")


# --- stickers, videos and voice messages -------------------------------------------------------


@pytest.mark.browser
def test_a_sticker_is_sent_as_line_sends_it_and_answered(chat: Chat) -> None:
    chat.open()
    chat.send_sticker("👍")

    mine = chat.bubbles.and_(chat.page.locator("[data-direction=user][data-type=message]"))
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("👍")
    expect(mine).to_contain_text("สติกเกอร์")
    expect(chat.bot(STICKER_ANSWER)).to_be_visible()
    message = delivered_message(chat, "sticker").message
    assert isinstance(message, StickerMessageContent)
    assert (message.package_id, message.sticker_id, message.sticker_resource_type) == (
        "11537",
        "52002734",
        "ANIMATION",
    )
    assert message.quote_token


@pytest.mark.browser
def test_a_voice_message_and_a_video_are_sent_served_and_answered(
    chat: Chat, services: Services, live_server: LiveServer
) -> None:
    chat.open()
    voice = voice_wav(seconds=2.0)
    chat.send_media("voice.wav", "audio/wav", voice)
    spoken = chat.user("ข้อความเสียง")
    expect(spoken).to_contain_text("0:02")  # the length the page read from the file
    expect(spoken.locator("audio")).to_have_js_property("duration", 2)  # it plays from the sandbox
    expect(chat.bot(MEDIA_ANSWER)).to_have_count(1)

    audio = delivered_message(chat, "audio").message
    assert isinstance(audio, AudioMessageContent)
    assert (audio.duration, audio.content_provider.type) == (2000, "line")
    assert content_from_fake_line(live_server, services, audio.id) == (voice, "audio/wav")

    chat.send_media("clip.mp4", "video/mp4", FAKE_MP4)
    expect(chat.user("วิดีโอ").locator("video")).to_have_count(1)
    expect(chat.bot(MEDIA_ANSWER)).to_have_count(2)
    video = delivered_message(chat, "video").message
    assert isinstance(video, VideoMessageContent)
    assert (video.duration, video.content_provider.type) == (None, "line")  # a file that tells no length
    assert video.quote_token
    assert content_from_fake_line(live_server, services, video.id) == (FAKE_MP4, "video/mp4")


@pytest.mark.browser
def test_a_file_that_is_neither_video_nor_audio_is_refused(chat: Chat) -> None:
    chat.open()
    chat.send_media("notes.txt", "text/plain", b"hello")
    expect(chat.page.get_by_test_id("notice")).to_contain_text("วิดีโอหรือไฟล์เสียง")
    assert chat.sent == []


# --- locations ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_location_shows_its_name_and_address(districts: None, chat: Chat) -> None:
    chat.open()
    chat.page.get_by_test_id("location-button").click()
    chat.page.get_by_test_id("landmark-select").select_option(label="สยามพารากอน")
    expect(chat.page.get_by_test_id("place-title-input")).to_have_value("สยามพารากอน")
    chat.page.get_by_test_id("send-location-button").click()
    named = chat.user("📍 สยามพารากอน")
    expect(named).to_contain_text("ถนนพระรามที่ 1 ปทุมวัน")
    expect(named).to_contain_text("13.74620, 100.53470")
    expect(chat.bot("สำนักงานเขตปทุมวัน")).to_be_visible()

    # Typed coordinates and a typed name; the address is the district's, as LINE's app would fill in.
    chat.page.get_by_test_id("location-button").click()
    chat.page.get_by_test_id("latitude-input").fill("13.7563")
    chat.page.get_by_test_id("longitude-input").fill("100.5018")
    expect(chat.page.get_by_test_id("place-title-input")).to_have_value("")  # no longer the chosen place
    chat.page.get_by_test_id("place-title-input").fill("หน้าซอย 5")
    chat.page.get_by_test_id("send-location-button").click()
    expect(chat.user("📍 หน้าซอย 5")).to_contain_text("เขตพระนคร กรุงเทพมหานคร")
    sent = [
        MessageEvent.from_dict(event).message
        for body in chat.delivered
        for event in body["events"]
        if event["type"] == "message"
    ]
    assert [(m.title, m.address) for m in sent if isinstance(m, LocationMessageContent)] == [
        ("สยามพารากอน", "ถนนพระรามที่ 1 ปทุมวัน"),
        ("หน้าซอย 5", "เขตพระนคร กรุงเทพมหานคร"),
    ]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("district", "name"),
    [("1030", "จตุจักร"), ("1045", "วังทองหลาง")],  # where `rongtook run` puts her; where an admin moved her
)
def test_the_first_location_offered_is_in_the_demo_officers_district_and_reaches_her(
    districts: None,
    boundaries: list[DistrictBoundary],
    chat: Chat,
    services: Services,
    district: str,
    name: str,
) -> None:
    sandbox_officer_notice(services)  # `rongtook run` makes the demo officer
    if district != "1030":
        with transaction(services.sessions) as session:
            session.execute(
                update(Officer).where(Officer.name == SANDBOX_OFFICER).values(district_code=district)
            )
    notice = sandbox_officer_notice(services)  # what the next `rongtook run` says
    assert f"The demo officer serves เขต{name} ({district})" in notice
    link_code = LINK_CODE.search(notice)[1]  # type: ignore[index]

    chat.open()
    chat.be(OFFICER)
    chat.send_text(link_code)
    expect(chat.bot("เชื่อมบัญชี LINE")).to_contain_text(f"สำนักงานเขต{name}")

    chat.be(CITIZEN)
    chat.send_text("แจ้งเรื่อง")
    expect(chat.bot("กรุณาพิมพ์เล่าปัญหาที่พบ")).to_be_visible()
    chat.send_text("ไฟถนนดับ 3 ต้น")
    chat.chip("ไม่มีรูป").click()
    chat.chip("ส่งตำแหน่ง").click()
    expect(chat.page.get_by_test_id("demo-district-hint")).to_contain_text(f"เขต{name}")
    first = chat.location_choices()[0]
    assert first["selected"]  # offered first, and chosen until the user picks another
    locator = DistrictLocator([(b.code, b.geometry) for b in boundaries])
    assert locator.locate(first["latitude"], first["longitude"]) == district
    if district == "1030":
        assert first["name"] == "สวนจตุจักร"  # a named place there, when the page knows one
    assert first["name"] in notice  # `rongtook run` names the place too
    chat.page.get_by_test_id("send-location-button").click()  # as offered
    expect(chat.user(f"📍 {first['name']}")).to_be_visible()
    expect(chat.bot(say("location_in_district", district=name))).to_be_visible()
    code = chat.file_complaint("แสงสว่าง")

    chat.be(OFFICER)
    card = chat.card(f"เรื่องใหม่ {code}")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(f"แสงสว่าง · {name}")


# --- `rongtook run` ----------------------------------------------------------------------------


@pytest.mark.slow
def test_rongtook_run_names_the_demo_officers_district_and_the_page_offers_it(
    db_url: str, tmp_path: Path
) -> None:
    if not SHARED_GEOJSON.is_file():
        pytest.skip(f"district boundaries not found at {SHARED_GEOJSON}")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL", "SECRET_KEY"))}
    env.update(
        DATABASE_URL=db_url,
        DISTRICTS_GEOJSON=str(SHARED_GEOJSON),
        PHOTO_DIR=str(tmp_path / "photos"),
        PORT=str(port),
        WORKER_THREADS="2",
    )
    log = tmp_path / "run.log"
    command = [sys.executable, "-m", "bot.cli", "run"]
    with log.open("wb") as out:  # the process writes to its own copy of the file
        run = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "Admin web:" not in log.read_text():
            assert run.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        said = log.read_text()
        assert "The demo officer serves เขตจตุจักร (1030)" in said
        assert "“สวนจตุจักร”" in said
        assert LINK_CODE.search(said), said
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sandbox", timeout=10) as response:
            page = response.read().decode()
        offered = re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>", page)
        assert offered[0] == "สวนจตุจักร"
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGINT)
        run.wait(20)
