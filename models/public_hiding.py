"""What the public may not see of a complaint: staff's hiding, read off the event log, and the opt-out.

Staff (an officer on LINE, staff on the web) may hide from the public a text the district wrote (a
progress report, a result, a transfer or rejection reason) or any photo of a complaint, with a reason; an
admin may show it again. Each is an event ("hidden", "unhidden") naming the text's event or the photo, so
the log keeps who, when and why, and what is hidden now is the log replayed: nothing is changed in place.
Staff still see everything, marked; every public output asks here.

A complaint whose reporter asked at filing that it not appear publicly (`Complaint.public_opt_out`) is
shown nowhere publicly at all, yet counts in every figure (KPI, league table, reports, the home page).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.complaint_lifecycle import STAFF_EVENT_KINDS
from models.complaints import Complaint, ComplaintEvent, Photo

TEXT, PHOTO = "text", "photo"
WHAT = (TEXT, PHOTO)
HIDDEN, UNHIDDEN = STAFF_EVENT_KINDS
# Event kinds the public sees, and whether their text is public: what the district wrote in answer is;
# the citizen's own words (the description, a reopening comment) never are.
PUBLIC_EVENTS: Mapping[str, bool] = {
    "filed": False,
    "routed": False,
    "acknowledged": True,
    "progress": True,
    "transferred": True,
    "resolved": True,
    "rejected": True,
    "reopened": False,
}

Item = tuple[str, int]  # (TEXT, the event whose text) or (PHOTO, the photo's id)


@dataclass(frozen=True)
class Hidden:
    """What of one complaint is hidden now, each item with the event that hid it (who, when, why)."""

    by: Mapping[Item, ComplaintEvent] = field(default_factory=dict)

    def text(self, event_id: int) -> bool:
        return (TEXT, event_id) in self.by

    def photo(self, photo_id: int) -> bool:
        return (PHOTO, photo_id) in self.by

    def hiding(self, what: str, item_id: int) -> ComplaintEvent | None:
        return self.by.get((what, item_id))


NOTHING_HIDDEN = Hidden()


def item_of(event: ComplaintEvent) -> Item | None:
    """The text or photo a hiding event is about."""
    data = event.data or {}
    what, item = data.get("what"), data.get("item")
    if what in WHAT and isinstance(item, int) and not isinstance(item, bool):
        return what, item
    return None


def replayed(events: Iterable[ComplaintEvent]) -> Hidden:
    """What is hidden after these events of one complaint (in the log's order; other kinds are skipped)."""
    state: dict[Item, ComplaintEvent] = {}
    for event in events:
        if event.kind not in STAFF_EVENT_KINDS:
            continue
        item = item_of(event)
        if item is None:
            continue
        if event.kind == HIDDEN:
            state[item] = event
        else:
            state.pop(item, None)
    return Hidden(state)


def hidden_of(session: Session, complaint_ids: Iterable[int]) -> dict[int, Hidden]:
    """What is hidden of each of these complaints (those with nothing hidden are absent)."""
    ids = list(complaint_ids)
    if not ids:
        return {}
    by_complaint: dict[int, list[ComplaintEvent]] = defaultdict(list)
    for event in session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.kind.in_(STAFF_EVENT_KINDS))
        .order_by(ComplaintEvent.id)
    ):
        by_complaint[event.complaint_id].append(event)
    return {complaint_id: replayed(events) for complaint_id, events in by_complaint.items()}


def has_public_text(event: ComplaintEvent) -> bool:
    """A text the district wrote that the public is shown (unless hidden): what staff may hide."""
    return bool(PUBLIC_EVENTS.get(event.kind)) and bool((event.text or "").strip())


def public_text(event: ComplaintEvent, hidden: Hidden) -> str | None:
    """The event's text as the public may read it (before masking), or None."""
    if not has_public_text(event) or hidden.text(event.id):
        return None
    return event.text


def photos_of(session: Session, complaint: Complaint) -> list[Photo]:
    """Every photo of the complaint (the citizen's and the district's), oldest first: what may be hidden."""
    return list(session.scalars(select(Photo).where(Photo.complaint_id == complaint.id).order_by(Photo.id)))


def photo_is_public(session: Session, photo: Photo) -> bool:
    """Whether anyone may see the photo: it belongs to a complaint that is public, and is not hidden.
    A photo of no complaint (a draft's, one still being sent) is nobody's to see publicly."""
    if photo.complaint_id is None:
        return False
    complaint = session.get(Complaint, photo.complaint_id)
    if complaint is None or complaint.public_opt_out:
        return False
    return not hidden_of(session, [complaint.id]).get(complaint.id, NOTHING_HIDDEN).photo(photo.id)
