"""A complaint phoned in to the 1555 centre, with every kind of personal data a public page must not show
(tests of the public status page, open data and the status links)."""

from __future__ import annotations

from datetime import date, datetime

from handlers import use_cases
from handlers.notices import Links
from models import Channel
from models.complaint_operations import Actor, Reporter
from models.db import transaction

REPORTER = Reporter(
    channel=Channel.PHONE.value,
    name="สมศรี ใจดี",
    phone="0812345678",
    email="somsri@example.com",
    reported_on=date(2026, 12, 3),
)


def phoned_in(  # type: ignore[no-untyped-def]
    services,
    at: datetime,
    category: str = "แสงสว่าง",
    description: str = "ไฟดับหน้าบ้านเลขที่ 99 โทร 0812345678",
    latitude: float | None = 13.8040,
    longitude: float | None = 100.5530,
) -> str:
    """Entered by a call-taker at `at` for district 1030 (Chatuchak); its tracking code."""
    with transaction(services.sessions) as session:
        acting = use_cases.Acting(
            session, Actor("staff", None, None, "calltaker1"), at, Links(b"k" * 32, None)
        )
        complaint = use_cases.file(
            acting,
            None,
            description=description,
            category=category,
            district_code="1030",
            latitude=latitude,
            longitude=longitude,
            photos=[],
            reporter=REPORTER,
        )
        return complaint.tracking_code
