"""The citizen's receipt and every notice link to the complaint's public page; the page previews in LINE
(OpenGraph), escaped (both databases)."""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from handlers import use_cases
from handlers.notices import Links, status_url
from models import Complaint
from models.clock import clock
from models.db import transaction
from tests.citizen_chat import BANGKOK, Chat, complaints
from tests.complaint_actions_common import ADMIN
from tests.integration.test_citizen_bad_input import to_summary
from tests.public_common import phoned_in


def test_the_receipt_and_the_notices_link_to_the_public_page(chat: Chat, services) -> None:  # type: ignore[no-untyped-def]
    base = services.settings.public_base_url
    assert base  # the sandbox's own address in the tests
    to_summary(chat)
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    link = f"{base}/c/{complaint.tracking_code}"
    assert f"ติดตามความคืบหน้าทางเว็บได้ค่ะ\n{link}" in chat.said()
    with transaction(services.sessions) as session:
        row = session.scalar(select(Complaint).where(Complaint.id == complaint.id))
        assert row is not None
        links = Links(services.settings.secret_key.encode(), base)
        use_cases.acknowledge(use_cases.Acting(session, ADMIN, chat.now(), links), row)  # from the admin web
    chat.worker.drain()
    told = chat.inbox()
    assert "รับเรื่อง" in " ".join(m.get("text", "") for m in told) and link in str(told)


def test_without_a_public_address_nothing_is_linked() -> None:
    assert status_url(None, "69-K7M2QX") is None
    assert (
        Links(b"k", "https://rongtook.example/").status_url("69-K7M2QX")
        == "https://rongtook.example/c/69-K7M2QX"
    )


def test_a_shared_link_previews_with_the_code_and_status_escaped(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2026, 12, 4, 10, tzinfo=BANGKOK)
    category = 'ไฟ"><script>alert(1)</script>'
    code = phoned_in(services, at, category, description="x", latitude=None, longitude=None)
    clock.freeze(datetime(2026, 12, 4, 11, tzinfo=BANGKOK))
    page = client.get(f"/c/{code}").get_data(as_text=True)
    head = page.split("</head>", 1)[0]
    assert f'<meta property="og:title" content="{code} · ไฟ&#34;&gt;&lt;script&gt;' in head
    assert "<script>alert(1)" not in page
    assert 'property="og:description" content="ส่งถึงสำนักงานเขตแล้ว รอรับเรื่อง · จตุจักร' in head
    assert f'property="og:url" content="{services.settings.public_base_url}/c/{code}"' in head
