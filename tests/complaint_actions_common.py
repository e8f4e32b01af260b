"""Complaints in each state for tests/integration and tests/e2e test_complaint_actions.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Citizen, Complaint, ComplaintEvent, Photo
from models.complaint_operations import (
    Actor,
    acknowledge,
    file_complaint,
    rate,
    reject,
    reopen,
    report_progress,
    resolve,
    transfer,
)
from models.working_days import load_calendar
from tests.citizen_chat import BANGKOK

ADMIN = Actor("admin", None)
ROUTED_FRI = datetime(2026, 12, 4, 10, 0, tzinfo=BANGKOK)  # RULES §2: acknowledgement due Tue 8 Dec
ROUTED_TUE = datetime(2026, 12, 8, 10, 0, tzinfo=BANGKOK)  # acknowledgement due Wed 9 Dec
LATER = datetime(2026, 12, 9, 10, 0, tzinfo=BANGKOK)


def end_of(day: int, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=BANGKOK)


_people = iter(range(10**6))


def citizen(session) -> Citizen:  # type: ignore[no-untyped-def]
    person = Citizen(line_user_id=f"U{next(_people):032d}", created_at=ROUTED_FRI, updated_at=ROUTED_FRI)
    session.add(person)
    session.flush()
    return person


def filed(session, person: Citizen, at: datetime = ROUTED_TUE, district: str | None = "1030") -> Complaint:  # type: ignore[no-untyped-def]
    return file_complaint(
        session,
        person,
        description="ไฟถนนดับ 3 ต้น",
        category="แสงสว่าง",
        district_code=district,
        latitude=13.8040,
        longitude=100.5530,
        photos=[],
        at=at,
        calendar=load_calendar(session),
    )


def photo(session) -> Photo:  # type: ignore[no-untyped-def]
    made = Photo(path="after.png", content_type="image/png", size_bytes=1, sha256="x", created_at=LATER)
    session.add(made)
    session.flush()
    return made


def act(session, op: str, complaint: Complaint, actor: Actor = ADMIN, **kw: Any) -> ComplaintEvent:  # type: ignore[no-untyped-def]
    """One operation with sensible arguments; `kw` overrides them."""
    at = kw.get("at", LATER)
    text = kw.get("text", "ข้อความจากเขต")
    cal = load_calendar(session)
    if op == "acknowledge":
        return acknowledge(session, complaint, actor, at, cal)
    if op == "progress":
        return report_progress(session, complaint, actor, at, text)
    if op == "resolve":
        photos = kw["photos"] if "photos" in kw else [photo(session)]
        return resolve(session, complaint, actor, at, text, photos)
    if op == "transfer":
        return transfer(session, complaint, actor, at, kw.get("to", "1007"), text, cal)
    if op == "reject":
        return reject(session, complaint, actor, at, text, kw.get("duplicate_of"))
    by = kw.get("by") or session.get(Citizen, complaint.citizen_id)
    if op == "reopen":
        return reopen(session, complaint, by, at, text)
    if op == "rate":
        return rate(session, complaint, by, at, kw.get("stars", 4))
    raise AssertionError(op)


def bring_to(session, complaint: Complaint, status: str) -> None:  # type: ignore[no-untyped-def]
    """Move a freshly routed complaint to `status` the way it really gets there."""
    path = {
        "routed": [],
        "acknowledged": ["acknowledge"],
        "in_progress": ["acknowledge", "progress"],
        "resolved": ["acknowledge", "progress", "resolve"],
        "rejected": ["reject"],
    }[status]
    for op in path:
        act(session, op, complaint, at=ROUTED_TUE)
    assert complaint.status == status
