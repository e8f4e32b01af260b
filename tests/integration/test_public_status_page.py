"""`/c/<code>`: how a reporter without LINE follows their complaint (both databases).

It shows the status, the office, the deadlines and the district's answers in the reader's language,
and never the reporter's name, phone, e-mail or own description.
"""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient

from models.clock import clock
from models.db import transaction
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import act
from tests.public_common import phoned_in as common_phoned_in

ENTERED = datetime(2026, 12, 4, 10, 0, tzinfo=BANGKOK)  # a Friday: acknowledgement due Tue 8 Dec


def phoned_in(services) -> str:  # type: ignore[no-untyped-def]
    return common_phoned_in(services, ENTERED)


def test_the_reporter_follows_progress_and_sees_nothing_personal(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    code = phoned_in(services)
    clock.freeze(datetime(2026, 12, 9, 9, 0, tzinfo=BANGKOK))
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert code in page and "ส่งถึงสำนักงานเขตแล้ว รอรับเรื่อง" in page and "จตุจักร" in page
    assert "8 ธ.ค. 2569" in page and "เลยกำหนดแล้ว" in page  # the acknowledgement was due Tue 8 Dec
    for personal in ("สมศรี", "0812345678", "somsri@example.com", "บ้านเลขที่ 99"):
        assert personal not in page
    with transaction(services.sessions) as session:
        from sqlalchemy import select

        from models import Complaint

        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        act(session, "acknowledge", complaint, at=datetime(2026, 12, 9, 10, tzinfo=BANGKOK))
        act(
            session,
            "progress",
            complaint,
            at=datetime(2026, 12, 9, 11, tzinfo=BANGKOK),
            text="ส่งช่างไปตรวจแล้ว",
        )
    english = client.get(f"/c/{code.lower().replace('-', ' ')}?lang=en").get_data(as_text=True)
    assert "In progress" in english and "Chatuchak" in english and "ส่งช่างไปตรวจแล้ว" in english
    assert "late" in english  # acknowledged a day after it was due


def test_a_typed_code_is_forgiven_and_an_unknown_one_is_said_in_words(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    code = phoned_in(services)
    found = client.get("/c", query_string={"code": f" {code.lower()} "})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/c/{code}")
    missing = client.get("/c/69-ZZZZZZ")
    assert missing.status_code == 404 and "ไม่พบเรื่องรหัส" in missing.get_data(as_text=True)
    for junk in ("<script>", "' OR 1=1 --", "\u0000", "ก" * 500):
        response = client.get("/c", query_string={"code": junk})
        assert response.status_code == 400 and "<script>" not in response.get_data(as_text=True)
    assert client.get("/c").status_code == 200


def test_officers_words_reach_the_public_without_the_numbers_in_them(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    """Officers write for the citizen; whatever in it reaches a person is masked on every public door."""
    from sqlalchemy import select

    from models import Complaint

    code = phoned_in(services)
    written = "โทรแจ้งคุณสมศรี 081-234-5678 แล้ว ส่งเอกสารถึง somsri@example.com บัตร 1-2345-67890-12-3"
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        act(session, "acknowledge", complaint, at=datetime(2026, 12, 4, 11, tzinfo=BANGKOK))
        act(session, "progress", complaint, at=datetime(2026, 12, 4, 12, tzinfo=BANGKOK), text=written)
    clock.freeze(datetime(2026, 12, 4, 13, 0, tzinfo=BANGKOK))
    api = client.get(f"/api/v1/complaints/{code}").json
    open311 = client.get(f"/open311/v2/requests/{code}.json").json
    shown = {
        "page": client.get(f"/c/{code}").get_data(as_text=True),
        "status API": " ".join(step.get("text", "") for step in api["history"]),
        "Open311 status_notes": open311[0]["status_notes"],
    }
    for where, text in shown.items():
        assert "โทรแจ้งคุณสมศรี" in text and "[ซ่อนเบอร์โทร]" in text, where  # the words are there ...
        for number in ("081-234-5678", "somsri@example.com", "1-2345-67890-12-3"):
            assert number not in text, (where, number)  # ... the numbers are not
