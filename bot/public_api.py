"""`GET /api/v1/complaints/<tracking code>`: a complaint's status for anyone holding its code.

Nothing personal leaves here: no LINE ids, no names, not even the citizen's own description
(people write phone numbers and addresses into it). What officers wrote to answer the
complaint, and when, is public, unless staff hid it (`models.public_hiding`); a complaint whose
reporter asked that it not be public answers 404 with `not_public`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import Services
from models import Complaint, ComplaintEvent, District
from models.clock import BANGKOK
from models.complaint_followers import follower_count
from models.db import transaction
from models.deadlines import ComplaintDeadlines, deadlines_for
from models.public_hiding import PUBLIC_EVENTS, Hidden, has_public_text, public_text, replayed
from models.public_text import masked
from models.tracking_codes import normalise_code
from models.working_days import load_calendar

bp = Blueprint("public_api", __name__, url_prefix="/api/v1")


@dataclass(frozen=True)
class PublicRecord:
    """A complaint as anyone holding its code may see it (this API and the page `/c/<code>`)."""

    complaint: Complaint
    district: District | None
    events: list[ComplaintEvent]
    deadlines: ComplaintDeadlines
    hidden: Hidden  # what staff hid from the public

    @property
    def public(self) -> bool:
        """False: the reporter asked that it not appear publicly; show that, and nothing of it."""
        return not self.complaint.public_opt_out

    def public_steps(self) -> list[tuple[ComplaintEvent, str | None, bool]]:
        """The public timeline: each public event, its public text (unmasked, None when it has none or it
        is hidden), and whether a text was hidden."""
        return [
            (e, public_text(e, self.hidden), has_public_text(e) and self.hidden.text(e.id))
            for e in self.events
            if e.kind in PUBLIC_EVENTS
        ]


def public_record(session: Session, code: str) -> PublicRecord | None:
    """The complaint with this code (typed any way), or None."""
    normalised = normalise_code(code)
    complaint = (
        session.scalar(select(Complaint).where(Complaint.tracking_code == normalised)) if normalised else None
    )
    if complaint is None:
        return None
    district = session.get(District, complaint.district_code) if complaint.district_code else None
    events = list(
        session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id)
        )
    )
    return PublicRecord(
        complaint,
        district,
        events,
        deadlines_for(complaint, lambda: events, load_calendar(session)),
        replayed(events),
    )


@bp.get("/complaints/<code>")
def complaint_status(code: str) -> ResponseReturnValue:
    services: Services = current_app.extensions["rongtook"]
    with transaction(services.read_sessions) as session:
        record = public_record(session, code)
        if record is None:
            return jsonify(
                error="not_found", message="ไม่พบเรื่องร้องเรียนรหัสนี้ / no complaint with this code"
            ), 404
        if not record.public:
            return jsonify(
                error="not_public",
                message="ผู้แจ้งขอไม่เปิดเผยเรื่องนี้ต่อสาธารณะค่ะ / the reporter asked that it not be public",
            ), 404
        complaint, district, deadlines = record.complaint, record.district, record.deadlines
        body: dict[str, Any] = {
            "code": complaint.tracking_code,
            "status": complaint.status,
            "category": complaint.category,
            "district": (
                {"code": district.code, "name_th": district.name_th, "name_en": district.name_en}
                if district
                else None
            ),
            "received_at": _iso(complaint.created_at),
            "routed_at": _iso(complaint.routed_at),
            "ack_due_at": _iso(deadlines.ack_due_at),
            "acknowledged_at": _iso(deadlines.acknowledged_at),
            "first_progress_due_at": _iso(deadlines.first_progress_due_at),
            "next_checkpoint_on": _day(complaint.next_checkpoint_on),
            # How many citizens follow it instead of filing a duplicate ("me too"): a number, never who.
            "followers": follower_count(session, complaint.id),
            "history": [
                {
                    "at": _iso(e.at),
                    "kind": e.kind,
                    **({"text": masked(text)} if text else {}),
                    **({"text_hidden": True} if hidden else {}),
                }
                for e, text, hidden in record.public_steps()
            ],
        }
    return jsonify(body)


def _iso(moment: datetime | None) -> str | None:
    """Times in Bangkok, with their offset, to the second."""
    return moment.astimezone(BANGKOK).isoformat(timespec="seconds") if moment else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
