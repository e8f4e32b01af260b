"""The officer's dialog: what each step does and what each state asks.

The table is `handlers.officer_dialog.OFFICER_DIALOG`. One-tap actions (acknowledge, details)
answer at once and leave any action in progress alone; multi-step actions (progress, resolve,
transfer, reject, hide from the public) keep the complaint id, the text and photo ids in `Turn.data`
until sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from handlers import cards, replies, use_cases
from handlers.citizen_steps import match_districts
from handlers.citizens import checked_photo, store_photo
from handlers.context import LineMessage
from handlers.dialog import Turn
from handlers.notices import Links, citizen_photos, complaint_card, office_name
from handlers.signing import Postback, encode_postback
from handlers.tracking import events_of
from handlers.use_cases import ActionRefused, Actor
from models import Complaint, ComplaintEvent, ComplaintStatus, District, Officer, Photo, answer_templates
from models.clock import BANGKOK
from models.complaint_lifecycle import OPEN, TransitionRefused, next_status
from models.deadlines import deadlines_for, local_date, next_deadline
from models.dialogs import IDLE
from models.officer_links import officer_by_line_user
from models.photo_flags import MAX_REASON, Kept, match_data, matches_of
from models.photos import MAX_PHOTOS
from models.public_hiding import PHOTO, TEXT, has_public_text, photos_of, replayed
from models.thai_dates import thai_date
from models.tracking_codes import normalise_code
from models.working_days import load_calendar

PROGRESS_TEXT = "progress_text"
PROGRESS_PHOTOS = "progress_photos"
RESULT_TEXT = "result_text"
AFTER_PHOTOS = "after_photos"
TRANSFER_TARGET = "transfer_target"
TRANSFER_REASON = "transfer_reason"
REJECT_KIND = "reject_kind"
REJECT_REASON = "reject_reason"
DUPLICATE_CODE = "duplicate_code"
HIDE_WHICH = "hide_which"  # a text or a photo of the complaint, to hide from the public
HIDE_REASON = "hide_reason"
PHOTO_SUSPECT = "photo_suspect"  # a photo matched an earlier one: send another, or keep it
KEEP_REASON = "keep_reason"  # keeping it: why (the report is flagged)
PHOTO_STATES = (PROGRESS_TEXT, PROGRESS_PHOTOS, RESULT_TEXT, AFTER_PHOTOS)  # where a suspect photo goes back
STATES = (
    IDLE,
    PROGRESS_TEXT,
    PROGRESS_PHOTOS,
    RESULT_TEXT,
    AFTER_PHOTOS,
    TRANSFER_TARGET,
    TRANSFER_REASON,
    REJECT_KIND,
    REJECT_REASON,
    DUPLICATE_CODE,
    HIDE_WHICH,
    HIDE_REASON,
    PHOTO_SUSPECT,
    KEEP_REASON,
)
WORKLIST_LIMIT = 15
HIDE_BUTTONS = 12  # quick replies for the items (LINE's 13, less "cancel"); more can be typed
CENTRE = "centre"
log = logging.getLogger(__name__)
# The action each multi-step start needs the complaint's status to allow.
STARTS = {
    "progress": PROGRESS_TEXT,
    "resolve": RESULT_TEXT,
    "transfer": TRANSFER_TARGET,
    "reject": REJECT_KIND,
}


# ---- helpers -----------------------------------------------------------------------------------


def officer(t: Turn) -> Officer:
    found = officer_by_line_user(t.ctx.session, t.user_id)
    assert found is not None  # dispatch sends only linked, active officers here
    return found


def links(t: Turn) -> Links:
    return Links(t.ctx.signing_key, t.ctx.public_base_url)


def _reply(t: Turn, key: str, quick: list[dict[str, object]] | None = None, **values: object) -> None:
    t.out.append(replies.text(t.say(key, **values), quick))


def _button(t: Turn, action: str, arg: str = "") -> str:
    return encode_postback(t.ctx.signing_key, t.user_id, Postback(action, t.dialog.draft_no, 0, arg))


def _complaint(t: Turn, complaint_id: object) -> Complaint | None:
    text = str(complaint_id or "")
    return t.ctx.session.get(Complaint, int(text)) if text.isdigit() else None


def _current(t: Turn) -> Complaint:
    complaint = _complaint(t, t.data.get("complaint_id"))
    assert complaint is not None
    return complaint


def _not_yours(t: Turn, complaint: Complaint) -> None:
    """Another district's complaint: "no longer yours" only if it was transferred away from this one."""
    mine = officer(t).district_code
    gone = any(
        e.kind == "transferred" and (e.data or {}).get("from_district") == mine
        for e in events_of(t.ctx.session, complaint)
    )
    _reply(t, "refused_not_your_district" if gone else "refused_other_district")


def _refuse(t: Turn, exc: ActionRefused | TransitionRefused, complaint: Complaint) -> None:
    reason = getattr(exc, "reason", "")
    if reason == "not_your_district":
        _not_yours(t, complaint)
    elif reason.startswith("cannot_") or isinstance(exc, TransitionRefused):
        _reply(t, "refused_status", code=complaint.tracking_code, status=t.say(f"status_{complaint.status}"))
    elif reason in ("same_district", "text_too_long", "duplicate_of_itself"):
        _reply(t, f"refused_{reason}")
    else:
        _reply(t, "refused_other", reason=reason or str(exc))


def _acting(t: Turn) -> use_cases.Acting:
    """The officer acting through this turn; the notices go out with the turn's answer."""
    return use_cases.Acting(t.ctx.session, Actor.officer(officer(t)), t.ctx.at, links(t), t.pushes.extend)


def _clear(t: Turn) -> None:
    t.data = {}


# ---- one-tap actions ----------------------------------------------------------------------------


def ack(t: Turn) -> str:
    complaint = _complaint(t, t.got.text)
    if complaint is None:
        _reply(t, "refused_button")
        return t.state
    try:
        use_cases.acknowledge(_acting(t), complaint)
    except ActionRefused as exc:
        _refuse(t, exc, complaint)
        return t.state
    assert complaint.first_progress_due_at is not None
    _reply(
        t,
        "acknowledged_ok",
        code=complaint.tracking_code,
        date=thai_date(local_date(complaint.first_progress_due_at)),
    )
    t.out.append(complaint_card(t.ctx.session, complaint, t.user_id, links(t)))
    return t.state


def detail(t: Turn) -> str:
    complaint = _complaint(t, t.got.text)
    if complaint is None:
        _reply(t, "refused_button")
        return t.state
    _show(t, complaint)
    return t.state


def _show(t: Turn, complaint: Complaint) -> None:
    if complaint.district_code != officer(t).district_code:
        _not_yours(t, complaint)
        return
    filed = complaint.created_at.astimezone(BANGKOK)
    header = t.say(
        "detail_header",
        code=complaint.tracking_code,
        status=t.say(f"status_{complaint.status}"),
        category=complaint.category or "-",
        filed=f"{thai_date(filed.date())} {filed:%H:%M}",
        description=complaint.description[:3000],
    )
    t.out.append(replies.text(header))
    link = links(t)
    for photo in citizen_photos(t.ctx.session, complaint, limit=2):
        url = link.photo_url(photo.id)
        if url:
            t.out.append({"type": "image", "originalContentUrl": url, "previewImageUrl": url})
    t.out.append(complaint_card(t.ctx.session, complaint, t.user_id, link))


def show_code(t: Turn) -> str:
    complaint = t.ctx.session.scalar(select(Complaint).where(Complaint.tracking_code == t.got.text))
    if complaint is None:
        _reply(t, "code_not_found", code=t.got.text)
    else:
        _show(t, complaint)
    return t.state


def worklist(t: Turn) -> str:
    return _listed(t, [s.value for s in OPEN], "worklist_none", "worklist_header")


def new_complaints(t: Turn) -> str:
    """The officer rich menu's "เรื่องใหม่": the district's complaints not acknowledged yet, due first."""
    return _listed(t, [ComplaintStatus.ROUTED.value], "new_none", "new_header")


def _listed(t: Turn, statuses: list[str], none_key: str, header_key: str) -> str:
    me = officer(t)
    session = t.ctx.session
    district = session.get(District, me.district_code)
    name = district.name_th if district else me.district_code
    open_ones = list(
        session.scalars(
            select(Complaint).where(
                Complaint.district_code == me.district_code,
                Complaint.status.in_(statuses),
            )
        )
    )
    if not open_ones:
        _reply(t, none_key, district=name)
        return t.state
    calendar = load_calendar(session)
    rows = []
    for complaint in open_ones:
        deadlines = deadlines_for(complaint, lambda c=complaint: events_of(session, c), calendar)
        upcoming = next_deadline(complaint, deadlines, t.ctx.at)
        rows.append((upcoming.due_at if upcoming else None, upcoming.kind if upcoming else "", complaint))
    rows.sort(key=lambda r: (r[0] is None, r[0] or t.ctx.at))  # overdue (earliest due) first
    lines = [t.say(header_key, district=name, count=len(rows))]
    for n, (due_at, kind, complaint) in enumerate(rows[:WORKLIST_LIMIT], start=1):
        due = t.say(f"due_{kind}", date=thai_date(local_date(due_at))) if due_at else ""
        late = t.say("worklist_late") if due_at is not None and due_at < t.ctx.at else ""
        lines.append(
            t.say(
                "worklist_item",
                n=n,
                code=complaint.tracking_code,
                category=complaint.category or "-",
                status=t.say(f"status_{complaint.status}"),
                due=due,
                late=late,
            )
        )
    if len(rows) > WORKLIST_LIMIT:
        lines.append(t.say("worklist_more", count=len(rows) - WORKLIST_LIMIT))
    codes = [replies.quick_message(c.tracking_code) for _, _, c in rows[:12]]
    t.out.append(replies.text("\n".join(lines), codes))
    return t.state


def help_(t: Turn) -> str:
    _reply(t, "officer_help", [replies.quick_message(t.say("qr_worklist"))])
    return t.state


def already_linked(t: Turn) -> str:
    _reply(t, "link_already", name=officer(t).name)
    return t.state


# ---- multi-step actions ---------------------------------------------------------------------------


def start(t: Turn) -> str:
    """Progress, resolve, transfer or reject: check it is possible now, then ask for what it needs."""
    action = t.got.kind
    complaint = _complaint(t, t.got.text)
    if complaint is None:
        _reply(t, "refused_button")
        return t.state
    if complaint.district_code != officer(t).district_code:
        _not_yours(t, complaint)
        return t.state
    try:
        next_status(action, complaint.status)
    except TransitionRefused as exc:
        _refuse(t, exc, complaint)
        return t.state
    if t.dialog.active and t.data.get("complaint_code"):
        _reply(t, "action_replaced", code=t.data["complaint_code"])
    t.dialog.draft_no += 1
    t.data = {"complaint_id": complaint.id, "complaint_code": complaint.tracking_code, "photo_ids": []}
    return STARTS[action]


def take_text(t: Turn) -> str:
    t.data["text"] = t.got.text
    return PROGRESS_PHOTOS if t.state == PROGRESS_TEXT else AFTER_PHOTOS


def take_photo(t: Turn) -> str:
    """A progress or "after" photo: stored, then checked against earlier photos (models.photo_checks). One
    that matches waits in `suspects` until the officer sends another or keeps it with a reason; the
    question comes once the photos of one send are all in."""
    ids: list[int] = list(t.data.get("photo_ids", []))
    suspects: list[dict[str, object]] = list(t.data.get("suspects", []))
    waiting = PHOTO_SUSPECT if suspects and t.got.last_of_set else t.state  # a set's end asks, refused or not
    content, problem = checked_photo(t.ctx)
    if problem is not None or content is None:
        _reply(t, problem or "photo_unavailable")
        return waiting
    if len(ids) + len(suspects) >= MAX_PHOTOS:
        _reply(t, "photos_full")
        return waiting
    stored = store_photo(t.ctx, None, t.got.message_id or "", content)
    known = ids + [int(str(x["photo_id"])) for x in suspects]
    if stored.id not in known:
        matches = matches_of(t.ctx.session, stored, _current(t))
        if matches:
            suspects.append({"photo_id": stored.id, **match_data(matches[0])})
            t.data["back"] = t.data.get("back") or t.state
        else:
            ids.append(stored.id)
    t.data["photo_ids"], t.data["suspects"] = ids, suspects
    t.quiet = not t.got.last_of_set
    if suspects and t.got.last_of_set:
        return PHOTO_SUSPECT
    if t.state not in (PROGRESS_PHOTOS, AFTER_PHOTOS) and not suspects:  # there the prompt tells the count
        _reply(t, "photo_added", count=len(ids))
    return t.state


def _back(t: Turn) -> str:
    """Where the officer was before the question: the next suspect's question, or their photo step."""
    if t.data.get("suspects"):
        return PHOTO_SUSPECT
    back = str(t.data.pop("back", ""))  # set with the first suspect, so always there
    return back if back in PHOTO_STATES else AFTER_PHOTOS


def replace_photo(t: Turn) -> str:
    """A new photo instead of the one that matched: the matched one is dropped, the new one checked."""
    suspects = list(t.data.get("suspects", []))
    content, problem = checked_photo(t.ctx)
    if problem is not None or content is None:
        _reply(t, problem or "photo_unavailable")
        return t.state
    dropped = suspects.pop(0) if suspects else None
    stored = store_photo(t.ctx, None, t.got.message_id or "", content)
    ids: list[int] = list(t.data.get("photo_ids", []))
    matches = [] if stored.id in ids else matches_of(t.ctx.session, stored, _current(t))
    if matches:
        suspects.insert(0, {"photo_id": stored.id, **match_data(matches[0])})
    elif stored.id not in ids:
        ids.append(stored.id)
        _reply(t, "photo_replaced", count=len(ids))
    if dropped is not None:
        log.info("officer photo %s replaced by %s", dropped["photo_id"], stored.id)
    t.data["photo_ids"], t.data["suspects"] = ids, suspects
    t.quiet = not t.got.last_of_set
    return _back(t)


def keep_photo(t: Turn) -> str:
    """The "keep this photo" button: asks why (the report will be flagged for the people who check)."""
    if not t.data.get("suspects"):
        return keep_again(t)
    return KEEP_REASON


def keep_again(t: Turn) -> str:
    """The "keep" button with no photo waiting for it (tapped twice, an old question): nothing changes."""
    _reply(t, "keep_reason_needed" if t.state == KEEP_REASON else "keep_nothing_waiting")
    return t.state


def keep_with_reason(t: Turn) -> str:
    suspects = list(t.data.get("suspects", []))
    reason = " ".join(t.got.text.split())[:MAX_REASON]
    if not suspects:
        return _back(t)
    if not reason:
        _reply(t, "keep_reason_needed")
        return KEEP_REASON
    first = suspects.pop(0)
    photo_id = int(str(first["photo_id"]))
    kept = Kept.from_data({**first, "reason": reason})
    t.data["kept"] = [*t.data.get("kept", []), kept.as_data()]
    t.data["photo_ids"] = [*t.data.get("photo_ids", []), photo_id]
    t.data["suspects"] = suspects
    _reply(t, "photo_kept", count=len(t.data["photo_ids"]))
    return _back(t)


def suspect_text(t: Turn) -> str:
    """Text while a matched photo waits: the "keep" label typed keeps it; anything else, asked again."""
    if " ".join(t.got.text.split()) == t.say("qr_keep_photo"):
        return keep_photo(t)
    _reply(t, "suspect_decide")
    return t.state


def decide_first(t: Turn) -> str:
    """The "send" button while a matched photo waits for the officer's decision: nothing goes out yet."""
    _reply(t, "keep_reason_needed" if t.state == KEEP_REASON else "suspect_decide")
    return t.state


def _photos(t: Turn) -> list[Photo]:
    ids = t.data.get("photo_ids", [])
    return list(t.ctx.session.scalars(select(Photo).where(Photo.id.in_(ids), Photo.complaint_id.is_(None))))


def send(t: Turn) -> str:
    complaint = _current(t)
    if t.data.get("suspects"):  # a send cut short before its matching photo was asked about: ask now
        return PHOTO_SUSPECT
    if t.state == AFTER_PHOTOS and not t.data.get("photo_ids"):
        _reply(t, "after_photo_required")
        return t.state
    try:
        kept = [Kept.from_data(k) for k in t.data.get("kept", [])]
        if t.state == PROGRESS_PHOTOS:
            use_cases.progress(_acting(t), complaint, t.data.get("text", ""), _photos(t), kept)
            done = "progress_ok"
        else:
            use_cases.resolve(_acting(t), complaint, t.data.get("text", ""), _photos(t), kept)
            done = "resolved_ok"
    except ActionRefused as exc:
        _refuse(t, exc, complaint)
        _clear(t)
        return IDLE
    _reply(t, done, code=complaint.tracking_code)
    _clear(t)
    return IDLE


def target(t: Turn) -> str:
    choice = t.got.text
    if choice != CENTRE and t.ctx.session.get(District, choice) is None:
        _reply(t, "refused_button")
        return TRANSFER_TARGET
    t.data["target"] = choice
    return TRANSFER_REASON


def target_by_name(t: Turn) -> str:
    matches = match_districts(list(t.ctx.session.scalars(select(District))), t.got.text)
    if len(matches) != 1:
        _reply(t, "district_unknown" if not matches else "district_ambiguous", name=t.got.text[:50])
        return TRANSFER_TARGET
    t.data["target"] = matches[0].code
    return TRANSFER_REASON


def transfer_with_reason(t: Turn) -> str:
    complaint = _current(t)
    to = None if t.data.get("target") == CENTRE else t.data.get("target")
    session = t.ctx.session
    try:
        use_cases.transfer(_acting(t), complaint, to, t.got.text)
    except ActionRefused as exc:
        _refuse(t, exc, complaint)
        if exc.reason == "same_district":
            return TRANSFER_TARGET
        _clear(t)
        return IDLE
    _reply(t, "transferred_ok", code=complaint.tracking_code, target=office_name(session, to, t.lang))
    _clear(t)
    return IDLE


def reject_kind(t: Turn) -> str:
    t.data["reject_kind"] = t.got.text
    return DUPLICATE_CODE if t.got.text == "duplicate" else REJECT_REASON


def reject_with_reason(t: Turn) -> str:
    return _reject(t, t.got.text, None)


def reject_duplicate(t: Turn) -> str:
    code = normalise_code(t.got.text) or t.got.text.strip().upper()
    other = t.ctx.session.scalar(select(Complaint).where(Complaint.tracking_code == code))
    if other is None:
        _reply(t, "duplicate_not_found", code=t.got.text[:20])
        return DUPLICATE_CODE
    return _reject(t, f"{t.say('reject_duplicate')} {other.tracking_code}", other)


def _reject(t: Turn, reason: str, duplicate_of: Complaint | None) -> str:
    complaint = _current(t)
    try:
        use_cases.reject(_acting(t), complaint, reason, duplicate_of)
    except ActionRefused as exc:
        _refuse(t, exc, complaint)
        if exc.reason == "duplicate_of_itself":
            return DUPLICATE_CODE
        _clear(t)
        return IDLE
    _reply(t, "rejected_ok", code=complaint.tracking_code)
    _clear(t)
    return IDLE


# ---- hiding from the public ----------------------------------------------------------------------


def _hideable(t: Turn, complaint: Complaint) -> list[list[object]]:
    """What of the complaint the public may still see, in order: the district's texts, then every photo;
    each as [what, id] (kept in the dialog's data so the numbers the officer is shown stay put)."""
    events = events_of(t.ctx.session, complaint)
    hidden = replayed(events)
    texts: list[list[object]] = [[TEXT, e.id] for e in events if has_public_text(e) and not hidden.text(e.id)]
    photos: list[list[object]] = [
        [PHOTO, p.id] for p in photos_of(t.ctx.session, complaint) if not hidden.photo(p.id)
    ]
    return texts + photos


def _item_labels(t: Turn) -> list[tuple[str, str]]:
    """(the item's postback arg "text.12" / "photo.5", its label "ข้อความ 1" / "รูปที่ 2") in order."""
    labels: list[tuple[str, str]] = []
    count = {TEXT: 0, PHOTO: 0}
    for what, item in t.data.get("items", []):
        count[what] += 1
        labels.append((f"{what}.{item}", t.say(f"qr_hide_{what}", n=count[what])))
    return labels


def start_hide(t: Turn) -> str:
    """The card's "hide from public": which text or photo, then why (any status, own district only)."""
    complaint = _complaint(t, t.got.text)
    if complaint is None:
        _reply(t, "refused_button")
        return t.state
    if complaint.district_code != officer(t).district_code:
        _not_yours(t, complaint)
        return t.state
    items = _hideable(t, complaint)
    if not items:
        _reply(t, "hide_nothing", code=complaint.tracking_code)
        return t.state
    if t.dialog.active and t.data.get("complaint_code"):
        _reply(t, "action_replaced", code=t.data["complaint_code"])
    t.dialog.draft_no += 1
    t.data = {"complaint_id": complaint.id, "complaint_code": complaint.tracking_code, "items": items}
    return HIDE_WHICH


def hide_item(t: Turn) -> str:
    """A button of the list: "text.<event id>" or "photo.<photo id>", one of those offered."""
    return _pick(t, t.got.text)


def hide_item_by_name(t: Turn) -> str:
    """The label typed instead ("ข้อความ 1", "รูปที่ 2")."""
    typed = " ".join(t.got.text.split()).lower()
    arg = next((arg for arg, label in _item_labels(t) if label.lower() == typed), None)
    if arg is None:
        _reply(t, "hide_pick_from_list")
        return HIDE_WHICH
    return _pick(t, arg)


def _pick(t: Turn, arg: str) -> str:
    labels = dict(_item_labels(t))
    if arg not in labels:
        _reply(t, "refused_button")
        return HIDE_WHICH
    what, _, item = arg.partition(".")
    t.data.update(hide_what=what, hide_item=int(item), hide_label=labels[arg])
    return HIDE_REASON


def hide_with_reason(t: Turn) -> str:
    complaint = _current(t)
    label = str(t.data.get("hide_label", ""))
    try:
        use_cases.hide_from_public(
            _acting(t), complaint, str(t.data.get("hide_what")), int(t.data.get("hide_item", 0)), t.got.text
        )
    except ActionRefused as exc:
        if exc.reason in ("already_hidden", "no_such_item"):
            _reply(t, f"refused_{exc.reason}")
        else:
            _refuse(t, exc, complaint)
        _clear(t)
        return IDLE
    _reply(t, "hidden_ok", code=complaint.tracking_code, item=label)
    _clear(t)
    return IDLE


def cancel(t: Turn) -> str:
    _reply(t, "action_cancelled" if t.dialog.active else "nothing_to_cancel")
    _clear(t)
    return IDLE


def expire(t: Turn) -> str:
    _reply(t, "action_cancelled")
    _clear(t)
    return IDLE


# ---- what each state asks ----------------------------------------------------------------------


def _cancel_item(t: Turn) -> dict[str, object]:
    return replies.quick_message(t.say("qr_cancel"))


def _code(t: Turn) -> str:
    return str(t.data.get("complaint_code", ""))


def _ask_text(t: Turn, key: str, kind: str) -> list[LineMessage]:
    """Asks for the text; the admins' templates of the complaint's category (models.answer_templates)
    come as quick replies that send their text as if typed, each listed in full above its button."""
    complaint = _complaint(t, t.data.get("complaint_id"))
    ready = answer_templates.offered(t.ctx.session, complaint.category if complaint else None, kind)
    body = t.say(key, code=_code(t))
    if ready:
        items = "\n".join(t.say("label_template_item", text=r.text) for r in ready)
        body += "\n\n" + t.say("templates_offered", items=items)
    buttons = [replies.quick_message(r.label, r.text) for r in ready]
    return [replies.text(body, [*buttons, _cancel_item(t)])]


def ask_progress_text(t: Turn) -> list[LineMessage]:
    return _ask_text(t, "ask_progress_text", answer_templates.PROGRESS)


def _photo_items(t: Turn) -> list[dict[str, object]]:
    return [
        replies.quick_postback(t.say("qr_send"), _button(t, "send")),
        replies.quick_camera(t.say("qr_camera")),
        replies.quick_camera_roll(t.say("qr_camera_roll")),
        _cancel_item(t),
    ]


def _ask_photos(t: Turn, first: str, more: str) -> list[LineMessage]:
    """Asks for the first photo; once there are some, says how many and that "ส่ง" sends."""
    count = len(t.data.get("photo_ids", []))
    return [replies.text(t.say(more, count=count) if count else t.say(first), _photo_items(t))]


def ask_progress_photos(t: Turn) -> list[LineMessage]:
    return _ask_photos(t, "ask_progress_photos", "progress_photos_in")


def ask_result_text(t: Turn) -> list[LineMessage]:
    return _ask_text(t, "ask_result_text", answer_templates.RESULT)


def ask_after_photos(t: Turn) -> list[LineMessage]:
    return _ask_photos(t, "ask_after_photos", "after_photos_in")


def ask_target(t: Turn) -> list[LineMessage]:
    mine = officer(t).district_code
    districts = [d for d in t.ctx.session.scalars(select(District)) if d.code != mine]
    picker = cards.district_picker(districts, t.lang, lambda d: _button(t, "target", d.code))
    items = [replies.quick_postback(t.say("qr_to_centre"), _button(t, "target", CENTRE)), _cancel_item(t)]
    return [picker, replies.text(t.say("ask_transfer_target", code=_code(t)), items)]


def ask_transfer_reason(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("ask_transfer_reason"), [_cancel_item(t)])]


def ask_reject_kind(t: Turn) -> list[LineMessage]:
    items = [
        replies.quick_postback(t.say("reject_not_complaint"), _button(t, "reject_kind", "not_complaint")),
        replies.quick_postback(t.say("reject_duplicate"), _button(t, "reject_kind", "duplicate")),
        _cancel_item(t),
    ]
    return [replies.text(t.say("ask_reject_kind", code=_code(t)), items)]


def ask_reject_reason(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("ask_reject_reason"), [_cancel_item(t)])]


def ask_duplicate_code(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("ask_duplicate_code"), [_cancel_item(t)])]


def ask_hide_which(t: Turn) -> list[LineMessage]:
    """The texts listed with their words and the photos as a carousel (each with its own button), then
    a quick reply per item: the officer picks by number, seeing what each number is."""
    session = t.ctx.session
    labels = _item_labels(t)
    lines: list[str] = []
    cards: list[dict[str, object]] = []
    link = links(t)
    for (what, item), (arg, label) in zip(t.data.get("items", []), labels, strict=True):
        if what == TEXT:
            event = session.get(ComplaintEvent, item)
            if event is not None:
                kind, when = t.say(f"event_{event.kind}"), thai_date(local_date(event.at))
                excerpt = _short(event.text or "")
                lines.append(t.say("label_hide_text", label=label, what=kind, date=when, excerpt=excerpt))
        else:
            photo = session.get(Photo, item)
            whose = (
                "label_photo_citizen" if photo is not None and photo.citizen_id else "label_photo_district"
            )
            lines.append(t.say("label_hide_photo", label=label, source=t.say(whose)))
            url = link.photo_url(item)  # the card's link: the officer sees what they are about to hide
            if url and len(cards) < HIDE_BUTTONS:
                cards.append(_photo_bubble(url, label, _button(t, "hide_item", arg)))
    items = [replies.quick_postback(label, _button(t, "hide_item", arg)) for arg, label in labels]
    text = replies.text(
        t.say("ask_hide_which", code=_code(t), items="\n".join(lines)),
        [*items[:HIDE_BUTTONS], _cancel_item(t)],
    )
    carousel = replies.flex(t.say("ask_hide_photo_alt"), {"type": "carousel", "contents": cards})
    return [carousel, text] if cards else [text]


def _photo_bubble(url: str, label: str, data: str) -> dict[str, object]:
    return {
        "type": "bubble",
        "size": "micro",
        "hero": {"type": "image", "url": url, "size": "full", "aspectRatio": "1:1", "aspectMode": "cover"},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [replies.postback_button(label, data, label)],
        },
    }


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


MATCH_WHY = {
    "citizen_before": "label_suspect_citizen_before",
    "elsewhere": "label_suspect_elsewhere",
    "older_than_complaint": "label_suspect_older",
}


def ask_suspect(t: Turn) -> list[LineMessage]:
    """Which photo it matches (the complaint's code and the date) and why; send another, or keep it."""
    suspects = t.data.get("suspects", [])
    if not suspects:
        return []
    match = suspects[0]
    at = datetime.fromisoformat(str(match["matched_at"]))
    why = t.say(
        MATCH_WHY.get(str(match["kind"]), "label_suspect_elsewhere"),
        code=match.get("matched_code") or _code(t),
        date=thai_date(local_date(at)),
    )
    items = [
        replies.quick_camera(t.say("qr_camera")),
        replies.quick_camera_roll(t.say("qr_camera_roll")),
        replies.quick_postback(t.say("qr_keep_photo"), _button(t, "keep_photo")),
        _cancel_item(t),
    ]
    return [replies.text(t.say("ask_suspect", why=why), items)]


def ask_keep_reason(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("ask_keep_reason"), [_cancel_item(t)])]


def ask_hide_reason(t: Turn) -> list[LineMessage]:
    item = str(t.data.get("hide_label", ""))
    return [replies.text(t.say("ask_hide_reason", item=item, code=_code(t)), [_cancel_item(t)])]


def nothing(t: Turn) -> list[LineMessage]:
    return []
