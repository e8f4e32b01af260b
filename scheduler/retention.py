"""Retention (issue 17 point 8): whose personal data is kept no longer, and its erasure.

A LINE citizen is due when they have no open complaint and nothing of theirs has happened for
`days` (RETENTION_DAYS, default 730): no event on any of their complaints, no message or postback in
the inbox, no dialog step, no photo, no profile update since. A reporter without LINE is due, complaint
by complaint, when the complaint is closed (resolved or rejected) and has had no event for as long.

The erasure is `models.personal_data` (helper of "erase my data"): the citizen becomes a pseudonym, their
texts are masked, a reporter's contact is removed; complaints, events and photos stay for the public
record and the KPI. The housekeeping job (bot/jobs.py) runs this every hour and logs the counts;
`rongtook personal-data retention --dry-run` lists who would go without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from models import Citizen, Complaint, ComplaintEvent, Dialog, InboxEvent, Photo
from models.complaint_lifecycle import OPEN_VALUES
from models.db import transaction
from models.personal_data import ERASED_PREFIX, erase_citizen, erase_reporter

DEFAULT_DAYS = 730


@dataclass(frozen=True)
class DueCitizen:
    citizen_id: int  # the pseudonymous id shown (never the LINE id or name)
    last_activity: datetime
    complaints: int


@dataclass(frozen=True)
class DueReporter:
    complaint_id: int
    tracking_code: str
    last_activity: datetime


@dataclass(frozen=True)
class RetentionPlan:
    cutoff: datetime  # activity at or before this moment is old enough
    citizens: list[DueCitizen] = field(default_factory=list)
    reporters: list[DueReporter] = field(default_factory=list)


@dataclass(frozen=True)
class RetentionRun:
    plan: RetentionPlan
    dry_run: bool
    citizens_erased: int = 0
    reporters_erased: int = 0


def _recent_citizen_activity(cutoff: datetime) -> ColumnElement[bool]:
    """Anything of the citizen after the cutoff: a complaint event, a message, a dialog step, a photo."""
    event = (
        select(ComplaintEvent.id)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(Complaint.citizen_id == Citizen.id, ComplaintEvent.at > cutoff)
    )
    # Not correlated: the inbox has no index by chat for done rows, so its recent chats are read once (it
    # holds about a month: housekeeping purges older done rows).
    inbox = select(InboxEvent.chat_key).where(InboxEvent.received_at > cutoff)
    dialog = select(Dialog.id).where(Dialog.line_user_id == Citizen.line_user_id, Dialog.updated_at > cutoff)
    photo = select(Photo.id).where(Photo.citizen_id == Citizen.id, Photo.created_at > cutoff)
    return or_(exists(event), Citizen.line_user_id.in_(inbox), exists(dialog), exists(photo))


def due(session: Session, now: datetime, days: int = DEFAULT_DAYS, limit: int | None = None) -> RetentionPlan:
    """Who is due for erasure at `now`, oldest id first (at most `limit` of each kind)."""
    cutoff = now - timedelta(days=days)
    open_complaint = select(Complaint.id).where(
        Complaint.citizen_id == Citizen.id, Complaint.status.in_(OPEN_VALUES)
    )
    # The list's last activity and count ride along as subqueries: one statement however many are due.
    last_event = (
        select(func.max(ComplaintEvent.at))
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(Complaint.citizen_id == Citizen.id)
        .scalar_subquery()
    )
    last_dialog = select(func.max(Dialog.updated_at)).where(Dialog.line_user_id == Citizen.line_user_id)
    last_photo = select(func.max(Photo.created_at)).where(Photo.citizen_id == Citizen.id)
    filed = select(func.count(Complaint.id)).where(Complaint.citizen_id == Citizen.id)
    citizens = session.execute(
        select(
            Citizen.id,
            Citizen.created_at,
            Citizen.updated_at,
            last_event,
            last_dialog.scalar_subquery(),
            last_photo.scalar_subquery(),
            filed.scalar_subquery(),
        )
        .where(
            ~Citizen.line_user_id.startswith(ERASED_PREFIX),
            Citizen.created_at <= cutoff,
            Citizen.updated_at <= cutoff,
            ~exists(open_complaint),
            ~_recent_citizen_activity(cutoff),
        )
        .order_by(Citizen.id)
        .limit(limit)
    )
    due_citizens = [
        DueCitizen(ident, max(m for m in moments if m is not None), count or 0)
        for ident, *moments, count in citizens
    ]
    recent_event = select(ComplaintEvent.id).where(
        ComplaintEvent.complaint_id == Complaint.id, ComplaintEvent.at > cutoff
    )
    last_event = (
        select(func.max(ComplaintEvent.at))
        .where(ComplaintEvent.complaint_id == Complaint.id)
        .scalar_subquery()
    )
    reporters = session.execute(
        select(Complaint.id, Complaint.tracking_code, Complaint.created_at, last_event)
        .where(
            Complaint.citizen_id.is_(None),
            Complaint.status.not_in(OPEN_VALUES),
            or_(
                Complaint.reporter_name.is_not(None),
                Complaint.reporter_phone.is_not(None),
                Complaint.reporter_email.is_not(None),
            ),
            Complaint.created_at <= cutoff,
            ~exists(recent_event),
        )
        .order_by(Complaint.id)
        .limit(limit)
    )
    due_reporters = [
        DueReporter(i, code, max(created, last or created)) for i, code, created, last in reporters
    ]
    return RetentionPlan(cutoff, due_citizens, due_reporters)


def run(
    session: Session, now: datetime, days: int = DEFAULT_DAYS, dry_run: bool = False, limit: int | None = None
) -> RetentionRun:
    """Erase everyone due (or, dry, only say who): in the caller's transaction."""
    plan = due(session, now, days, limit)
    if dry_run:
        return RetentionRun(plan, dry_run=True)
    citizens = reporters = 0
    for item in plan.citizens:
        citizen = session.get(Citizen, item.citizen_id)
        if citizen is not None and not erase_citizen(session, citizen, now).already_erased:
            citizens += 1
    for reporter in plan.reporters:
        complaint = session.get(Complaint, reporter.complaint_id)
        if complaint is not None and not erase_reporter(session, complaint, now).already_erased:
            reporters += 1
    return RetentionRun(plan, dry_run=False, citizens_erased=citizens, reporters_erased=reporters)


def erase_in_batches(
    sessions: sessionmaker[Session],
    now: datetime,
    days: int = DEFAULT_DAYS,
    batch: int = 100,
    most: int | None = None,
) -> RetentionRun:
    """Erase everyone due, in transactions of at most `batch` citizens and `batch` reporters each (an
    erasure takes some 15 ms on PostgreSQL: a long transaction would hold its rows), up to `most` of each
    kind (None: all). Stops when a batch finds fewer than it may take, or erases nothing."""
    citizens: list[DueCitizen] = []
    reporters: list[DueReporter] = []
    erased = [0, 0]
    cutoff = now - timedelta(days=days)
    while True:
        room = batch if most is None else min(batch, most - max(len(citizens), len(reporters)))
        if room <= 0:
            break
        with transaction(sessions) as session:
            done = run(session, now, days, limit=room)
        citizens += done.plan.citizens
        reporters += done.plan.reporters
        erased[0] += done.citizens_erased
        erased[1] += done.reporters_erased
        full = len(done.plan.citizens) == room or len(done.plan.reporters) == room
        if not full or done.citizens_erased + done.reporters_erased == 0:
            break
    return RetentionRun(RetentionPlan(cutoff, citizens, reporters), False, erased[0], erased[1])
