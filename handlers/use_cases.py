"""The use cases on a complaint, one function each, called by every door (LINE, the staff web, the CLI).

Each one does the domain operation (`models.complaint_operations`: who may, the lifecycle table,
the event, the deadlines), makes the notices it causes (`handlers.notices`: the citizen told, the
district's officers given the card) and queues them in the outbox, all in the caller's transaction:
rolled back, nothing happened and nobody is told. A refusal raises `ActionRefused` before anything
is written.

The LINE door passes `deliver`: the worker queues a handler's pushes right after its reply, in the
same transaction, so the person acting sees the answer before any card they are also sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers.notices import Links, Push, for_event, officer_cards
from models import Citizen, Complaint, ComplaintEvent, ComplaintFollower, Photo
from models import complaint_followers as followers
from models import complaint_operations as operations
from models.complaint_operations import ActionRefused, Actor, Reporter
from models.outbox import queue_pushes
from models.personal_data import Erasure
from models.personal_data import erase_citizen as erase_citizen_data
from models.photo_flags import Kept, record_flags
from models.working_days import load_calendar

__all__ = [
    "ActionRefused",
    "Acting",
    "Actor",
    "Reporter",
    "acknowledge",
    "erase_citizen",
    "file",
    "follow",
    "hide_from_public",
    "progress",
    "rate",
    "recompute_deadlines",
    "reject",
    "reopen",
    "resolve",
    "show_to_public",
    "transfer",
    "unfollow",
]


@dataclass(frozen=True)
class Acting:
    """Who acts, when (a LINE event's time or the request's moment), and how their notices go out."""

    session: Session
    actor: Actor
    at: datetime
    links: Links
    deliver: Callable[[list[Push]], None] | None = None  # None: into the outbox now

    def tell(self, pushes: list[Push]) -> None:
        if self.deliver is not None:
            self.deliver(pushes)
        else:
            queue_pushes(self.session, pushes, now=self.at)

    def told_of(self, complaint: Complaint, event: ComplaintEvent) -> ComplaintEvent:
        self.tell(for_event(self.session, complaint, event, self.links))
        return event


def file(acting: Acting, citizen: Citizen | None, **complaint: Any) -> Complaint:
    """File and route a complaint (fields as `models.complaint_operations.file_complaint` takes them);
    the district's officers get its card. `citizen` is None for a complaint from another channel
    (its `reporter=`), entered by `acting.actor` (a call-taker, an API client)."""
    session = acting.session
    entered_by = None if citizen is not None else acting.actor
    filed, event = operations.filed_complaint(
        session, citizen, at=acting.at, calendar=load_calendar(session), entered_by=entered_by, **complaint
    )
    # The card's title and photo are what was just written: no need to read them back.
    before = sorted(complaint.get("photos") or [], key=lambda photo: photo.id)[:1]
    acting.tell(officer_cards(session, filed, acting.links, note=None, event=event, before=before))
    return filed


def acknowledge(acting: Acting, complaint: Complaint) -> ComplaintEvent:
    session = acting.session
    event = operations.acknowledge(session, complaint, acting.actor, acting.at, load_calendar(session))
    return acting.told_of(complaint, event)


def progress(
    acting: Acting, complaint: Complaint, text: str, photos: list[Photo], kept: Sequence[Kept] = ()
) -> ComplaintEvent:
    """`kept`: photos the detector matched that the person acting decided to keep, with their reasons;
    the report is flagged for them (models.photo_flags)."""
    event = operations.report_progress(acting.session, complaint, acting.actor, acting.at, text, photos)
    _flag(acting, complaint, event, kept)
    return acting.told_of(complaint, event)


def resolve(
    acting: Acting, complaint: Complaint, text: str, photos: list[Photo], kept: Sequence[Kept] = ()
) -> ComplaintEvent:
    """As `progress`: a kept matching "after" photo flags the resolution for the people who check."""
    event = operations.resolve(acting.session, complaint, acting.actor, acting.at, text, photos)
    _flag(acting, complaint, event, kept)
    return acting.told_of(complaint, event)


def _flag(acting: Acting, complaint: Complaint, event: ComplaintEvent, kept: Sequence[Kept]) -> None:
    if kept:
        actor = acting.actor
        record_flags(acting.session, complaint, event, kept, (actor.kind, actor.id, actor.name))


def transfer(acting: Acting, complaint: Complaint, to_district: str | None, reason: str) -> ComplaintEvent:
    """To another district (its officers get the card), or back to the centre (`to_district=None`)."""
    session = acting.session
    event = operations.transfer(
        session, complaint, acting.actor, acting.at, to_district, reason, load_calendar(session)
    )
    return acting.told_of(complaint, event)


def reject(
    acting: Acting, complaint: Complaint, reason: str, duplicate_of: Complaint | None = None
) -> ComplaintEvent:
    event = operations.reject(acting.session, complaint, acting.actor, acting.at, reason, duplicate_of)
    return acting.told_of(complaint, event)


def reopen(acting: Acting, complaint: Complaint, citizen: Citizen, comment: str) -> ComplaintEvent:
    """The citizen says it is not fixed: back to the district, whose officers get the card again."""
    event = operations.reopen(acting.session, complaint, citizen, acting.at, comment)
    return acting.told_of(complaint, event)


def rate(
    acting: Acting, complaint: Complaint, rater: Citizen | Actor, stars: int
) -> ComplaintEvent | ComplaintFollower:
    """The reporter's rating of a resolved complaint: a citizen in LINE, or staff recording one given by
    phone (no one else is told). A citizen who follows the complaint ("me too") rates it too, but as
    their own rating on their follow: the reporter's (`complaints.rating`, what the KPI counts) stays."""
    if (
        isinstance(rater, Citizen)
        and complaint.citizen_id != rater.id
        and followers.active_follow(acting.session, complaint, rater) is not None
    ):
        return followers.rate_as_follower(acting.session, complaint, rater, acting.at, stars)
    event = operations.rate(acting.session, complaint, rater, acting.at, stars)
    return acting.told_of(complaint, event)


def follow(acting: Acting, complaint: Complaint, citizen: Citizen) -> ComplaintFollower:
    """The citizen follows another's open complaint instead of filing a duplicate ("ติดตามเรื่องนี้แทน");
    from now on they get its notices. Refused (`own_complaint`, `closed`, `already_following`) before
    anything is written. Nobody is told: the district sees the count on the card."""
    return followers.follow(acting.session, complaint, citizen, acting.at)


def unfollow(acting: Acting, complaint: Complaint, citizen: Citizen) -> ComplaintFollower:
    """The citizen unfollows ("เลิกติดตาม"): no more notices of it (`not_following` when they do not
    follow it)."""
    return followers.unfollow(acting.session, complaint, citizen, acting.at)


def not_fixed_as_follower(acting: Acting, complaint: Complaint, citizen: Citizen) -> ComplaintFollower:
    """A follower says the resolved complaint is not fixed: recorded on their follow for staff to see. It
    does not reopen the complaint: reopening is the complainant's (RULES §5)."""
    return followers.not_fixed_as_follower(acting.session, complaint, citizen, acting.at)


def hide_from_public(
    acting: Acting, complaint: Complaint, what: str, item_id: int, reason: str
) -> ComplaintEvent:
    """Staff hide a text the district wrote (`what="text"`, its event's id) or a photo (`"photo"`) of the
    complaint from the public, with the reason (recorded as an event); staff still see it. Nobody is
    told: the reporter's own view is unchanged."""
    return operations.hide_from_public(
        acting.session, complaint, acting.actor, acting.at, what, item_id, reason
    )


def show_to_public(
    acting: Acting, complaint: Complaint, what: str, item_id: int, reason: str = ""
) -> ComplaintEvent:
    """An admin shows the public again what was hidden (its reason recorded if given)."""
    return operations.show_to_public(
        acting.session, complaint, acting.actor, acting.at, what, item_id, reason
    )


def erase_citizen(acting: Acting, citizen: Citizen) -> Erasure:
    """A citizen's personal data erased (PDPA): asked in LINE, recorded by staff from a phone call or a
    letter, or by the retention job. Their LINE id and name go, their own texts are masked, their download
    links stop; complaints, events and photos stay for the district and the KPI. Nobody is told (and the
    citizen no longer can be: `handlers.notices` sends nothing to an erased row). Idempotent."""
    return erase_citizen_data(acting.session, citizen, acting.at)


def recompute_deadlines(session: Session) -> int:
    """After the working-day calendar changed: open complaints' stored deadlines again; how many moved."""
    return operations.recompute_deadlines(session, load_calendar(session))
