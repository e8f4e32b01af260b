"""Status on demand: a citizen's own complaints, newest first, and one complaint's history.

Only the citizen's own complaints are ever shown, and those they follow instead of filing a duplicate
("me too", listed after their own, each with its "เลิกติดตาม" button): a code belonging to someone else
gets the same answer as a code that does not exist, so the bot cannot be used to probe codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import replies
from handlers.context import LineMessage
from handlers.notices import Links
from models import Citizen, Complaint, ComplaintEvent, District
from models.clock import BANGKOK
from models.complaint_followers import active_follow, followed_by
from models.complaint_lifecycle import STAFF_EVENT_KINDS
from models.deadlines import deadlines_for, next_deadline
from models.thai_dates import date_in
from models.working_days import WorkingCalendar, load_calendar
from texts import CATALOGUES, say

LIST_LIMIT = 10
HISTORY_LIMIT = 15
NEXT_KEYS = {"ack": "next_ack", "first_progress": "next_first_progress", "checkpoint": "next_checkpoint"}


MAX_UNFOLLOW_BUTTONS = 5  # of LINE's 13 quick replies; the rest are the citizen's own codes


def track_list(
    session: Session, citizen: Citizen, lang: str, now: datetime, links: Links | None = None
) -> list[LineMessage]:
    """The citizen's own complaints, newest first, then those they follow; `links` signs the unfollow
    buttons (without it the followed ones are listed without buttons)."""
    total = session.scalar(select(func.count(Complaint.id)).where(Complaint.citizen_id == citizen.id)) or 0
    followed = followed_by(session, citizen)
    if total == 0 and not followed:
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
    lines = [say("track_header", lang, shown=len(complaints), total=total)] if total else []
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
    if followed:
        lines.append(say("track_followed_header", lang, count=len(followed)))
        for n, f in enumerate(followed[:LIST_LIMIT], start=1):
            lines.append(
                say(
                    "track_item",
                    lang,
                    n=n,
                    code=f.complaint.tracking_code,
                    category=f.complaint.category or "-",
                    district=names.get(f.complaint.district_code or "", "-"),
                    status=say(f"status_{f.complaint.status}", lang),
                    next="",
                )
            )
    lines.append(say("track_footer", lang))
    stops = (
        [_unfollow_item(links, citizen, f.complaint, lang, with_code=True) for f in followed]
        if links is not None
        else []
    )[:MAX_UNFOLLOW_BUTTONS]
    codes = [replies.quick_message(c.tracking_code) for c in complaints][: 13 - len(stops)]
    return [replies.text("\n".join(lines), codes + stops)]


def _unfollow_item(
    links: Links, citizen: Citizen, complaint: Complaint, lang: str, with_code: bool = False
) -> dict[str, object]:
    label = (
        say("qr_unfollow_code", lang, code=complaint.tracking_code) if with_code else say("qr_unfollow", lang)
    )
    return replies.quick_postback(label, links.button(citizen.line_user_id, "unfollow", str(complaint.id)))


def code_detail(
    session: Session, citizen: Citizen, code: str, lang: str, now: datetime, links: Links | None = None
) -> list[LineMessage]:
    """One complaint's history: the citizen's own, or one they follow (then with "เลิกติดตาม")."""
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
    own = complaint is not None and complaint.citizen_id == citizen.id
    if complaint is not None and not own and active_follow(session, complaint, citizen) is None:
        complaint = None  # someone else's: answered as a code that does not exist
    if complaint is None:
        return [
            replies.text(
                say("code_not_found", lang, code=code), [replies.quick_message(say("qr_track", lang))]
            )
        ]
    names = _district_names(session, lang)
    events = events_of(session, complaint)
    told = [e for e in events if e.kind not in STAFF_EVENT_KINDS]  # hiding from the public: staff's record
    if not own:  # a follower: the reporter's rating is the reporter's
        told = [e for e in told if e.kind != "rated"]
    history = [
        say("history_item", lang, when=_when(e.at, lang), what=_event_text(e, names, lang, own))
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
    items = [replies.quick_message(say("qr_track", lang))]
    if not own:
        body = f"{say('label_you_follow', lang)}\n{body}"
        if links is not None:
            items.append(_unfollow_item(links, citizen, complaint, lang))
    return [replies.text(body, items)]


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


def _event_text(event: ComplaintEvent, names: dict[str, str], lang: str, own: bool = True) -> str:
    """An event in the citizen's words: every kind the system writes has its own (EVENT_KINDS); to a
    follower, the filing is someone else's."""
    key = f"event_{event.kind}" if f"event_{event.kind}" in CATALOGUES["th"] else "event_other"
    if not own and event.kind == "filed":
        key = "event_filed_by_other"
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
