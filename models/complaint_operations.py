"""What officers, admins and citizens do to a filed complaint: one implementation for every door.

The LINE officer dialog and the admin web both call these. Each checks who may act (an officer
only on their own district's complaints), checks the lifecycle table, appends one event with the
time given (a LINE event's timestamp, or the web request's moment) and keeps the deadline columns
in step (RULES §2). Telling people about it is the caller's job (`handlers.notices`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import kpi_facts
from models.clock import BANGKOK
from models.complaint_lifecycle import OPEN, next_status
from models.complaints import Channel, Complaint, ComplaintEvent, ComplaintStatus, Photo
from models.deadlines import ack_due, first_progress_due, local_date, next_due_checkpoint
from models.people import Citizen, Officer
from models.public_hiding import PHOTO, TEXT, has_public_text, hidden_of
from models.tracking_codes import new_tracking_code
from models.working_days import WorkingCalendar

S = ComplaintStatus
MAX_TEXT = 5000
# Actors whose name the event keeps: staff (`staff` is a call-taker or front desk entering a complaint)
# and API clients (the key's name). Never a citizen's.
STAFF = ("officer", "admin", "staff", "api")
PHONE_RATERS = ("admin", "staff")  # who may record a rating a reporter gives by phone
CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Actor:
    kind: str  # officer | admin | citizen | system
    id: int | None
    district_code: str | None = None  # None for the centre (admins), who may act anywhere
    name: str = ""

    @classmethod
    def officer(cls, officer: Officer) -> Actor:
        return cls("officer", officer.id, officer.district_code, officer.name)

    @classmethod
    def citizen(cls, citizen: Citizen) -> Actor:
        return cls("citizen", citizen.id, None, citizen.display_name or "")


@dataclass(frozen=True)
class Reporter:
    """How a complaint came in, and who reported it when not a LINE citizen (each part optional).

    `reported_on` is the date on the letter or of the call when it is entered later; the deadlines
    still run from the moment it is entered and routed (RULES §2).
    """

    channel: str = Channel.LINE.value
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    reported_on: date | None = None
    api_key_id: int | None = None


class ActionRefused(ValueError):
    """Why an action cannot be done; `reason` is a stable key the doors turn into their own words."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}{': ' + detail if detail else ''}")
        self.reason = reason


def _may_act(complaint: Complaint, actor: Actor) -> None:
    if actor.kind == "officer" and complaint.district_code != actor.district_code:
        raise ActionRefused("not_your_district")


def _move(complaint: Complaint, action: str) -> None:
    try:
        complaint.status = next_status(action, complaint.status).value
    except ValueError:
        raise ActionRefused(f"cannot_{action}", complaint.status) from None


def _event(
    session: Session,
    complaint: Complaint,
    kind: str,
    actor: Actor,
    at: datetime,
    text: str | None = None,
    photos: Sequence[Photo] = (),
    **data: Any,
) -> ComplaintEvent:
    event = ComplaintEvent(
        complaint_id=complaint.id,
        kind=kind,
        at=at,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=(actor.name or None) if actor.kind in STAFF else None,
        district_code=complaint.district_code,
        text=text,
        data=data,
    )
    session.add(event)
    session.flush()
    for photo in photos:
        photo.complaint_id, photo.event_id = complaint.id, event.id
    session.flush()
    if kind in kpi_facts.KINDS:
        kpi_facts.refresh(session, complaint)
    return event


def _clean(text: str | None, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ActionRefused(f"needs_{what}")
    if len(cleaned) > MAX_TEXT:
        raise ActionRefused("text_too_long")
    return cleaned


def file_complaint(session: Session, citizen: Citizen | None, **complaint: Any) -> Complaint:
    """File and route a complaint (`filed_complaint`'s fields); the new complaint."""
    return filed_complaint(session, citizen, **complaint)[0]


def filed_complaint(
    session: Session,
    citizen: Citizen | None,
    *,
    description: str,
    category: str | None,
    district_code: str | None,
    latitude: float | None,
    longitude: float | None,
    photos: list[Photo],
    at: datetime,
    section: str | None = None,
    routed_by: str = "location",
    possible_duplicates: list[Complaint] | None = None,
    data: dict[str, Any] | None = None,
    calendar: WorkingCalendar | None = None,
    reporter: Reporter | None = None,
    entered_by: Actor | None = None,
    public: bool = True,
) -> tuple[Complaint, ComplaintEvent]:
    """File a complaint received at `at` (the LINE event's time, or when staff or a client entered it)
    and route it to its district.

    A LINE complaint has its `citizen`; any other has `citizen=None`, its channel and contact in
    `reporter`, and `entered_by` the staff member or API client who entered it.

    The complaint, its "filed" and "routed" events and the photo links are one unit: the caller's
    transaction. A tracking-code clash (one in a billion a year) is retried with a fresh code.
    `routed_by` says how the district was found: "location" (the point's polygon) or "citizen"
    (picked by the citizen, e.g. when the location could not be shared). `possible_duplicates`
    (nearest first) are open complaints nearby that officers should look at. With a `calendar` the
    acknowledgement deadline is stored on the row (RULES §2). `public=False`: the reporter asked that
    it not appear publicly (`models.public_hiding`); the filed event keeps the wish. Returns the
    complaint and its "filed" event (what the officers' cards are titled by, without reading it back).
    """
    duplicates = possible_duplicates or []
    reporter = reporter or Reporter()
    if citizen is None and reporter.channel == Channel.LINE:
        raise ValueError("a LINE complaint needs its citizen")
    by = Actor.citizen(citizen) if citizen is not None else entered_by or Actor("system", None)
    complaint = _with_unique_code(
        session,
        lambda code: Complaint(
            tracking_code=code,
            citizen_id=citizen.id if citizen is not None else None,
            channel=reporter.channel,
            api_key_id=reporter.api_key_id,
            reporter_name=reporter.name,
            reporter_phone=reporter.phone,
            reporter_email=reporter.email,
            reported_on=reporter.reported_on,
            district_code=district_code,
            category=category,
            description=description,
            latitude=latitude,
            longitude=longitude,
            status=S.ROUTED.value,
            created_at=at,
            routed_at=at if district_code else None,
            ack_due_at=ack_due(at, calendar) if district_code and calendar else None,
            section=section,
            possible_duplicate_of_id=duplicates[0].id if duplicates else None,
            public_opt_out=not public,
        ),
        at.astimezone(BANGKOK).date(),  # the code's year is the Thai year of the moment in Bangkok
    )
    filed = ComplaintEvent(
        complaint_id=complaint.id,
        kind="filed",
        at=at,
        actor_kind=by.kind,
        actor_id=by.id,
        actor_name=(by.name or None) if by.kind in STAFF else None,
        text=description,
        data=dict(
            data or {},
            category=category,
            latitude=latitude,
            longitude=longitude,
            possible_duplicates=[d.tracking_code for d in duplicates],
            channel=reporter.channel,
            **({"reported_on": reporter.reported_on.isoformat()} if reporter.reported_on else {}),
            **({} if public else {"public": False}),
        ),
    )
    session.add(filed)
    if district_code:
        session.add(
            ComplaintEvent(
                complaint_id=complaint.id,
                kind="routed",
                at=at,
                actor_kind="system",
                district_code=district_code,
                data={"how": routed_by, "section": section},
            )
        )
    session.flush()
    for photo in photos:
        photo.complaint_id, photo.event_id = complaint.id, filed.id
    session.flush()
    kpi_facts.refresh(session, complaint)
    return complaint, filed


def _with_unique_code(session: Session, build: Any, day: date) -> Complaint:
    for _ in range(CODE_ATTEMPTS):
        complaint = build(new_tracking_code(day))
        try:
            with session.begin_nested():  # a savepoint: a clash undoes only this insert
                session.add(complaint)
                session.flush()
            return complaint
        except IntegrityError:
            continue
    raise RuntimeError("no free tracking code after several draws")  # practically impossible


def acknowledge(
    session: Session, complaint: Complaint, actor: Actor, at: datetime, cal: WorkingCalendar
) -> ComplaintEvent:
    _may_act(complaint, actor)
    _move(complaint, "acknowledge")
    complaint.acknowledged_at = at
    complaint.first_progress_due_at = first_progress_due(at, cal)
    complaint.next_checkpoint_on = next_due_checkpoint(complaint.first_progress_due_at, None)
    return _event(session, complaint, "acknowledged", actor, at)


def report_progress(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    at: datetime,
    text: str,
    photos: Sequence[Photo] = (),
) -> ComplaintEvent:
    _may_act(complaint, actor)
    body = _clean(text, "progress_text")
    _move(complaint, "progress")
    if complaint.first_progress_at is None:
        complaint.first_progress_at = at
    complaint.last_progress_at = at
    complaint.next_checkpoint_on = next_due_checkpoint(complaint.first_progress_due_at, at)
    return _event(session, complaint, "progress", actor, at, body, photos)


def resolve(
    session: Session, complaint: Complaint, actor: Actor, at: datetime, text: str, photos: Sequence[Photo]
) -> ComplaintEvent:
    """Resolved with an answer the citizen can be given and at least one "after" photo (both required)."""
    _may_act(complaint, actor)
    body = _clean(text, "result_text")
    if not photos:
        raise ActionRefused("needs_after_photo")
    _move(complaint, "resolve")
    complaint.resolved_at = at
    complaint.next_checkpoint_on = None
    return _event(session, complaint, "resolved", actor, at, body, photos)


def transfer(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    at: datetime,
    to_district: str | None,
    reason: str,
    cal: WorkingCalendar,
) -> ComplaintEvent:
    """Hand the complaint to another district, or back to the centre (`to_district=None`).

    Both clocks restart for the unit that receives it (RULES §2, reading); the one that gave it
    away keeps the event as its record.
    """
    _may_act(complaint, actor)
    body = _clean(reason, "reason")
    if to_district is not None and to_district == complaint.district_code:
        raise ActionRefused("same_district")
    _move(complaint, "transfer")
    from_district = complaint.district_code
    event = _event(
        session,
        complaint,
        "transferred",
        actor,
        at,
        body,
        to_district=to_district,
        from_district=from_district,
    )
    complaint.district_code = to_district
    complaint.acknowledged_at = complaint.first_progress_due_at = complaint.first_progress_at = None
    complaint.last_progress_at = complaint.next_checkpoint_on = None
    if to_district is None:
        complaint.routed_at = complaint.ack_due_at = None
        kpi_facts.refresh(session, complaint)  # with no unit now: in no one's KPI
        return event
    complaint.routed_at = at
    complaint.ack_due_at = ack_due(at, cal)
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            kind="routed",
            at=at,
            actor_kind=actor.kind,
            actor_id=actor.id,
            district_code=to_district,
            data={"how": "transfer", "from_district": from_district},
        )
    )
    session.flush()
    kpi_facts.refresh(session, complaint)  # a new stint: the clocks restart (RULES §2)
    return event


def reject(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    at: datetime,
    reason: str,
    duplicate_of: Complaint | None = None,
) -> ComplaintEvent:
    """Not a complaint for the city, or a duplicate of another (then named)."""
    _may_act(complaint, actor)
    body = _clean(reason, "reason")
    if duplicate_of is not None and duplicate_of.id == complaint.id:
        raise ActionRefused("duplicate_of_itself")
    _move(complaint, "reject")
    complaint.next_checkpoint_on = None
    extra = {"duplicate_of": duplicate_of.tracking_code} if duplicate_of is not None else {}
    return _event(session, complaint, "rejected", actor, at, body, **extra)


def reopen(
    session: Session, complaint: Complaint, citizen: Citizen, at: datetime, comment: str
) -> ComplaintEvent:
    """The citizen says it is not fixed: back in progress for the district, with their words."""
    if complaint.citizen_id != citizen.id:
        raise ActionRefused("not_your_complaint")
    body = _clean(comment, "comment")
    _move(complaint, "reopen")
    complaint.reopen_count += 1
    complaint.resolved_at = None
    complaint.next_checkpoint_on = next_due_checkpoint(
        complaint.first_progress_due_at, complaint.last_progress_at, not_before=local_date(at)
    )
    return _event(
        session, complaint, "reopened", Actor.citizen(citizen), at, body, reopen_count=complaint.reopen_count
    )


def rate(
    session: Session, complaint: Complaint, rater: Citizen | Actor, at: datetime, stars: int
) -> ComplaintEvent:
    """The reporter's rating of a resolved complaint: a LINE citizen's own, or one a reporter without
    LINE gave by phone, recorded by staff."""
    if isinstance(rater, Citizen):
        if complaint.citizen_id != rater.id:
            raise ActionRefused("not_your_complaint")
        actor = Actor.citizen(rater)
    else:
        if rater.kind not in PHONE_RATERS:
            raise ActionRefused("not_your_complaint")
        if complaint.citizen_id is not None:
            raise ActionRefused("rated_on_line")  # a LINE citizen rates in LINE
        actor = rater
    if complaint.status != S.RESOLVED:
        raise ActionRefused("cannot_rate", complaint.status)
    if not 1 <= stars <= 5:
        raise ActionRefused("bad_rating")
    complaint.rating = stars
    via = {} if isinstance(rater, Citizen) else {"via": "phone"}
    return _event(session, complaint, "rated", actor, at, stars=stars, **via)


# ---- what the public sees (models.public_hiding) ----------------------------------------------------

HIDERS = ("officer", "admin")  # staff who may hide: an officer only in their own district (`_may_act`)


def hide_from_public(
    session: Session, complaint: Complaint, actor: Actor, at: datetime, what: str, item_id: int, reason: str
) -> ComplaintEvent:
    """Hide a text the district wrote (`what="text"`, the event's id) or a photo (`"photo"`, its id) of
    the complaint from the public, with the reason; staff still see it. In any status: a closed
    complaint's page is public too."""
    if actor.kind not in HIDERS:
        raise ActionRefused("not_staff")
    _may_act(complaint, actor)
    body = _clean(reason, "reason")
    _check_item(session, complaint, what, item_id)
    hidden = hidden_of(session, [complaint.id]).get(complaint.id)
    if hidden is not None and hidden.hiding(what, item_id) is not None:
        raise ActionRefused("already_hidden")
    return _event(session, complaint, "hidden", actor, at, body, what=what, item=item_id)


def show_to_public(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    at: datetime,
    what: str,
    item_id: int,
    reason: str = "",
) -> ComplaintEvent:
    """Show again what was hidden: the centre's decision (an admin only), with its reason if given."""
    if actor.kind != "admin":
        raise ActionRefused("admin_only")
    hidden = hidden_of(session, [complaint.id]).get(complaint.id)
    if hidden is None or hidden.hiding(what, item_id) is None:
        raise ActionRefused("not_hidden")
    body = (reason or "").strip()
    if len(body) > MAX_TEXT:
        raise ActionRefused("text_too_long")
    return _event(session, complaint, "unhidden", actor, at, body or None, what=what, item=item_id)


def _check_item(session: Session, complaint: Complaint, what: str, item_id: int) -> None:
    """The item is this complaint's, and one the public could see: a district's text, or a photo."""
    if what == TEXT:
        event = session.get(ComplaintEvent, item_id)
        if event is not None and event.complaint_id == complaint.id and has_public_text(event):
            return
    elif what == PHOTO:
        photo = session.get(Photo, item_id)
        if photo is not None and photo.complaint_id == complaint.id:
            return
    raise ActionRefused("no_such_item")


def set_routed_deadline(complaint: Complaint, cal: WorkingCalendar) -> None:
    complaint.ack_due_at = ack_due(complaint.routed_at, cal) if complaint.routed_at else None


def recompute_deadlines(session: Session, cal: WorkingCalendar) -> int:
    """After the holiday table changed: every open complaint's deadlines from its own moments.

    Reminders already sent keep their keys; the sweep sends nothing for moments already past.
    """
    changed = 0
    for complaint in session.scalars(select(Complaint).where(Complaint.status.in_([s.value for s in OPEN]))):
        ack = ack_due(complaint.routed_at, cal) if complaint.routed_at else None
        first = first_progress_due(complaint.acknowledged_at, cal) if complaint.acknowledged_at else None
        checkpoint = next_due_checkpoint(first, complaint.last_progress_at)
        if (ack, first, checkpoint) != (
            complaint.ack_due_at,
            complaint.first_progress_due_at,
            complaint.next_checkpoint_on,
        ):
            complaint.ack_due_at, complaint.first_progress_due_at = ack, first
            complaint.next_checkpoint_on = checkpoint
            changed += 1
    session.flush()
    return changed
