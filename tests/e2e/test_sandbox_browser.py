"""The sandbox chat page in real headless Chromium, against a live server and a running worker.

Every action on the page goes through the signed webhook (`/callback`), the inbox, the worker
and the fake LINE API, so these tests check what a user of the sandbox would see end to end.
"""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bot.line_gateway import LineGateway
from bot.services import Services
from models import SandboxContent
from models.clock import clock
from models.db import transaction
from tests.conftest import LiveServer
from tests.sandbox_page import CITIZEN, OFFICER, Chat

pytestmark = pytest.mark.browser

# The bot's answers the tests wait for (texts/th.py): a first text starts a draft and is
# asked for photos; a postback the bot did not sign for this user is refused.
PHOTO_QUESTION = "ส่งรูปภาพของปัญหาได้สูงสุด 4 รูปค่ะ"
REFUSED_BUTTON = "ขออภัยค่ะ ปุ่มนี้ใช้งานไม่ได้ค่ะ"


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A valid PNG (solid orange), made with zlib alone."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x80\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.fixture
def chat(sandbox_chat: Chat) -> Chat:
    """The sandbox page (tests/sandbox_page.py); each test loads the districts it needs itself."""
    return sandbox_chat


def test_follow_shows_the_welcome_with_quick_replies(chat: Chat, tmp_path: Path) -> None:
    chat.open()
    expect(chat.page.get_by_test_id("user-select").locator("option:checked")).to_have_text(CITIZEN)
    chat.page.get_by_test_id("follow-button").click()

    expect(chat.user("คุณเพิ่มเพื่อนแล้ว")).to_be_visible()
    welcome = chat.bot("ยินดีต้อนรับ")
    expect(welcome).to_be_visible()
    expect(welcome).to_contain_text("สมชาย")  # the name from the (fake) LINE profile
    expect(chat.page.get_by_test_id("quick-replies").get_by_role("button")).to_have_text(
        ["แจ้งเรื่อง", "ติดตามเรื่อง", "ถ่ายรูป", "ส่งตำแหน่ง"]
    )
    # Through the real path: one signed event, one delivery to /callback.
    assert [u.rsplit("/", 1)[-1] for u in chat.sent] == ["events", "callback"]
    chat.page.screenshot(path=str(tmp_path / "sandbox-follow.png"), full_page=True)

    chat.page.get_by_test_id("unfollow-button").click()
    expect(chat.user("คุณบล็อกบัญชีนี้แล้ว")).to_be_visible()
    expect(chat.page.get_by_test_id("quick-replies").get_by_role("button")).to_have_count(0)


def test_text_is_shown_and_answered(chat: Chat) -> None:
    chat.open()
    chat.send_text("ไฟถนนดับหน้าซอย 5")

    expect(chat.user("ไฟถนนดับหน้าซอย 5")).to_be_visible()
    expect(chat.bot(PHOTO_QUESTION)).to_be_visible()  # a first text starts a draft: photos next
    expect(chat.page.get_by_test_id("text-input")).to_have_value("")
    expect(chat.page.get_by_test_id("quick-replies").get_by_role("button")).to_have_text(
        ["ถ่ายรูป", "เลือกรูป", "ไม่มีรูป", "ยกเลิก"]
    )
    # The answer's quick replies, and a newline in the text kept as a line break.
    chat.chip("ไม่มีรูป").click()
    expect(chat.user("ไม่มีรูป")).to_be_visible()
    answer = chat.bot("กรุณาส่งตำแหน่ง")
    expect(answer).to_be_visible()
    expect(chat.chip("ส่งตำแหน่ง")).to_be_visible()
    assert "\n" in answer.inner_text()


def test_location_from_a_landmark_via_the_quick_reply(districts: None, chat: Chat) -> None:
    chat.open()
    chat.follow()
    panel = chat.page.get_by_test_id("location-panel")
    expect(panel).to_be_hidden()
    chat.chip("ส่งตำแหน่ง").click()  # a LINE "location" action opens the location panel
    expect(panel).to_be_visible()

    chat.page.get_by_test_id("landmark-select").select_option(label="สวนจตุจักร")
    expect(chat.page.get_by_test_id("latitude-input")).to_have_value("13.804")
    expect(chat.page.get_by_test_id("longitude-input")).to_have_value("100.553")
    chat.page.get_by_test_id("send-location-button").click()

    expect(chat.user("📍 สวนจตุจักร")).to_be_visible()
    expect(chat.bot("จตุจักร")).to_be_visible()
    expect(panel).to_be_hidden()


def test_location_from_typed_coordinates(districts: None, chat: Chat) -> None:
    chat.open()
    chat.page.get_by_test_id("location-button").click()
    chat.page.get_by_test_id("latitude-input").fill("95")
    chat.page.get_by_test_id("longitude-input").fill("100.5")
    chat.page.get_by_test_id("send-location-button").click()
    expect(chat.page.get_by_test_id("notice")).to_contain_text("ละติจูด")
    assert chat.sent == []

    chat.page.get_by_test_id("latitude-input").fill("13.7563")
    chat.page.get_by_test_id("longitude-input").fill("100.5018")
    chat.page.get_by_test_id("send-location-button").click()
    expect(chat.user("📍")).to_be_visible()
    expect(chat.bot("สำนักงานเขต")).to_be_visible()


def test_photo_is_uploaded_shown_and_stored(chat: Chat, services: Services) -> None:
    chat.open()
    chat.page.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "pothole.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )

    expect(chat.bot("ได้รับรูปภาพแล้ว")).to_be_visible()
    mine = chat.bubbles.and_(chat.page.locator("[data-direction=user]")).locator("img")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("src", re.compile(r"^/sandbox/content/\w+$"))
    assert mine.evaluate("img => img.complete && img.naturalWidth") == 8  # the photo itself, served back
    stored = [p for p in Path(services.settings.photo_dir).rglob("*.png") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].read_bytes() == tiny_png()


def test_a_file_that_is_not_a_photo_is_refused(chat: Chat) -> None:
    chat.open()
    chat.page.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    expect(chat.page.get_by_test_id("notice")).to_contain_text("รูปภาพ")
    assert chat.sent == []
    expect(chat.bubbles).to_have_count(0)


def test_templates_flex_and_their_actions(
    chat: Chat, services: Services, live_server: LiveServer, tmp_path: Path
) -> None:
    """What the bot may send besides text, and what tapping each kind of action does."""
    user_id = chat.open()
    with transaction(services.sessions) as session:
        session.add(
            SandboxContent(
                message_id="PIC1",
                content_type="image/png",
                data=tiny_png(48, 32),
                created_at=clock.now(),
            )
        )
    picture = f"{live_server.url}/sandbox/content/PIC1"
    gateway = LineGateway(services.settings.line_channel_access_token, f"{live_server.url}/sandbox/line")
    gateway.push(
        user_id,
        [
            {
                "type": "location",
                "title": "สำนักงานเขตจตุจักร",
                "address": "ถนนพหลโยธิน",
                "latitude": 13.8283,
                "longitude": 100.5601,
            },
            {
                "type": "template",
                "altText": "เรื่องของคุณ",
                "template": {
                    "type": "carousel",
                    "columns": [
                        {
                            "title": f"เรื่อง #{n}",
                            "text": "รอดำเนินการ",
                            "thumbnailImageUrl": picture,
                            "actions": [{"type": "postback", "label": "ดูเรื่อง", "data": f"view={n}"}],
                        }
                        for n in (1, 2)
                    ],
                },
            },
        ],
        str(uuid.uuid4()),
    )
    gateway.push(
        user_id,
        [
            {
                "type": "template",
                "altText": "เรื่องร้องเรียน",
                "template": {
                    "type": "buttons",
                    "title": "เรื่องร้องเรียน #12",
                    "text": "ไฟถนนดับ\nซอย 5",
                    "thumbnailImageUrl": picture,
                    "actions": [
                        {
                            "type": "postback",
                            "label": "ยืนยันเรื่อง",
                            "data": "confirm=12",
                            "displayText": "ยืนยันค่ะ",
                        },
                        {"type": "uri", "label": "เปิดลิงก์", "uri": f"{live_server.url}/healthz"},
                    ],
                },
            },
            {
                "type": "template",
                "altText": "ปิดเรื่อง",
                "template": {
                    "type": "confirm",
                    "text": "ปิดเรื่องนี้ไหมคะ",
                    "actions": [
                        {"type": "postback", "label": "ปิดเลย", "data": "close=12"},
                        {"type": "message", "label": "ยังก่อน", "text": "ยังไม่ปิดค่ะ"},
                    ],
                },
            },
            {
                "type": "flex",
                "altText": "สถานะ",
                "contents": {
                    "type": "bubble",
                    "hero": {"type": "image", "url": picture, "size": "full"},
                    "body": {
                        "type": "box",
                        "layout": "vertical",
                        "contents": [
                            {"type": "text", "text": "สถานะเรื่อง", "weight": "bold"},
                            {
                                "type": "box",
                                "layout": "horizontal",
                                "contents": [
                                    {"type": "text", "text": "เขต"},
                                    {"type": "text", "text": "จตุจักร"},
                                ],
                            },
                        ],
                    },
                    "footer": {
                        "type": "box",
                        "layout": "vertical",
                        "contents": [
                            {
                                "type": "button",
                                "style": "primary",
                                "action": {"type": "message", "label": "ติดตามเรื่อง", "text": "ติดตามเรื่อง 12"},
                            },
                            {
                                "type": "button",
                                "action": {
                                    "type": "clipboard",
                                    "label": "คัดลอกเลขเรื่อง",
                                    "clipboardText": "12",
                                },
                            },
                        ],
                    },
                },
            },
            {"type": "sticker", "packageId": "446", "stickerId": "1988"},
            {
                "type": "text",
                "text": "เลือกได้เลยค่ะ",
                "quickReply": {
                    "items": [
                        {"type": "action", "action": {"type": "camera", "label": "ถ่ายรูป"}},
                        {
                            "type": "action",
                            "action": {
                                "type": "datetimepicker",
                                "label": "เลือกวันที่",
                                "data": "day",
                                "mode": "date",
                            },
                        },
                    ]
                },
            },
        ],
        str(uuid.uuid4()),
    )
    gateway.close()

    bot = chat.bubbles.and_(chat.page.locator("[data-direction=bot]"))
    expect(bot).to_have_count(7)
    expect(chat.bot("สำนักงานเขตจตุจักร")).to_contain_text("ถนนพหลโยธิน")
    expect(chat.bot("เรื่อง #2").get_by_role("button", name="ดูเรื่อง")).to_have_count(2)  # one per column
    expect(chat.bot("[สติกเกอร์]")).to_be_visible()
    expect(chat.bot("สถานะเรื่อง").locator("img")).to_have_count(1)
    expect(chat.bot("เรื่องร้องเรียน #12")).to_contain_text("ไฟถนนดับ\nซอย 5")
    expect(chat.bot("เรื่องร้องเรียน #12").locator("img")).to_have_js_property("naturalWidth", 48)
    chat.page.screenshot(path=str(tmp_path / "sandbox-templates.png"), full_page=True)

    with chat.page.expect_file_chooser():  # camera / cameraRoll open the photo picker
        chat.chip("ถ่ายรูป").click()
    chat.page.once("dialog", lambda dialog: dialog.accept("2026-01-15"))
    chat.chip("เลือกวันที่").click()
    expect(chat.user("2026-01-15")).to_be_visible()
    expect(chat.page.get_by_test_id("quick-replies").get_by_role("button")).to_have_count(0)

    chat.bot("เรื่องร้องเรียน #12").get_by_role("button", name="ยืนยันเรื่อง").click()
    expect(chat.user("ยืนยันค่ะ")).to_be_visible()
    chat.bot("ปิดเรื่องนี้ไหมคะ").get_by_role("button", name="ปิดเลย").click()  # no displayText: the label
    expect(chat.user("ปิดเลย")).to_be_visible()
    chat.bot("สถานะเรื่อง").get_by_role("button", name="ติดตามเรื่อง").click()
    expect(chat.user("ติดตามเรื่อง 12")).to_be_visible()
    expect(chat.bot(PHOTO_QUESTION)).to_be_visible()  # the text reached the bot: it starts a draft
    chat.bot("สถานะเรื่อง").get_by_role("button", name="คัดลอกเลขเรื่อง").click()
    expect(chat.page.get_by_test_id("notice")).to_contain_text("ยังไม่รองรับ")
    with chat.page.context.expect_page() as opened:
        chat.bot("เรื่องร้องเรียน #12").get_by_role("button", name="เปิดลิงก์").click()
    assert opened.value.url.endswith("/healthz")

    expect(chat.bot(REFUSED_BUTTON)).to_have_count(3)  # the bot's answer to each postback it did not sign
    assert [e for e in chat.events if e["type"] != "text"] == [
        {"user_id": user_id, "type": "postback", "data": "day", "display_text": "2026-01-15"},
        {"user_id": user_id, "type": "postback", "data": "confirm=12", "display_text": "ยืนยันค่ะ"},
        {"user_id": user_id, "type": "postback", "data": "close=12", "display_text": "ปิดเลย"},
    ]


def test_each_user_sees_only_their_own_conversation(chat: Chat) -> None:
    chat.open()
    chat.send_text("ข้อความจากประชาชน")
    expect(chat.bot(PHOTO_QUESTION)).to_be_visible()

    chat.select_user(OFFICER)
    expect(chat.bubbles).to_have_count(0)
    chat.send_text("ข้อความจากเจ้าหน้าที่")
    expect(chat.bot(PHOTO_QUESTION)).to_be_visible()  # this user's own answer: the page was empty
    expect(chat.bubbles).to_have_count(2)
    expect(chat.page.get_by_test_id("messages")).not_to_contain_text("ประชาชน")

    chat.page.reload()  # the chosen user is remembered
    expect(chat.page.get_by_test_id("user-select").locator("option:checked")).to_have_text(OFFICER)
    expect(chat.user("ข้อความจากเจ้าหน้าที่")).to_be_visible()

    chat.select_user(CITIZEN)
    expect(chat.user("ข้อความจากประชาชน")).to_be_visible()
    expect(chat.bot(PHOTO_QUESTION)).to_be_visible()
    expect(chat.page.get_by_test_id("messages")).not_to_contain_text("เจ้าหน้าที่")
    expect(chat.bubbles).to_have_count(2)


def test_a_new_user_starts_with_an_empty_chat(chat: Chat) -> None:
    chat.open()
    chat.send_text("สวัสดีค่ะ")
    expect(chat.bot("วิธีใช้งาน")).to_be_visible()  # a greeting is answered with the help

    chat.page.get_by_test_id("new-user-input").fill("ผู้ทดสอบ ใหม่")
    chat.page.get_by_test_id("add-user-button").click()
    expect(chat.page.get_by_test_id("user-select").locator("option:checked")).to_have_text("ผู้ทดสอบ ใหม่")
    expect(chat.bubbles).to_have_count(0)
    chat.follow()
    expect(chat.bot("ยินดีต้อนรับ")).to_contain_text("ผู้ทดสอบ ใหม่")


def test_empty_text_is_refused_without_a_request(chat: Chat) -> None:
    chat.open()
    chat.page.get_by_test_id("send-button").click()
    notice = chat.page.get_by_test_id("notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("กรุณาพิมพ์ข้อความ")

    chat.send_text("   ")  # spaces only: refused the same way, and left in the box
    expect(notice).to_contain_text("กรุณาพิมพ์ข้อความ")
    expect(chat.page.get_by_test_id("text-input")).to_have_value("   ")
    chat.page.wait_for_timeout(800)  # more than one poll: nothing arrives
    expect(chat.bubbles).to_have_count(0)
    assert chat.sent == []


def test_a_refused_delivery_is_reported_and_the_text_kept(chat: Chat) -> None:
    chat.open()
    chat.page.route("**/callback", lambda route: route.fulfill(status=503, body="database unavailable"))
    chat.send_text("ถนนเป็นหลุม")
    notice = chat.page.get_by_test_id("notice")
    expect(notice).to_contain_text("503")
    expect(chat.page.get_by_test_id("text-input")).to_have_value("ถนนเป็นหลุม")

    chat.page.unroute("**/callback")
    chat.page.get_by_test_id("send-button").click()  # sending again works, and clears the box
    expect(chat.bot(PHOTO_QUESTION)).to_be_visible()
    expect(chat.user("ถนนเป็นหลุม")).to_have_count(1)  # the refused delivery is not in the chat
    expect(chat.page.get_by_test_id("text-input")).to_have_value("")


def test_the_page_escapes_what_it_shows(chat: Chat, services: Services, live_server: LiveServer) -> None:
    user_id = chat.open()
    chat.send_text('<img src=x onerror="window.pwned=1"><b>หนา</b>')
    expect(chat.user("<b>หนา</b>")).to_be_visible()
    expect(chat.bot(PHOTO_QUESTION)).to_be_visible()
    # The bot no longer repeats what it was sent: markup in its own text comes through the fake LINE API.
    gateway = LineGateway(services.settings.line_channel_access_token, f"{live_server.url}/sandbox/line")
    gateway.push(
        user_id,
        [{"type": "text", "text": '<img src=x onerror="window.pwned=2"><b>บอท</b>'}],
        str(uuid.uuid4()),
    )
    gateway.close()
    expect(chat.bot("<b>บอท</b>")).to_be_visible()
    expect(chat.page.get_by_test_id("messages").locator("b, img")).to_have_count(0)
    assert chat.page.evaluate("window.pwned") is None
