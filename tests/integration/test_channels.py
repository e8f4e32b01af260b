"""Complaints that do not come through LINE (phone, walk-in, letter, web, an API client), both databases.

They are routed, timed and handled like a LINE complaint; the reporter's contact is kept but nobody is
pushed a LINE message for them; a rating given by phone is recorded by staff.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from handlers import use_cases
from handlers.notices import Links
from models import Channel, Complaint, ComplaintEvent, OutboxMessage
from models.complaint_operations import ActionRefused, Actor, Reporter
from models.db import transaction
from models.officer_links import add_officer
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import ROUTED_FRI, bring_to, citizen, end_of, filed

CALL_TAKER = Actor("staff", None, None, "calltaker1")
ENTERED = datetime(2026, 12, 4, 10, 0, tzinfo=BANGKOK)  # a Friday: acknowledgement due Tue 8 Dec (RULES §2)


def _links() -> Links:
    return Links(signing_key=b"k" * 32, public_base_url="https://rongtook.example")


def _file_by_phone(session, **reporter) -> Complaint:  # type: ignore[no-untyped-def]
    acting = use_cases.Acting(session, CALL_TAKER, ENTERED, _links())
    return use_cases.file(
        acting,
        None,
        description="ไฟถนนดับหน้าซอย 7 โทรแจ้งผ่าน 1555",
        category="แสงสว่าง",
        district_code="1030",
        latitude=13.8040,
        longitude=100.5530,
        photos=[],
        reporter=Reporter(
            channel=Channel.PHONE.value,
            name=reporter.get("name", "สมศรี ใจดี"),
            phone="0812345678",
            reported_on=date(2026, 12, 3),
        ),
    )


def test_a_phoned_in_complaint_is_routed_and_timed_like_a_line_one(services) -> None:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        officer = add_officer(session, "1030", "เจ้าหน้าที่ จตุจักร", "officer", ROUTED_FRI)
        officer.line_user_id = "U" + "1" * 32  # linked to LINE
        complaint = _file_by_phone(session)
        assert complaint.channel == "phone" and complaint.citizen_id is None
        assert complaint.reporter_phone == "0812345678" and complaint.reported_on == date(2026, 12, 3)
        assert complaint.routed_at == ENTERED  # deadlines run from entry, not from the date of the call
        assert complaint.ack_due_at == end_of(8)
        filed_event = session.scalar(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "filed"
            )
        )
        assert (filed_event.actor_kind, filed_event.actor_name) == ("staff", "calltaker1")
        assert filed_event.data["channel"] == "phone" and filed_event.data["reported_on"] == "2026-12-03"
        to = [m.to for m in session.scalars(select(OutboxMessage))]
        assert to == ["U" + "1" * 32]  # the district's officer got the card; nobody else


def test_nobody_is_pushed_for_a_reporter_without_line_and_staff_record_their_rating(services) -> None:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        complaint = _file_by_phone(session)
        bring_to(session, complaint, "resolved")
        assert session.scalars(select(OutboxMessage)).all() == []
        acting = use_cases.Acting(session, CALL_TAKER, ENTERED, _links())
        event = use_cases.rate(acting, complaint, CALL_TAKER, 4)
        assert complaint.rating == 4 and event.data == {"stars": 4, "via": "phone"}
        assert event.actor_name == "calltaker1"


@pytest.mark.parametrize("who", ["officer", "citizen"])
def test_only_staff_record_a_phone_rating_and_never_for_a_line_citizen(services, who: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        line_complaint = filed(session, citizen(session))
        bring_to(session, line_complaint, "resolved")
        acting = use_cases.Acting(session, CALL_TAKER, ENTERED, _links())
        with pytest.raises(ActionRefused) as info:
            use_cases.rate(acting, line_complaint, CALL_TAKER, 5)
        assert info.value.reason == "rated_on_line"
        phoned = _file_by_phone(session)
        bring_to(session, phoned, "resolved")
        stranger = Actor("officer", 7, "1030", "x") if who == "officer" else citizen(session)
        with pytest.raises(ActionRefused):
            use_cases.rate(acting, phoned, stranger, 5)
        assert phoned.rating is None and line_complaint.rating is None


def test_a_line_complaint_needs_its_citizen(services) -> None:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session, pytest.raises(ValueError):
        use_cases.file(
            use_cases.Acting(session, CALL_TAKER, ENTERED, _links()),
            None,
            description="x",
            category=None,
            district_code="1030",
            latitude=None,
            longitude=None,
            photos=[],
        )


def test_the_monthly_performance_report_breaks_the_month_down_by_channel(services) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from kpi.reports import cpl_r003
    from models.api_keys import issue_key

    with transaction(services.sessions) as session:
        key, _ = issue_key(session, "city-website", ENTERED)
        filed(session, citizen(session), at=ENTERED)
        filed(session, citizen(session), at=ENTERED)
        _file_by_phone(session)
        acting = use_cases.Acting(session, Actor("api", key.id, None, key.name), ENTERED, _links())
        use_cases.file(
            acting,
            None,
            description="ทางเท้าชำรุด",
            category="ทางเท้า",
            district_code="1030",
            latitude=None,
            longitude=None,
            photos=[],
            reporter=Reporter(channel=Channel.API.value, api_key_id=key.id),
        )
        report = cpl_r003(session, "1030", date(2026, 12, 1), datetime(2026, 12, 31, 12, tzinfo=BANGKOK))
    lines = {line.label_th: (line.count, line.of, line.percent) for line in report.items}
    assert lines["เรื่องที่ได้รับในเดือน"] == (4, None, None)
    assert lines["— ทางLINE"] == (2, 4, Decimal("50.00"))
    assert lines["— ทางโทรศัพท์ (1555)"] == (1, 4, Decimal("25.00"))
    assert lines["— ทางระบบอื่น (API): city-website"] == (1, 4, Decimal("25.00"))
    assert not any("หนังสือ" in label for label in lines)  # channels with none are left out


def test_the_admin_list_filters_and_shows_the_channel(client, services, world) -> None:  # type: ignore[no-untyped-def]
    from tests.admin_web import listed, sign_in

    with transaction(services.sessions) as session:
        phoned = _file_by_phone(session).tracking_code
    assert sign_in(client, "centre") == 302
    only_phone = client.get("/admin/complaints", query_string={"channel": "phone"}).get_data(as_text=True)
    assert listed(only_phone) == {phoned}
    assert "โทรศัพท์ (1555)" in only_phone
    every = client.get("/admin/complaints", query_string={"channel": "bogus"}).get_data(as_text=True)
    assert listed(every) == {phoned, world["ours"], world["theirs"]}  # an unknown channel is no filter
    page = client.get(f"/admin/complaints/{phoned}").get_data(as_text=True)
    assert "สมศรี ใจดี" in page and "0812345678" in page and 'data-testid="reported-on"' in page
    client.get("/admin/logout")
    assert sign_in(client, "viewer") == 302
    page = client.get(f"/admin/complaints/{phoned}").get_data(as_text=True)
    assert "โทรศัพท์ (1555)" in page and "0812345678" not in page  # personal data: not for viewers
