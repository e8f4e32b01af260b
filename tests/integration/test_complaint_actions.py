"""Domain operations on a filed complaint (models.complaint_operations) and the admin commands around them.

Who may do what from which status, what is refused and why (`ActionRefused.reason`), the deadline
columns each operation keeps (RULES §2), recomputing them when the holiday table changes, and the
`rongtook officers` / `rongtook holidays` commands on a real database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Complaint, ComplaintEvent
from models.complaint_operations import (
    MAX_TEXT,
    ActionRefused,
    Actor,
    recompute_deadlines,
)
from models.db import transaction
from models.officer_links import add_officer
from models.working_days import add_override, load_calendar, remove_override
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import (
    ADMIN,
    LATER,
    ROUTED_FRI,
    ROUTED_TUE,
    act,
    bring_to,
    citizen,
    end_of,
    filed,
    photo,
)

ACK_TUE = datetime(2026, 12, 8, 14, 0, tzinfo=BANGKOK)  # RULES §2: first progress due Mon 14 Dec
STATUSES = ("routed", "acknowledged", "in_progress", "resolved", "rejected")


def officer_in(session, district: str) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.officer(add_officer(session, district, f"เจ้าหน้าที่ {district}", "officer", ROUTED_FRI))


def snapshot(session, complaint: Complaint) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    session.flush()
    session.expire(complaint)
    events = session.scalar(
        select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
    )
    return {
        "status": complaint.status,
        "district": complaint.district_code,
        "routed_at": complaint.routed_at,
        "ack_due_at": complaint.ack_due_at,
        "acknowledged_at": complaint.acknowledged_at,
        "first_progress_due_at": complaint.first_progress_due_at,
        "resolved_at": complaint.resolved_at,
        "rating": complaint.rating,
        "reopen_count": complaint.reopen_count,
        "events": events,
    }


def refused(session, op: str, complaint: Complaint, actor: Actor = ADMIN, **kw: Any) -> str:  # type: ignore[no-untyped-def]
    """The reason `op` is refused; also checks that the refusal changed nothing."""
    before = snapshot(session, complaint)
    with pytest.raises(ActionRefused) as info:
        act(session, op, complaint, actor, **kw)
    assert snapshot(session, complaint) == before
    return info.value.reason


# ---- statuses ------------------------------------------------------------------------------------

ALLOWED = {  # operation -> {status it may start from: status it leaves the complaint in}
    "acknowledge": {"routed": "acknowledged"},
    "progress": {"acknowledged": "in_progress", "in_progress": "in_progress"},
    "resolve": {"acknowledged": "resolved", "in_progress": "resolved"},
    "transfer": {"routed": "routed", "acknowledged": "routed", "in_progress": "routed"},
    "reject": {"routed": "rejected", "acknowledged": "rejected", "in_progress": "rejected"},
    "reopen": {"resolved": "in_progress"},
    "rate": {"resolved": "resolved"},
}
EVENT_KIND = {
    "acknowledge": "acknowledged",
    "progress": "progress",
    "resolve": "resolved",
    "transfer": "transferred",
    "reject": "rejected",
    "reopen": "reopened",
    "rate": "rated",
}


@pytest.mark.parametrize("op", ALLOWED)
def test_each_operation_is_allowed_from_its_statuses_and_refused_from_the_others(services, op):
    outcome: dict[str, str] = {}
    with transaction(services.sessions) as session:
        person = citizen(session)
        for status in STATUSES:
            complaint = filed(session, person)
            bring_to(session, complaint, status)
            try:
                event = act(session, op, complaint)
            except ActionRefused as exc:
                outcome[status] = exc.reason
                assert complaint.status == status
                continue
            outcome[status] = complaint.status
            assert (event.kind, event.at, event.complaint_id) == (EVENT_KIND[op], LATER, complaint.id)
    assert outcome == {s: ALLOWED[op].get(s, f"cannot_{op}") for s in STATUSES}


@pytest.mark.parametrize("op", ["acknowledge", "progress", "resolve", "transfer", "reject"])
def test_an_officer_may_act_only_on_their_own_districts_complaints(services, op):
    start = "routed" if op in ("acknowledge", "transfer", "reject") else "acknowledged"
    with transaction(services.sessions) as session:
        complaint = filed(session, citizen(session))
        bring_to(session, complaint, start)
        stranger, own = officer_in(session, "1007"), officer_in(session, "1030")
        assert refused(session, op, complaint, stranger, to="1001") == "not_your_district"
        event = act(session, op, complaint, own, to="1001")
        assert (event.actor_kind, event.actor_id, event.district_code) == ("officer", own.id, "1030")


def test_an_admin_may_act_in_any_district_and_on_the_centres_complaints(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        chatuchak, pathum_wan = filed(session, person), filed(session, person, district="1007")
        for complaint in (chatuchak, pathum_wan):
            for op in ("acknowledge", "progress", "resolve"):
                event = act(session, op, complaint)
                assert (event.actor_kind, event.actor_id) == ("admin", None)
            assert complaint.status == "resolved"

        centre = filed(session, person)
        act(session, "transfer", centre, to=None)  # back to the centre: no district any more
        assert centre.district_code is None
        assert refused(session, "acknowledge", centre, officer_in(session, "1030")) == "not_your_district"
        act(
            session, "transfer", centre, to="1029", at=ROUTED_TUE + timedelta(days=1)
        )  # the centre routes it on
        assert (centre.district_code, centre.routed_at, centre.ack_due_at) == (
            "1029",
            ROUTED_TUE + timedelta(days=1),
            end_of(11),  # routed Wed 9 Dec; Thu 10 is Constitution Day
        )


# ---- what each operation needs -------------------------------------------------------------------


def test_resolve_needs_a_result_text_and_an_after_photo(services):
    with transaction(services.sessions) as session:
        complaint = filed(session, citizen(session))
        bring_to(session, complaint, "in_progress")
        assert refused(session, "resolve", complaint, text="") == "needs_result_text"
        assert refused(session, "resolve", complaint, text=" \n\t ") == "needs_result_text"
        assert refused(session, "resolve", complaint, photos=[]) == "needs_after_photo"
        assert refused(session, "resolve", complaint, text="x" * (MAX_TEXT + 1)) == "text_too_long"
        after = photo(session)
        event = act(session, "resolve", complaint, text="  เปลี่ยนหลอดแล้ว  ", photos=[after])
        assert (event.text, complaint.resolved_at) == ("เปลี่ยนหลอดแล้ว", LATER)
        assert (after.complaint_id, after.event_id) == (complaint.id, event.id)


def test_progress_transfer_reject_and_reopen_need_their_words(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        working = filed(session, person)
        bring_to(session, working, "acknowledged")
        assert refused(session, "progress", working, text="  ") == "needs_progress_text"
        assert refused(session, "transfer", working, text="") == "needs_reason"
        assert refused(session, "reject", working, text="") == "needs_reason"
        done = filed(session, person)
        bring_to(session, done, "resolved")
        assert refused(session, "reopen", done, text=" ") == "needs_comment"


def test_reopen_and_rate_only_by_the_citizen_who_filed_it(services):
    with transaction(services.sessions) as session:
        owner, someone_else = citizen(session), citizen(session)
        complaint = filed(session, owner)
        bring_to(session, complaint, "resolved")
        assert refused(session, "rate", complaint, by=someone_else) == "not_your_complaint"
        assert refused(session, "reopen", complaint, by=someone_else) == "not_your_complaint"
        event = act(session, "reopen", complaint, by=owner, text="ยังดับอยู่")
        assert (event.actor_kind, event.actor_id, event.data) == ("citizen", owner.id, {"reopen_count": 1})
        assert (complaint.status, complaint.reopen_count, complaint.resolved_at) == ("in_progress", 1, None)


def test_a_rating_is_1_to_5_and_only_for_a_resolved_complaint(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        complaint = filed(session, person)
        bring_to(session, complaint, "in_progress")
        assert refused(session, "rate", complaint, stars=5) == "cannot_rate"
        act(session, "resolve", complaint)
        for stars in (0, 6, -1):
            assert refused(session, "rate", complaint, stars=stars) == "bad_rating"
        for stars in (1, 5):
            event = act(session, "rate", complaint, stars=stars)
            assert (complaint.rating, event.data) == (stars, {"stars": stars})
        assert complaint.status == "resolved"


def test_transfer_to_the_same_district_is_refused(services):
    with transaction(services.sessions) as session:
        complaint = filed(session, citizen(session))
        assert refused(session, "transfer", complaint, to="1030") == "same_district"
        assert (
            refused(session, "transfer", complaint, officer_in(session, "1030"), to="1030") == "same_district"
        )


def test_a_complaint_cannot_be_a_duplicate_of_itself(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        first, second = filed(session, person), filed(session, person)
        assert refused(session, "reject", second, duplicate_of=second) == "duplicate_of_itself"
        event = act(session, "reject", second, duplicate_of=first, text="ซ้ำ")
        assert event.data == {"duplicate_of": first.tracking_code}


# ---- deadlines (RULES §2) ------------------------------------------------------------------------


def test_routing_and_acknowledging_store_the_rules_example_deadlines(services):
    with transaction(services.sessions) as session:
        complaint = filed(session, citizen(session), at=ROUTED_FRI)
        assert complaint.ack_due_at == end_of(8)  # Sat 5, Sun 6, Mon 7 (in lieu) are not working days
        act(session, "acknowledge", complaint, at=ACK_TUE)
        code = complaint.tracking_code
    with transaction(services.sessions) as session:  # as stored, read back
        stored = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert stored.acknowledged_at == ACK_TUE
        assert stored.first_progress_due_at == end_of(14)  # Wed 9, (Thu 10 holiday), Fri 11, Mon 14
        assert (
            stored.first_progress_due_at.astimezone(BANGKOK).isoformat() == "2026-12-14T23:59:59.999999+07:00"
        )


def test_deadlines_count_from_the_bangkok_date_not_the_utc_date(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        late_tuesday, early_wednesday = filed(session, person), filed(session, person)
        act(session, "acknowledge", late_tuesday, at=datetime(2026, 12, 8, 16, 30, tzinfo=UTC))  # 23:30 Tue
        act(
            session, "acknowledge", early_wednesday, at=datetime(2026, 12, 8, 17, 30, tzinfo=UTC)
        )  # 00:30 Wed
        assert late_tuesday.first_progress_due_at == end_of(14)
        assert early_wednesday.first_progress_due_at == end_of(15)  # Fri 11, Mon 14, Tue 15


def test_transfer_restarts_the_acknowledgement_clock_from_the_transfer_moment(services):
    with transaction(services.sessions) as session:
        complaint = filed(session, citizen(session), at=ROUTED_FRI)
        act(session, "acknowledge", complaint, at=ACK_TUE)
        act(session, "progress", complaint, at=ACK_TUE + timedelta(hours=1))
        moved = datetime(2026, 12, 9, 16, 0, tzinfo=BANGKOK)
        event = act(session, "transfer", complaint, to="1007", at=moved, text="อยู่ในเขตปทุมวัน")
        assert (complaint.status, complaint.district_code, complaint.routed_at) == ("routed", "1007", moved)
        assert complaint.ack_due_at == end_of(11)  # one working day after Wed 9 (Thu 10 is a holiday)
        assert (complaint.acknowledged_at, complaint.first_progress_due_at) == (None, None)
        assert (complaint.first_progress_at, complaint.last_progress_at) == (None, None)
        assert (event.district_code, event.data) == ("1030", {"to_district": "1007", "from_district": "1030"})
        routed = session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "routed")
            .order_by(ComplaintEvent.id)
        ).all()
        assert [(e.at, e.district_code) for e in routed] == [(ROUTED_FRI, "1030"), (moved, "1007")]
        assert routed[-1].data == {"how": "transfer", "from_district": "1030"}

        act(session, "acknowledge", complaint, officer_in(session, "1007"), at=moved + timedelta(days=2))
        assert complaint.first_progress_due_at == end_of(16)  # acknowledged Fri 11: Mon 14, Tue 15, Wed 16


def test_recompute_after_a_new_holiday_moves_open_complaints_only(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        waiting, acknowledged, resolved, rejected = (filed(session, person) for _ in range(4))
        act(session, "acknowledge", acknowledged, at=ACK_TUE)
        bring_to(session, resolved, "resolved")
        bring_to(session, rejected, "rejected")
        assert {c.ack_due_at for c in (waiting, acknowledged, resolved, rejected)} == {end_of(9)}
        assert acknowledged.first_progress_due_at == end_of(14)

        add_override(session, ROUTED_TUE.date() + timedelta(days=1), "holiday", "วันหยุดพิเศษ", LATER)
        assert recompute_deadlines(session, load_calendar(session)) == 2
        assert waiting.ack_due_at == end_of(11)  # Wed 9 now a holiday, Thu 10 Constitution Day
        assert (acknowledged.ack_due_at, acknowledged.first_progress_due_at) == (end_of(11), end_of(15))
        assert resolved.ack_due_at == rejected.ack_due_at == end_of(9)  # closed: left as they were
        assert recompute_deadlines(session, load_calendar(session)) == 0  # nothing more to move

        remove_override(session, ROUTED_TUE.date() + timedelta(days=1))
        assert recompute_deadlines(session, load_calendar(session)) == 2
        assert (waiting.ack_due_at, acknowledged.first_progress_due_at) == (end_of(9), end_of(14))


def test_a_declared_working_day_brings_a_deadline_forward(services):
    with transaction(services.sessions) as session:
        complaint = filed(session, citizen(session), at=ROUTED_FRI)
        assert complaint.ack_due_at == end_of(8)
        add_override(session, datetime(2026, 12, 7).date(), "working", "ทำงานชดเชย", LATER)
        recompute_deadlines(session, load_calendar(session))
        assert complaint.ack_due_at == end_of(7)


def test_the_next_checkpoint_follows_acknowledgement_progress_resolution_and_reopening(services):
    with transaction(services.sessions) as session:
        complaint = filed(session, citizen(session), at=ROUTED_FRI)
        assert complaint.next_checkpoint_on is None  # nothing is due before the first progress report
        act(session, "acknowledge", complaint, at=ACK_TUE)  # first progress due Mon 14 Dec
        assert complaint.next_checkpoint_on == date(2026, 12, 15)
        act(session, "progress", complaint, at=datetime(2026, 12, 15, 10, 0, tzinfo=BANGKOK))
        assert complaint.next_checkpoint_on == date(2026, 12, 30)  # the update met the 15th
        act(session, "resolve", complaint, at=datetime(2026, 12, 20, 10, 0, tzinfo=BANGKOK))
        assert complaint.next_checkpoint_on is None
        act(session, "reopen", complaint, at=datetime(2027, 1, 20, 10, 0, tzinfo=BANGKOK))
        assert complaint.next_checkpoint_on == date(2027, 1, 30)
