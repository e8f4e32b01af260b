"""Requests about personal data received by phone, letter, e-mail or at the desk (issue 17 point 7): a
reporter without LINE (`complaints.reporter_*`), or a LINE citizen who asks another way, wants a copy of
what is held or its erasure. Staff record the request with the day it was received; the answer is due
30 days later (PDPA s. 30); carrying it out is recorded with who and when.

Who the request is about is kept as the complaints (and the LINE citizen) it covers, found by a
tracking code or by the reporter's phone number: never the phone number itself, which an erasure
removes from the complaints and must not survive here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.clock import BANGKOK
from models.complaints import Complaint, ComplaintEvent
from models.people import Citizen

DUE_DAYS = 30  # a copy is answered within 30 days (PDPA s. 30); the page holds erasures to the same
COPY, ERASE = "copy", "erase"
KINDS = (COPY, ERASE)
CHANNELS = ("phone", "letter", "email", "walk_in")  # how the request reached the office
MAX_NOTE = 1000
MAX_COMPLAINTS = 500  # one reporter's complaints a request covers (a phone number shared by an office)


class DataRequest(Base):
    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # of KINDS
    channel: Mapped[str] = mapped_column(String(12))  # of CHANNELS
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)  # received_on + DUE_DAYS
    # Whom it is about: a LINE citizen (with all their complaints) or a reporter's complaints.
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), default=None)
    complaint_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    found_by: Mapped[str] = mapped_column(String(8))  # "code" or "phone": how staff found them
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(40))  # the staff account, as named then
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    carried_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    carried_out_by: Mapped[str | None] = mapped_column(String(40), default=None)

    def overdue(self, today: date) -> bool:
        return self.carried_out_at is None and today > self.due_on


@dataclass(frozen=True)
class Subject:
    """Whom a request is about: a LINE citizen (or None) and the complaints it covers."""

    citizen_id: int | None
    complaint_ids: list[int]
    found_by: str


def subject_by_code(session: Session, tracking_code: str) -> Subject | None:
    """The complaint's reporter: its LINE citizen and all their complaints; else everything filed with
    the same phone number (the same reporter, by the only key there is); else that complaint alone."""
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == tracking_code))
    if complaint is None:
        return None
    if complaint.citizen_id is not None:
        ids = session.scalars(
            select(Complaint.id).where(Complaint.citizen_id == complaint.citizen_id).order_by(Complaint.id)
        )
        return Subject(complaint.citizen_id, list(ids)[:MAX_COMPLAINTS], "code")
    if complaint.reporter_phone:
        by_phone = subject_by_phone(session, complaint.reporter_phone)
        if by_phone is not None:
            return Subject(None, by_phone.complaint_ids, "code")
    return Subject(None, [complaint.id], "code")


def subject_by_phone(session: Session, phone: str) -> Subject | None:
    """The complaints a reporter without LINE filed with this phone number (digits only), or None."""
    ids = list(
        session.scalars(
            select(Complaint.id)
            .where(Complaint.reporter_phone == phone, Complaint.citizen_id.is_(None))
            .order_by(Complaint.id)
            .limit(MAX_COMPLAINTS)
        )
    )
    return Subject(None, ids, "phone") if ids else None


def due_on(received_on: date) -> date:
    return received_on + timedelta(days=DUE_DAYS)


def record_request(
    session: Session,
    kind: str,
    channel: str,
    received_on: date,
    subject: Subject,
    note: str,
    recorded_by: str,
    at: datetime,
) -> DataRequest:
    if kind not in KINDS or channel not in CHANNELS:
        raise ValueError(f"not a request: {kind!r} by {channel!r}")
    request = DataRequest(
        kind=kind,
        channel=channel,
        received_on=received_on,
        due_on=due_on(received_on),
        citizen_id=subject.citizen_id,
        complaint_ids=list(subject.complaint_ids),
        found_by=subject.found_by,
        note=note[:MAX_NOTE],
        recorded_by=recorded_by,
        recorded_at=at,
    )
    session.add(request)
    session.flush()
    return request


def all_requests(session: Session, limit: int = 500) -> list[DataRequest]:
    """Open requests first, the earliest due first; then those carried out, the latest first."""
    open_ = session.scalars(
        select(DataRequest)
        .where(DataRequest.carried_out_at.is_(None))
        .order_by(DataRequest.due_on, DataRequest.id)
        .limit(limit)
    )
    done = session.scalars(
        select(DataRequest)
        .where(DataRequest.carried_out_at.is_not(None))
        .order_by(DataRequest.carried_out_at.desc(), DataRequest.id.desc())
        .limit(limit)
    )
    return [*open_, *done]


def covered(session: Session, request: DataRequest) -> list[Complaint]:
    """The complaints the request covers (and, for a LINE citizen, any filed since it was recorded)."""
    ids = set(request.complaint_ids or [])
    stmt = select(Complaint).where(Complaint.id.in_(ids))
    if request.citizen_id is not None:
        stmt = select(Complaint).where((Complaint.id.in_(ids)) | (Complaint.citizen_id == request.citizen_id))
    return list(session.scalars(stmt.order_by(Complaint.id)))


def mark_carried_out(request: DataRequest, by: str, at: datetime) -> bool:
    """Record who carried it out and when (the first time only); False when it was already."""
    if request.carried_out_at is not None:
        return False
    request.carried_out_at, request.carried_out_by = at, by
    return True


def reporter_copy(session: Session, complaints: list[Complaint]) -> bytes:
    """What is held about a reporter without LINE, as JSON to hand over: their contact as given on each
    complaint, the complaints and their events (the staff's names are left out: theirs, not the
    reporter's data)."""

    def local(moment: datetime | None) -> str | None:
        return moment.astimezone(BANGKOK).isoformat() if moment else None

    out: list[dict[str, Any]] = []
    for c in complaints:
        events = session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.id)
        )
        out.append(
            {
                "tracking_code": c.tracking_code,
                "channel": c.channel,
                "reporter": {"name": c.reporter_name, "phone": c.reporter_phone, "email": c.reporter_email},
                "reported_on": c.reported_on.isoformat() if c.reported_on else None,
                "received_at": local(c.created_at),
                "category": c.category,
                "description": c.description,
                "latitude": c.latitude,
                "longitude": c.longitude,
                "status": c.status,
                "rating": c.rating,
                "events": [{"kind": e.kind, "at": local(e.at), "text": e.text} for e in events],
            }
        )
    return json.dumps({"complaints": out}, ensure_ascii=False, indent=2).encode()


def citizen_of(session: Session, request: DataRequest) -> Citizen | None:
    return session.get(Citizen, request.citizen_id) if request.citizen_id is not None else None
