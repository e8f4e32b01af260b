"""Status on demand: a citizen's own complaints, newest first, and one complaint's history.

Only the citizen's own complaints are ever shown: a code belonging to someone else gets the
same answer as a code that does not exist, so the bot cannot be used to probe codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import replies
from handlers.context import LineMessage
from models import Citizen, Complaint, ComplaintEvent, District
from models.clock import BANGKOK
from models.complaint_lifecycle import STAFF_EVENT_KINDS
from models.deadlines import deadlines_for, next_deadline
from models.thai_dates import date_in
from models.working_days import WorkingCalendar, load_calendar
from texts import CATALOGUES, say

LIST_LIMIT = 10
HISTORY_LIMIT = 15
NEXT_KEYS = {"ack": "next_ack", "first_progress": "next_first_progress", "checkpoint": "next_checkpoint"}


def track_list(session: Session, citizen: Citizen, lang: str, now: datetime) -> list[LineMessage]:
    total = session.scalar(select(func.count(Complaint.id)).where(Complaint.citizen_id == citizen.id)) or 0
    if total == 0:
        return [replies.text(say("track_none", lang), [replies.quick_message(say("qr_report", lang))])]
    complaints = list(
        session.scalars(
            select(Complaint)
            .where(Complaint.citizen_id == citizen.id)
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(LIST_LIMIT)
        )
    )
    calendar = load_calendar(session)
    names = _district_names(session, lang)
    lines = [say("track_header", lang, shown=len(complaints), total=total)]
    for n, complaint in enumerate(complaints, start=1):
        lines.append(
            say(
                "track_item",
                lang,
                n=n,
                code=complaint.tracking_code,
                category=complaint.category or "-",
                district=names.get(complaint.district_code or "", "-"),
                status=say(f"status_{complaint.status}", lang),
                next=_next_line(complaint, calendar, lang, now, lambda c=complaint: events_of(session, c)),
            )
        )
    lines.append(say("track_footer", lang))
    codes = [replies.quick_message(c.tracking_code) for c in complaints]
    return [replies.text("\n".join(lines), codes)]


def code_detail(session: Session, citizen: Citizen, code: str, lang: str, now: datetime) -> list[LineMessage]:
    complaint = session.scalar(
        select(Complaint).where(Complaint.tracking_code == code, Complaint.citizen_id == citizen.id)
    )
    if complaint is None:
        return [
            replies.text(
                say("code_not_found", lang, code=code), [replies.quick_message(say("qr_track", lang))]
            )
        ]
    names = _district_names(session, lang)
    events = events_of(session, complaint)
    told = [e for e in events if e.kind not in STAFF_EVENT_KINDS]  # hiding from the public: staff's record
    history = [
        say("history_item", lang, when=_when(e.at, lang), what=_event_text(e, names, lang))
        for e in told[-HISTORY_LIMIT:]
    ]
    body = say(
        "code_detail",
        lang,
        code=complaint.tracking_code,
        category=complaint.category or "-",
        district=names.get(complaint.district_code or "", "-"),
        status=say(f"status_{complaint.status}", lang),
        next=_next_line(complaint, load_calendar(session), lang, now, lambda: events),
        history="\n".join(history),
    )
    return [replies.text(body, [replies.quick_message(say("qr_track", lang))])]


def events_of(session: Session, complaint: Complaint) -> list[ComplaintEvent]:
    return list(
        session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id)
        )
    )


def _next_line(
    complaint: Complaint,
    calendar: WorkingCalendar,
    lang: str,
    now: datetime,
    events: Callable[[], Iterable[ComplaintEvent]],
) -> str:
    deadlines = deadlines_for(complaint, events, calendar)
    upcoming = next_deadline(complaint, deadlines, now)
    if upcoming is None:
        return ""
    return say(NEXT_KEYS[upcoming.kind], lang, date=date_in(upcoming.due_at.astimezone(BANGKOK).date(), lang))


def _event_text(event: ComplaintEvent, names: dict[str, str], lang: str) -> str:
    """An event in the citizen's words: every kind the system writes has its own (EVENT_KINDS)."""
    key = f"event_{event.kind}" if f"event_{event.kind}" in CATALOGUES["th"] else "event_other"
    stars = (event.data or {}).get("stars", "-")
    what = say(key, lang, district=names.get(event.district_code or "", "-"), stars=stars)
    # Officers' words are the answer the citizen waits for; the citizen's own text they know.
    if event.text and event.actor_kind != "citizen":
        what += f": {event.text}"
    return what


def _when(at: datetime, lang: str) -> str:
    local = at.astimezone(BANGKOK)
    return f"{date_in(local.date(), lang)} {say('time_suffix', lang, hhmm=local.strftime('%H:%M'))}"


def _district_names(session: Session, lang: str) -> dict[str, str]:
    return {d.code: (d.name_th if lang == "th" else d.name_en) for d in session.scalars(select(District))}
