"""Filing a complaint, the lifecycle table, and possible duplicates (every backend)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

import models.complaint_operations as lifecycle
from models import Citizen, Complaint, ComplaintEvent, ComplaintStatus, Photo
from models.complaint_operations import file_complaint
from models.db import transaction
from models.nearby import open_complaints_near
from models.tracking_codes import CODE_PATTERN

AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def citizen(session) -> Citizen:  # type: ignore[no-untyped-def]
    person = Citizen(line_user_id="U" + "1" * 32, created_at=AT, updated_at=AT)
    session.add(person)
    session.flush()
    return person


def file(session, person, **kw):  # type: ignore[no-untyped-def]
    values = dict(
        description="ไฟถนนดับ",
        category="แสงสว่าง",
        district_code="1030",
        latitude=13.8040,
        longitude=100.5530,
        photos=[],
        at=AT,
    )
    values.update(kw)
    return file_complaint(session, person, **values)


def test_filing_records_the_complaint_its_events_and_photos(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        photo = Photo(
            citizen_id=person.id,
            path="a.png",
            content_type="image/png",
            size_bytes=1,
            sha256="x",
            created_at=AT,
        )
        session.add(photo)
        session.flush()
        complaint = file(session, person, photos=[photo])
        code = complaint.tracking_code
    with transaction(services.sessions) as session:
        stored = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert CODE_PATTERN.match(code) and code.startswith("69-")
        assert (stored.status, stored.created_at, stored.routed_at) == ("routed", AT, AT)
        events = list(session.scalars(select(ComplaintEvent).order_by(ComplaintEvent.id)))
        assert [(e.kind, e.actor_kind, e.at) for e in events] == [
            ("filed", "citizen", AT),
            ("routed", "system", AT),
        ]
        assert events[1].district_code == "1030"
        (linked,) = session.scalars(select(Photo))
        assert (linked.complaint_id, linked.event_id) == (stored.id, events[0].id)


def test_a_complaint_without_a_district_is_not_routed(services):
    with transaction(services.sessions) as session:
        complaint = file(session, citizen(session), district_code=None, latitude=None, longitude=None)
        assert complaint.routed_at is None
        assert [e.kind for e in complaint.events] == ["filed"]


def test_the_code_year_is_the_thai_year_in_bangkok(services):
    new_year_eve_utc = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # already 1 Jan 2027 in Bangkok
    with transaction(services.sessions) as session:
        assert file(session, citizen(session), at=new_year_eve_utc).tracking_code.startswith("70-")


def test_a_tracking_code_clash_draws_again(services, monkeypatch):
    codes = iter(["69-AAAAAA", "69-AAAAAA", "69-BBBBBB"])
    monkeypatch.setattr(lifecycle, "new_tracking_code", lambda day: next(codes))
    with transaction(services.sessions) as session:
        person = citizen(session)
        first, second = file(session, person), file(session, person)
    assert (first.tracking_code, second.tracking_code) == ("69-AAAAAA", "69-BBBBBB")
    with transaction(services.sessions) as session:
        assert len(list(session.scalars(select(Complaint)))) == 2


def test_possible_duplicates_are_open_same_category_within_50_m(services):
    with transaction(services.sessions) as session:
        person = citizen(session)
        near = file(session, person)  # Chatuchak Park, 13.8040
        north = file(session, person, latitude=13.8046)  # 67 m north of it
        file(session, person, category="ถนน")  # same spot, another category
        done = file(session, person, latitude=13.80441)
        done.status = ComplaintStatus.RESOLVED.value  # resolved: not a duplicate any more
        session.flush()

        def found(latitude: float) -> set[int]:
            hits = open_complaints_near(session, category="แสงสว่าง", latitude=latitude, longitude=100.5530)
            return {c.id for c in hits}

        assert found(13.8044) == {near.id, north.id}  # 44 m and 22 m away
        assert found(13.8040) == {near.id}  # 0 m and 67 m away
        assert found(13.8035) == set()  # 56 m and 122 m away
