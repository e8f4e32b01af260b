"""Who is told what when a complaint moves (RULES §5), as LINE pushes: one place for both doors.

`for_event` turns one complaint event into pushes: the district's officers get a card for a new
or transferred-in or reopened complaint, titled by what happened (transferred from where and why,
reopened with the citizen's words); the citizen hears of acknowledgement, progress (with photos),
transfer, resolution (result, "after" photos, then a rating question) and rejection. So does every
citizen who follows the complaint instead of filing a duplicate ("me too", models.complaint_followers),
in their own language, with a "เลิกติดตาม" button. The LINE officer dialog and the admin web both call it
after the domain operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handlers import replies
from handlers.context import LineMessage
from handlers.signing import PUBLIC, Postback, encode_postback, photo_token
from models import Citizen, Complaint, ComplaintEvent, District, Officer, Photo
from models.complaint_followers import follower_count
from models.complaint_followers import followers as active_followers
from models.deadlines import local_date
from models.district_groups import groups_of_districts
from models.personal_data import is_erased
from models.thai_dates import date_in, thai_date
from texts import say

Push = tuple[str, list[LineMessage]]
MAX_IMAGES = 4
EXCERPT = 400
MAPS = "https://www.google.com/maps/search/?api=1&query={lat},{lon}"


@dataclass(frozen=True)
class Links:
    """What it takes to make buttons and photo URLs: the signing key and the public address."""

    signing_key: bytes
    public_base_url: str | None

    def button(self, user_id: str, action: str, arg: str = "", draft: int = 0) -> str:
        return encode_postback(self.signing_key, user_id, Postback(action, draft, 0, arg))

    def status_url(self, tracking_code: str) -> str | None:
        return status_url(self.public_base_url, tracking_code)

    def photo_url(self, photo_id: int) -> str | None:
        """The photo for a LINE message to an officer or the complainant: works even when hidden."""
        if not self.public_base_url:
            return None
        return f"{self.public_base_url}/media/photos/{photo_id}/{photo_token(self.signing_key, photo_id)}"

    def public_photo_url(self, photo_id: int) -> str | None:
        """The photo for anyone (Open311, public pages): 404 once hidden from the public."""
        if not self.public_base_url:
            return None
        token = photo_token(self.signing_key, photo_id, PUBLIC)
        return f"{self.public_base_url}/media/photos/{photo_id}/{token}"


def status_url(public_base_url: str | None, tracking_code: str) -> str | None:
    """The complaint's public page (`/c/<code>`), to follow it and share it; None without an address."""
    if not public_base_url:
        return None
    return f"{public_base_url.rstrip('/')}/c/{tracking_code}"


def for_event(session: Session, complaint: Complaint, event: ComplaintEvent, links: Links) -> list[Push]:
    kind = event.kind
    if kind == "filed":
        return officer_cards(session, complaint, links, event=event)
    if kind == "transferred":
        pushes = _to_citizen(
            session,
            complaint,
            "notice_transferred",
            links=links,
            target=_target_name(session, event),
            reason=event.text or "",
        )
        if complaint.district_code:
            pushes += officer_cards(session, complaint, links, event=event)
        return pushes
    if kind == "acknowledged":
        assert complaint.first_progress_due_at is not None
        return _to_citizen(
            session, complaint, "notice_acknowledged", links=links, due=complaint.first_progress_due_at
        )
    if kind == "progress":
        return _to_citizen(
            session,
            complaint,
            "notice_progress",
            text=event.text or "",
            photos=_photos(session, event),
            links=links,
        )
    if kind == "resolved":
        return _resolved(session, complaint, event, links)
    if kind == "rejected":
        return _to_citizen(session, complaint, "notice_rejected", links=links, reason=event.text or "")
    if kind == "reopened":
        return officer_cards(session, complaint, links, event=event)
    return []


def officer_cards(
    session: Session,
    complaint: Complaint,
    links: Links,
    note: str | None = None,
    event: ComplaintEvent | None = None,
    before: list[Photo] | None = None,
) -> list[Push]:
    """Every active, linked officer of the complaint's district gets a card (buttons signed for them) —
    or, when the district has a linked LINE group, the group gets one card instead (signed for the
    group: its officers act from it, `handlers.groups`), where the officers coordinate.

    The card is titled by `event`, what brought the complaint to them (filed, transferred in,
    reopened): by default the latest such event of the complaint. A `note` goes before the card.
    `before`: the citizen's first photo when the caller has it (read from the database otherwise).
    """
    cause = event if event is not None else _arrival(session, complaint)
    code = complaint.district_code
    group = groups_of_districts(session, [code]).get(code) if code else None
    officers = (
        []
        if group
        else session.scalars(
            select(Officer).where(
                Officer.district_code == complaint.district_code,
                Officer.active.is_(True),
                Officer.line_user_id.is_not(None),
            )
        ).all()
    )
    pushes: list[Push] = []
    # Read once for all the district's officers (the session does not keep unreferenced rows).
    district = session.get(District, complaint.district_code) if complaint.district_code else None
    if before is None:
        before = citizen_photos(session, complaint, limit=1)
    following = follower_count(session, complaint.id)  # once for all the cards
    for officer in officers:
        assert officer.line_user_id is not None
        messages = [replies.text(note)] if note else []
        card = complaint_card(
            session,
            complaint,
            officer.line_user_id,
            links,
            cause=cause,
            district=district,
            before=before,
            followers=following,
        )
        messages.append(card)
        pushes.append((officer.line_user_id, messages))
    if group:
        messages = [replies.text(note)] if note else []
        messages.append(
            complaint_card(
                session,
                complaint,
                group,
                links,
                cause=cause,
                district=district,
                before=before,
                followers=following,
            )
        )
        pushes.append((group, messages))
    return pushes


def complaint_card(
    session: Session,
    complaint: Complaint,
    user_id: str,
    links: Links,
    lang: str = "th",
    cause: ComplaintEvent | None = None,
    district: District | None = None,
    before: list[Photo] | None = None,
    followers: int | None = None,
) -> LineMessage:
    """The officer's card: what, where, when due, and the buttons that fit the complaint's status.

    Titled by its `cause` when it is pushed because of one (`officer_cards`); without one (the
    answer to an officer's own tap) by the complaint's current status. Its photo is the citizen's.
    `followers`: how many citizens follow it ("me too"), when the caller has counted them.
    """
    if district is None and complaint.district_code:
        district = session.get(District, complaint.district_code)
    if before is None:
        before = citizen_photos(session, complaint, limit=1)
    status = say(f"status_{complaint.status}", lang)
    rows: list[dict[str, Any]] = [
        {
            "type": "text",
            "text": _title(session, complaint, cause, status, lang),
            "weight": "bold",
            "size": "md",
            "wrap": True,
        },
        *_cause_lines(cause, lang),
        {"type": "text", "text": _excerpt(complaint.description), "wrap": True, "size": "sm"},
        _line(f"{complaint.category or '-'} · {district.name_th if district else '-'}"),
    ]
    if cause is not None:  # a title by status says it already
        rows.append(_line(say("card_status", lang, status=status)))
    if complaint.status == "routed" and complaint.ack_due_at:
        rows.append(_line(say("card_due", lang, date=_date(complaint.ack_due_at)), color="#b91c1c"))
    if complaint.status == "acknowledged" and complaint.first_progress_due_at:
        rows.append(
            _line(
                say("card_first_progress_due", lang, date=_date(complaint.first_progress_due_at)),
                color="#b91c1c",
            )
        )
    if followers is None:
        followers = follower_count(session, complaint.id)
    if followers:  # others who have the same problem, and are told as the reporter is
        rows.append(_line(say("card_followers", lang, count=followers)))
    if complaint.possible_duplicate_of_id:
        other = session.get(Complaint, complaint.possible_duplicate_of_id)
        if other is not None:
            rows.append(
                _line("⚠ " + say("card_possible_duplicate", lang, codes=other.tracking_code), color="#b45309")
            )
    code = str(complaint.id)
    buttons: list[dict[str, Any]] = []
    if complaint.status == "routed":
        buttons.append(
            replies.postback_button(
                say("qr_acknowledge", lang),
                links.button(user_id, "ack", code),
                say("qr_acknowledge", lang),
                "primary",
            )
        )
    if complaint.status in ("acknowledged", "in_progress"):
        buttons.append(
            replies.postback_button(
                say("qr_progress", lang),
                links.button(user_id, "progress", code),
                say("qr_progress", lang),
                "primary",
            )
        )
        buttons.append(
            replies.postback_button(
                say("qr_resolve", lang), links.button(user_id, "resolve", code), say("qr_resolve", lang)
            )
        )
    if complaint.status in ("routed", "acknowledged", "in_progress"):
        buttons.append(
            replies.postback_button(
                say("qr_transfer", lang), links.button(user_id, "transfer", code), say("qr_transfer", lang)
            )
        )
        buttons.append(
            replies.postback_button(
                say("qr_reject", lang), links.button(user_id, "reject", code), say("qr_reject", lang)
            )
        )
    buttons.append(
        replies.postback_button(
            say("qr_details", lang), links.button(user_id, "detail", code), say("qr_details", lang), "link"
        )
    )
    if not complaint.public_opt_out:  # the reporter asked it not be public: nothing of it to hide
        buttons.append(
            replies.postback_button(
                say("qr_hide", lang), links.button(user_id, "hide", code), say("qr_hide", lang), "link"
            )
        )
    if complaint.latitude is not None and complaint.longitude is not None:
        maps = MAPS.format(lat=complaint.latitude, lon=complaint.longitude)
        buttons.append(
            {
                "type": "button",
                "style": "link",
                "height": "sm",
                "action": {"type": "uri", "label": say("card_map", lang), "uri": maps},
            }
        )
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons},
    }
    url = links.photo_url(before[0].id) if before else None
    if url:
        bubble["hero"] = {
            "type": "image",
            "url": url,
            "size": "full",
            "aspectRatio": "20:13",
            "aspectMode": "cover",
        }
    alt = say(
        "card_alt", lang, code=complaint.tracking_code, description=_excerpt(complaint.description, 200)
    )
    return replies.flex(alt, bubble)


ARRIVALS = ("filed", "transferred", "reopened")  # the events that bring a complaint to a district


def _arrival(session: Session, complaint: Complaint) -> ComplaintEvent | None:
    return session.scalar(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind.in_(ARRIVALS))
        .order_by(ComplaintEvent.id.desc())
        .limit(1)
    )


def _title(
    session: Session, complaint: Complaint, cause: ComplaintEvent | None, status: str, lang: str
) -> str:
    code = complaint.tracking_code
    kind = cause.kind if cause is not None else None
    data = (cause.data if cause is not None else None) or {}
    if kind == "filed":
        return say("new_complaint_title", lang, code=code)
    if kind == "transferred":
        origin = office_name(session, data.get("from_district"), lang)
        return say("card_title_transferred", lang, code=code, origin=origin)
    if kind == "reopened":
        count = data.get("reopen_count") or complaint.reopen_count
        return say("card_title_reopened", lang, code=code, count=count)
    return say("card_title_status", lang, code=code, status=status)


def _cause_lines(cause: ComplaintEvent | None, lang: str) -> list[dict[str, Any]]:
    """Why it came: the transferring office's reason, or the citizen's words on reopening."""
    if cause is None or not cause.text:
        return []
    if cause.kind == "transferred":
        return [_line(say("card_reason", lang, reason=_excerpt(cause.text)), color="#b45309")]
    if cause.kind == "reopened":
        return [_line(say("card_citizen_comment", lang, comment=_excerpt(cause.text)), color="#b91c1c")]
    return []


def citizen_photos(session: Session, complaint: Complaint, limit: int) -> list[Photo]:
    """The citizen's own photos of the complaint (sent with it), never an officer's."""
    filed = select(ComplaintEvent.id).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "filed"
    )
    return list(
        session.scalars(
            select(Photo)
            .where(
                Photo.complaint_id == complaint.id,
                or_(Photo.event_id.in_(filed), Photo.citizen_id == complaint.citizen_id)
                if complaint.citizen_id is not None
                else Photo.event_id.in_(filed),  # no LINE citizen: the photos filed with it
            )
            .order_by(Photo.id)
            .limit(limit)
        )
    )


def _resolved(session: Session, complaint: Complaint, event: ComplaintEvent, links: Links) -> list[Push]:
    """The result to the reporter and every follower, each then asked for their own rating."""
    pushes: list[Push] = []
    arg = str(complaint.id)
    photos = _photos(session, event)
    for citizen, follower in _citizens_told(session, complaint):
        lang, user = citizen.language, citizen.line_user_id
        push = _notice(
            session, complaint, citizen, follower, "notice_resolved", links, photos, text=event.text or ""
        )
        items = [
            replies.quick_postback(
                say("qr_stars", lang, stars=n), links.button(user, "rate", f"{arg}.{n}"), "⭐" * n
            )
            for n in range(5, 0, -1)
        ]
        items.append(replies.quick_postback(say("qr_not_fixed", lang), links.button(user, "not_fixed", arg)))
        push[1].append(replies.text(say("ask_rating", lang, code=complaint.tracking_code), items))
        pushes.append(push)
    return pushes


def _to_citizen(
    session: Session,
    complaint: Complaint,
    key: str,
    *,
    links: Links,
    photos: list[Photo] | None = None,
    **values: Any,
) -> list[Push]:
    return [
        _notice(session, complaint, citizen, follower, key, links, photos, **values)
        for citizen, follower in _citizens_told(session, complaint)
    ]


def _citizens_told(session: Session, complaint: Complaint) -> list[tuple[Citizen, bool]]:
    """Who hears of the complaint: its LINE reporter, then its followers (True), each only while they can
    be messaged (a citizen who blocked the account cannot; an erased one is no one)."""
    told: list[tuple[Citizen, bool]] = []
    # Reported by phone, letter or another system: the reporter follows it on the status page.
    owner = session.get(Citizen, complaint.citizen_id) if complaint.citizen_id is not None else None
    if owner is not None:
        told.append((owner, False))
    told += [(citizen, True) for citizen, _ in active_followers(session, complaint)]
    return [(c, follower) for c, follower in told if c.following and not is_erased(c)]


def _notice(
    session: Session,
    complaint: Complaint,
    citizen: Citizen,
    follower: bool,
    key: str,
    links: Links,
    photos: list[Photo] | None = None,
    **values: Any,
) -> Push:
    """One citizen's notice, in their language; a follower's says they follow it and how to stop."""
    lang = citizen.language
    district = session.get(District, complaint.district_code) if complaint.district_code else None
    name = (district.name_th if lang == "th" else district.name_en) if district else "-"
    if "due" in values:  # a moment: written as its reader reads dates
        values["date"] = date_in(local_date(values.pop("due")), lang)
    text = say(key, lang, code=complaint.tracking_code, district=name, **values)
    if follower:
        text = f"{text}\n{say('follower_note', lang)}"
    linked = with_status_link(text, complaint.tracking_code, links, lang, public=not complaint.public_opt_out)
    messages: list[LineMessage] = [replies.text(linked)]
    shown = 0
    for photo in (photos or [])[:MAX_IMAGES]:
        url = links.photo_url(photo.id)
        if url:
            messages.append({"type": "image", "originalContentUrl": url, "previewImageUrl": url})
            shown += 1
    if photos and shown < len(photos[:MAX_IMAGES]):
        messages.append(replies.text(say("notice_photos_omitted", lang, count=len(photos))))
    if follower and key != "notice_resolved":  # after the result the rating question has the buttons
        stop = links.button(citizen.line_user_id, "unfollow", str(complaint.id))
        replies.with_quick_replies(messages[-1], [replies.quick_postback(say("qr_unfollow", lang), stop)])
    return (citizen.line_user_id, messages)


def with_status_link(text: str, tracking_code: str, links: Links, lang: str, public: bool = True) -> str:
    """The text and, when the service has a public address, the line with the complaint's public page
    (none when the reporter asked that it not be public: the page would only say so)."""
    url = links.status_url(tracking_code) if public else None
    return f"{text}\n{say('follow_on_web', lang, url=url)}" if url else text


def _photos(session: Session, event: ComplaintEvent) -> list[Photo]:
    return list(session.scalars(select(Photo).where(Photo.event_id == event.id).order_by(Photo.id)))


def _target_name(session: Session, event: ComplaintEvent) -> str:
    return office_name(session, (event.data or {}).get("to_district"))


def office_name(session: Session, district_code: str | None, lang: str = "th") -> str:
    """Who has a complaint: "สำนักงานเขต…" for a district, the complaint centre for none."""
    district = session.get(District, district_code) if district_code else None
    if district is None:
        return say("to_centre", lang)
    return say("district_office", lang, district=district.name_th if lang == "th" else district.name_en)


def _date(moment: Any) -> str:
    return thai_date(local_date(moment))


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _line(text: str, color: str = "#555555") -> dict[str, Any]:
    return {"type": "text", "text": text, "size": "sm", "color": color, "wrap": True}
