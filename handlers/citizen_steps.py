"""The citizen's dialog: the states, what each step does, and what each state asks.

The table that ties inputs to these steps is `handlers.citizen_dialog.CITIZEN_DIALOG`; read it
first. A draft's slots are kept in `Turn.data`: description, photo_ids, photos_asked,
latitude/longitude/address, outside, district, routed_by, category, not_public (the citizen asked on
the summary that it not appear on the public site), and `rev`, which goes up whenever the content
changes so a summary card that is no longer current cannot be confirmed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from handlers import cards, replies, use_cases
from handlers.categories import LEGACY_INDEX, by_typed_name, choices, guess_categories, suggestion_model
from handlers.citizens import checked_photo, citizen_for, store_photo
from handlers.context import LineMessage
from handlers.dialog import Turn
from handlers.notices import Links, with_status_link
from handlers.signing import Postback, encode_postback, photo_token
from handlers.tracking import code_detail, track_list
from handlers.use_cases import ActionRefused, Actor
from models import Citizen, Complaint, District, Photo
from models.clock import BANGKOK
from models.complaint_followers import active_follow
from models.deadlines import local_date
from models.dialogs import IDLE
from models.nearby import distance_m, open_complaints_near
from models.personal_data import holdings, new_export_link
from models.photos import MAX_PHOTOS
from models.sections import section_for
from models.thai_dates import date_in
from texts import say

DESCRIBE = "describe"
PHOTOS = "photos"
LOCATE = "locate"
OUTSIDE = "outside"
PICK_DISTRICT = "pick_district"
CATEGORY = "category"
CONFIRM = "confirm"
EDIT = "edit"
REOPEN = "reopen"  # the citizen said "not fixed" and is asked what is still wrong
STATES = (IDLE, DESCRIBE, PHOTOS, LOCATE, OUTSIDE, PICK_DISTRICT, CATEGORY, CONFIRM, EDIT, REOPEN)
# Where a step that fills a slot can land: the next slot still missing.
NEXT_SLOT = (DESCRIBE, PHOTOS, LOCATE, OUTSIDE, CATEGORY, CONFIRM)

MAX_DESCRIPTION = 5000
DUPLICATE_RADIUS_M = 50.0
EDIT_FIELDS = ("description", "photos", "location", "category")


# ---- slots -----------------------------------------------------------------------------------


def next_slot(t: Turn) -> str:
    """The first thing the draft still lacks; the dialog only ever asks for what is missing."""
    d = t.data
    if not d.get("description"):
        return DESCRIBE
    if not d.get("photo_ids") and not d.get("photos_asked"):
        return PHOTOS
    if not d.get("district"):
        return OUTSIDE if d.get("outside") else LOCATE
    if not d.get("category"):
        return CATEGORY
    return CONFIRM


def _changed(t: Turn) -> None:
    t.data["rev"] = int(t.data.get("rev", 0)) + 1


def _begin(t: Turn) -> None:
    """A new draft: buttons of any earlier draft stop working."""
    t.dialog.draft_no += 1
    t.data = {"rev": 0}


def _button(t: Turn, action: str, arg: str = "") -> str:
    postback = Postback(action, t.dialog.draft_no, int(t.data.get("rev", 0)), arg)
    return encode_postback(t.ctx.signing_key, t.user_id, postback)


def _reply(t: Turn, key: str, quick: list[dict[str, object]] | None = None, **values: object) -> None:
    t.out.append(replies.text(t.say(key, **values), quick))


def _district_name(t: Turn, code: str | None) -> str:
    district = t.ctx.session.get(District, code) if code else None
    if district is None:
        return "-"
    return district.name_th if t.lang == "th" else district.name_en


# ---- steps that start, stop and look up ------------------------------------------------------


def start(t: Turn) -> str:
    _begin(t)
    return DESCRIBE


def already_drafting(t: Turn) -> str:
    _reply(t, "draft_in_progress")
    return t.state


def cancel(t: Turn) -> str:
    t.data = {k: v for k, v in t.data.items() if k == "last_filed"}
    _reply(t, "cancelled", _idle_items(t))
    return IDLE


def nothing_to_cancel(t: Turn) -> str:
    _reply(t, "nothing_to_cancel", _idle_items(t))
    return IDLE


def expire(t: Turn) -> str:
    t.data = {k: v for k, v in t.data.items() if k == "last_filed"}
    _reply(t, "draft_expired", _idle_items(t))
    return IDLE


def track(t: Turn) -> str:
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    t.out.extend(track_list(t.ctx.session, citizen, t.lang, t.ctx.at, _links(t)))
    return t.state


def show_code(t: Turn) -> str:
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    t.out.extend(code_detail(t.ctx.session, citizen, t.got.text, t.lang, t.ctx.at, _links(t)))
    return t.state


def help_(t: Turn) -> str:
    _reply(t, "help", _idle_items(t) if t.state == IDLE else None)
    return t.state


def thanks(t: Turn) -> str:
    _reply(t, "you_are_welcome", _idle_items(t) if t.state == IDLE else None)
    return t.state


def refused(t: Turn) -> str:
    _reply(t, "refused_button")
    return t.state


def already_filed(t: Turn) -> str:
    code = (t.data.get("last_filed") or {}).get("code", "-")
    _reply(t, "already_filed", [replies.quick_message(t.say("qr_track"))], code=code)
    return t.state


# ---- steps that fill the draft ---------------------------------------------------------------


def start_with_text(t: Turn) -> str:
    _begin(t)
    return describe(t)


def describe(t: Turn) -> str:
    t.data["description"] = t.got.text
    _changed(t)
    return next_slot(t)


def add_detail(t: Turn) -> str:
    current = t.data.get("description", "")
    combined = f"{current}\n{t.got.text}" if current else t.got.text
    if len(combined) > MAX_DESCRIPTION:
        _reply(t, "description_full")
        return t.state
    t.data["description"] = combined
    _changed(t)
    _reply(t, "detail_added")
    return t.state


def start_with_photo(t: Turn) -> str:
    _begin(t)
    return photo(t)


def photo(t: Turn) -> str:
    content, problem = checked_photo(t.ctx)
    if problem is not None or content is None:
        _reply(t, problem or "photo_unavailable")
        return _stay_or_next(t)
    ids: list[int] = list(t.data.get("photo_ids", []))
    if len(ids) >= MAX_PHOTOS:
        t.quiet = not t.got.last_of_set  # a set past the limit: one answer, for its last photo
        _reply(t, "photos_full")
        if t.state == PHOTOS:
            t.data["photos_asked"] = True
            return next_slot(t)
        return _stay_or_next(t)
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    stored = store_photo(t.ctx, citizen, t.got.message_id or "", content)
    if stored.id not in ids:
        ids.append(stored.id)
    t.data["photo_ids"] = ids
    _changed(t)
    t.quiet = not t.got.last_of_set  # one answer for a set of photos sent together
    _reply(t, "photo_added", count=len(ids))
    if t.state == PHOTOS and len(ids) < MAX_PHOTOS:
        return PHOTOS
    if t.state == PHOTOS:  # the fourth: nothing more to ask about photos
        t.data["photos_asked"] = True
        return next_slot(t)
    return _stay_or_next(t)


def _stay_or_next(t: Turn) -> str:
    """After a photo: a question still open stays open; from idle, the draft's first gap."""
    return next_slot(t) if t.state in (IDLE, EDIT) else t.state


def photos_done(t: Turn) -> str:
    t.data["photos_asked"] = True
    return next_slot(t)


def start_with_location(t: Turn) -> str:
    _begin(t)
    return location(t)


def location(t: Turn) -> str:
    lat, lon = t.got.latitude, t.got.longitude
    assert lat is not None and lon is not None  # the classifier only names plausible points "location"
    t.data.update(latitude=lat, longitude=lon, address=t.got.address, outside=False, district=None)
    if t.state == PHOTOS:
        t.data["photos_asked"] = True  # sending the place means the photos are done
    _changed(t)
    locator = t.ctx.locator
    if not locator.enabled:
        _reply(t, "location_no_routing")
        return PICK_DISTRICT
    code = locator.locate(lat, lon)
    if code is None or t.ctx.session.get(District, code) is None:
        t.data["outside"] = True
        return OUTSIDE
    t.data.update(district=code, routed_by="location")
    _reply(t, "location_in_district", district=_district_name(t, code))
    return next_slot(t)


def pick_district(t: Turn) -> str:
    return PICK_DISTRICT


def district(t: Turn) -> str:
    code = t.got.text
    if t.ctx.session.get(District, code) is None:
        _reply(t, "refused_button")
        return PICK_DISTRICT
    return _choose_district(t, code)


def district_by_name(t: Turn) -> str:
    matches = match_districts(t.ctx.session.scalars(select(District)).all(), t.got.text)
    if len(matches) == 1:
        return _choose_district(t, matches[0].code)
    if len(matches) > 1:
        items = [
            replies.quick_postback(name, _button(t, "district", d.code), name)
            for d in matches[:12]
            for name in [d.name_th if t.lang == "th" else d.name_en]
        ]
        _reply(t, "district_ambiguous", items, name=t.got.text[:50])
        t.prompt = False
        return PICK_DISTRICT
    if t.state == PICK_DISTRICT:
        _reply(t, "district_unknown", name=t.got.text[:50])
        return PICK_DISTRICT
    return add_detail(t)  # asked for a place, a citizen may well type the address: keep it


def _choose_district(t: Turn, code: str) -> str:
    if t.data.get("outside"):
        # The pin is in no district, so it cannot place the problem (nor find duplicates near it);
        # it is kept in the filed event for officers, not as the complaint's location.
        t.data["outside_point"] = [t.data.get("latitude"), t.data.get("longitude")]
        t.data.update(latitude=None, longitude=None)
    t.data.update(district=code, routed_by="citizen", outside=False)
    _changed(t)
    _reply(t, "district_chosen", district=_district_name(t, code))
    return next_slot(t)


def match_districts(districts: list[District], typed: str) -> list[District]:
    """Districts whose name is what was typed ("เขตบางรัก", "bang rak"), else those containing it."""
    wanted = _plain(typed)
    if not wanted:
        return []
    exact = [d for d in districts if wanted in (_plain(d.name_th), _plain(d.name_en))]
    if exact:
        return exact
    return [d for d in districts if wanted in _plain(d.name_th) or wanted in _plain(d.name_en)]


def _plain(name: str) -> str:
    squashed = re.sub(r"[\s\-.]+", "", name.lower())
    for prefix in ("สำนักงานเขต", "เขต", "district"):
        squashed = squashed.removeprefix(prefix)
    return squashed.removesuffix("district")


def category(t: Turn) -> str:
    code = LEGACY_INDEX.get(t.got.text, t.got.text)
    chosen = next((c for c in choices(t.ctx.session) if c.code == code), None)
    if chosen is None:  # a button of a category switched off since, or not ours
        _reply(t, "refused_button")
        return CATEGORY
    return _choose_category(t, chosen.name_th)


def category_by_name(t: Turn) -> str:
    chosen = by_typed_name(choices(t.ctx.session), t.got.text)
    if chosen is None:
        _reply(t, "category_unknown", name=t.got.text[:50])
        return CATEGORY
    return _choose_category(t, chosen.name_th)


def _choose_category(t: Turn, label: str) -> str:
    t.data["category"] = label
    _changed(t)
    return next_slot(t)


def edit(t: Turn) -> str:
    return EDIT


def edit_field(t: Turn) -> str:
    field = t.got.text
    if field not in EDIT_FIELDS:
        _reply(t, "refused_button")
        return EDIT
    if field == "description":
        t.data["description"] = ""
    elif field == "photos":
        t.data.update(photo_ids=[], photos_asked=False)
        _reply(t, "photos_cleared")
    elif field == "location":
        t.data.update(latitude=None, longitude=None, address=None, district=None, outside=False)
    else:
        t.data["category"] = None
    _changed(t)
    return next_slot(t)


def edit_by_name(t: Turn) -> str:
    typed = t.got.text.strip().lower()
    for field in EDIT_FIELDS:
        if typed == t.say(f"qr_edit_{field}").lower():
            t.got.text = field
            return edit_field(t)
    _reply(t, "not_now")
    return EDIT


def back_to_summary(t: Turn) -> str:
    return next_slot(t)


PRIVACY_CHOICES = {"private": True, "public": False}  # the button's arg → not_public


def privacy(t: Turn) -> str:
    """The summary's toggle: not on the public site (still handled, still counted), or back on it."""
    if t.got.text not in PRIVACY_CHOICES:
        _reply(t, "refused_button")
        return CONFIRM
    t.data["not_public"] = PRIVACY_CHOICES[t.got.text]
    _changed(t)  # the summary shown before said otherwise: it cannot be confirmed any more
    _reply(t, "not_public_chosen" if t.data["not_public"] else "public_chosen")
    return CONFIRM


# ---- filing --------------------------------------------------------------------------------


def confirm(t: Turn) -> str:
    missing = next_slot(t)
    if missing != CONFIRM:
        return missing  # cannot happen through the buttons; a typed "ยืนยัน" too early lands here
    session, d = t.ctx.session, t.data
    citizen = citizen_for(session, t.user_id, t.ctx.at)
    photos = list(
        session.scalars(
            select(Photo)
            .where(Photo.id.in_(d.get("photo_ids", [])), Photo.citizen_id == citizen.id)
            .where(Photo.complaint_id.is_(None))
            .order_by(Photo.id)
        )
    )
    section = section_for(session, d["category"])
    complaint = use_cases.file(
        _acting(t, citizen),
        citizen,
        description=d["description"],
        category=d["category"],
        district_code=d["district"],
        latitude=d.get("latitude"),
        longitude=d.get("longitude"),
        photos=photos,
        section=section,
        routed_by=d.get("routed_by", "location"),
        possible_duplicates=nearby_duplicates(t),
        data={k: d[k] for k in ("address", "outside_point") if d.get(k)} or None,
        public=not d.get("not_public"),
    )
    due = complaint.ack_due_at
    assert due is not None
    t.data = {"last_filed": {"draft": t.dialog.draft_no, "code": complaint.tracking_code}}
    receipt = t.say(
        "filed",
        code=complaint.tracking_code,
        district=_district_name(t, complaint.district_code),
        section=section,
        ack_due=date_in(local_date(due), t.lang),
    )
    links = Links(t.ctx.signing_key, t.ctx.public_base_url)
    if complaint.public_opt_out:
        receipt = f"{receipt}\n{t.say('filed_not_public')}"
    public = not complaint.public_opt_out
    t.out.append(
        replies.text(
            with_status_link(receipt, complaint.tracking_code, links, t.lang, public=public), _idle_items(t)
        )
    )
    return IDLE


def _links(t: Turn) -> Links:
    return Links(t.ctx.signing_key, t.ctx.public_base_url)


def _acting(t: Turn, citizen: Citizen) -> use_cases.Acting:
    """The citizen acting through this turn (at the LINE event's time); notices go out with the answer."""
    return use_cases.Acting(t.ctx.session, Actor.citizen(citizen), t.ctx.at, _links(t), t.pushes.extend)


# ---- "me too": following a nearby complaint instead of filing a duplicate ------------------------

FOLLOW_REFUSALS = ("own_complaint", "closed", "already_following")  # models.complaint_followers


def _complaint_of(t: Turn) -> Complaint | None:
    """The complaint a signed button names (its id), if it still exists."""
    arg = t.got.text
    return t.ctx.session.get(Complaint, int(arg)) if arg.isdigit() else None


def follow_instead(t: Turn) -> str:
    """The citizen tapped "ติดตามเรื่องนี้แทน": follow that complaint and drop the draft (its photos stay
    unattached, and housekeeping purges them); refused, the draft stays as it was and is asked again."""
    complaint = _complaint_of(t)
    if complaint is None:
        _reply(t, "follow_refused_other")
        return t.state
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    try:
        use_cases.follow(_acting(t, citizen), complaint, citizen)
    except ActionRefused as refused:
        known = refused.reason in FOLLOW_REFUSALS
        key = f"follow_refused_{refused.reason}" if known else "follow_refused_other"
        _reply(t, key, code=complaint.tracking_code, status=t.say(f"status_{complaint.status}"))
        return t.state
    t.data = {k: v for k, v in t.data.items() if k == "last_filed"}
    links = _links(t)
    done = t.say("follow_done", code=complaint.tracking_code)
    done = with_status_link(done, complaint.tracking_code, links, t.lang, public=not complaint.public_opt_out)
    stop = replies.quick_postback(
        t.say("qr_unfollow"), links.button(t.user_id, "unfollow", str(complaint.id))
    )
    t.out.append(replies.text(done, [stop, *_idle_items(t)]))
    return IDLE


def unfollow(t: Turn) -> str:
    """The citizen tapped "เลิกติดตาม": no more notices of it; a draft in progress goes on."""
    complaint = _complaint_of(t)
    if complaint is None:
        _reply(t, "refused_button")
        return t.state
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    try:
        use_cases.unfollow(_acting(t, citizen), complaint, citizen)
    except ActionRefused:
        _reply(t, "unfollow_not_following", code=complaint.tracking_code)
        return t.state
    _reply(t, "unfollow_done", _idle_items(t) if t.state == IDLE else None, code=complaint.tracking_code)
    return t.state


def nearby_duplicates(t: Turn) -> list[Complaint]:
    d = t.data
    if d.get("latitude") is None or d.get("longitude") is None or not d.get("category"):
        return []
    found = open_complaints_near(
        t.ctx.session,
        category=d["category"],
        latitude=d["latitude"],
        longitude=d["longitude"],
        radius_m=DUPLICATE_RADIUS_M,
    )
    return sorted(found, key=lambda c: distance_m(d["latitude"], d["longitude"], c.latitude, c.longitude))


# ---- after resolution: rating and "not fixed" ---------------------------------------------------


def _own_complaint(t: Turn, complaint_id: str) -> Complaint | None:
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    complaint = t.ctx.session.get(Complaint, int(complaint_id)) if complaint_id.isdigit() else None
    return complaint if complaint is not None and complaint.citizen_id == citizen.id else None


def _followed_complaint(t: Turn, complaint_id: str) -> Complaint | None:
    """A complaint the citizen follows ("me too"): its notices came with the same buttons as the owner's."""
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    complaint = t.ctx.session.get(Complaint, int(complaint_id)) if complaint_id.isdigit() else None
    if complaint is None or active_follow(t.ctx.session, complaint, citizen) is None:
        return None
    return complaint


def rate(t: Turn) -> str:
    """A rating: the reporter's, or a follower's own (kept apart: `use_cases.rate`)."""
    complaint_id, _, stars = t.got.text.partition(".")
    complaint = _own_complaint(t, complaint_id) or _followed_complaint(t, complaint_id)
    if complaint is None or not stars.isdigit():
        _reply(t, "refused_button")
        return t.state
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    try:
        use_cases.rate(_acting(t, citizen), complaint, citizen, int(stars))
    except ActionRefused:
        _reply(t, "cannot_rate")
        return t.state
    _reply(t, "rating_thanks", _idle_items(t) if t.state == IDLE else None, stars=int(stars))
    return t.state


def not_fixed(t: Turn) -> str:
    complaint = _own_complaint(t, t.got.text)
    followed = _followed_complaint(t, t.got.text) if complaint is None else None
    if followed is not None:  # a follower: recorded as theirs; reopening is the reporter's (RULES §5)
        citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
        try:
            use_cases.not_fixed_as_follower(_acting(t, citizen), followed, citizen)
        except ActionRefused:
            _reply(t, "cannot_rate")
            return t.state
        _reply(t, "follower_not_fixed", _idle_items(t), code=followed.tracking_code)
        return t.state
    if complaint is None or complaint.status != "resolved":
        _reply(t, "cannot_rate")
        return t.state
    t.data = {k: v for k, v in t.data.items() if k == "last_filed"}
    t.data["reopen"] = complaint.id
    return REOPEN


def reopen_with_comment(t: Turn) -> str:
    complaint = _own_complaint(t, str(t.data.get("reopen", "")))
    t.data.pop("reopen", None)
    if complaint is None:
        _reply(t, "cannot_rate")
        return IDLE
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    try:
        use_cases.reopen(_acting(t, citizen), complaint, citizen, t.got.text)
    except ActionRefused:
        _reply(t, "cannot_rate")
        return IDLE
    _reply(
        t,
        "reopened",
        _idle_items(t),
        code=complaint.tracking_code,
        district=_district_name(t, complaint.district_code),
    )
    return IDLE


def ask_reopen_comment(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("ask_reopen_comment"), [_cancel_item(t)])]


# ---- personal data (PDPA): the notice, "my data", "erase my data" -------------------------------


def privacy_notice(lang: str, public_base_url: str | None) -> LineMessage:
    """The short notice (with the welcome, or typed "ความเป็นส่วนตัว") and the link to the full one."""
    body = say("privacy_notice", lang)
    if public_base_url:
        url = f"{public_base_url.rstrip('/')}/privacy" + ("?lang=en" if lang == "en" else "")
        body = f"{body}\n{say('privacy_more', lang, url=url)}"
    return replies.text(body)


def show_privacy(t: Turn) -> str:
    t.out.append(privacy_notice(t.lang, t.ctx.public_base_url))
    return t.state  # in a draft, the state's question follows: the draft goes on


def my_data(t: Turn) -> str:
    """What is held, and a one-time 24-hour download link, in this chat only (an answer to its owner)."""
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    held = holdings(t.ctx.session, citizen)
    summary = t.say(
        "my_data_summary",
        name=held.display_name or t.say("label_no_name"),
        language={"th": "ไทย", "en": "English"}.get(held.language, held.language),
        since=date_in(local_date(held.since), t.lang),
        complaints=held.complaints,
        open=held.open_complaints,
        photos=held.photos,
    )
    t.out.append(replies.text(summary))
    base = t.ctx.public_base_url
    if base:
        token = new_export_link(t.ctx.session, citizen, t.ctx.at, t.ctx.signing_key)
        until = (t.ctx.at + timedelta(hours=24)).astimezone(BANGKOK)
        link = t.say(
            "my_data_link",
            url=f"{base.rstrip('/')}/my-data/{token}",
            until=f"{date_in(until.date(), t.lang)} {until:%H:%M}",
        )
        t.out.append(replies.text(link))
    else:  # no public address: a link could not be opened
        t.out.append(replies.text(t.say("my_data_no_link")))
    if t.state != IDLE:
        t.out.append(replies.text(t.say("my_data_draft_kept")))
    return t.state


def ask_erase(t: Turn) -> str:
    """What erasure does, and the two answers; the button names the citizen, so once done it is spent."""
    citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
    held = holdings(t.ctx.session, citizen)
    lines = [t.say("erase_ask")]
    if held.open_complaints:
        lines.append(t.say("erase_open_note", count=held.open_complaints))
    if t.state != IDLE:
        lines.append(t.say("erase_draft_note"))
    lines.append(t.say("erase_cannot_undo"))
    key, user = t.ctx.signing_key, t.user_id
    items = [
        replies.quick_postback(
            t.say("qr_erase_confirm"), encode_postback(key, user, Postback("erase", 0, 0, str(citizen.id)))
        ),
        replies.quick_postback(
            t.say("qr_erase_keep"), encode_postback(key, user, Postback("keep_data", 0, 0))
        ),
    ]
    t.out.append(replies.text("\n".join(lines), items))
    t.prompt = False  # the question is this one; a draft's own comes back with "keep"
    return t.state


def erase(t: Turn) -> str:
    """Confirmed: the citizen's personal data erased; a draft in progress goes with it (as said)."""
    citizen = t.ctx.session.scalar(select(Citizen).where(Citizen.line_user_id == t.user_id))
    if citizen is None or str(citizen.id) != t.got.text:  # a button of a citizen already erased
        _reply(t, "erase_already")
        return t.state
    use_cases.erase_citizen(_acting(t, citizen), citizen)
    t.data = {}
    _reply(t, "erase_done")
    return IDLE


def keep_data(t: Turn) -> str:
    _reply(t, "erase_kept")
    return t.state


# ---- what each state asks --------------------------------------------------------------------


def _cancel_item(t: Turn) -> dict[str, object]:
    return replies.quick_message(t.say("qr_cancel"))


def _idle_items(t: Turn) -> list[dict[str, object]]:
    return [replies.quick_message(t.say("qr_report")), replies.quick_message(t.say("qr_track"))]


def ask_description(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("ask_description"), [_cancel_item(t)])]


def ask_photos(t: Turn) -> list[LineMessage]:
    count = len(t.data.get("photo_ids", []))
    key, done = ("ask_more_photos", "qr_photos_done") if count else ("ask_photos", "qr_no_photos")
    items = [
        replies.quick_camera(t.say("qr_camera")),
        replies.quick_camera_roll(t.say("qr_camera_roll")),
        replies.quick_postback(t.say(done), _button(t, "photos_done")),
        _cancel_item(t),
    ]
    return [replies.text(t.say(key, left=MAX_PHOTOS - count), items)]


def _place_items(t: Turn, location_key: str) -> list[dict[str, object]]:
    return [
        replies.quick_location(t.say(location_key)),
        replies.quick_postback(t.say("qr_pick_district"), _button(t, "pick_district")),
        _cancel_item(t),
    ]


def ask_location(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("ask_location"), _place_items(t, "qr_send_location"))]


def say_outside(t: Turn) -> list[LineMessage]:
    return [replies.text(t.say("location_outside"), _place_items(t, "qr_new_location"))]


def ask_district(t: Turn) -> list[LineMessage]:
    districts = list(t.ctx.session.scalars(select(District)))
    picker = cards.district_picker(districts, t.lang, lambda d: _button(t, "district", d.code))
    items = [replies.quick_location(t.say("qr_send_location")), _cancel_item(t)]
    return [picker, replies.text(t.say("ask_district"), items)]


def ask_category(t: Turn) -> list[LineMessage]:
    model = suggestion_model(t.ctx.category_model_path)
    offered = guess_categories(t.data.get("description", ""), choices(t.ctx.session), limit=12, model=model)
    items = [replies.quick_postback(c.label(t.lang), _button(t, "category", c.code)) for c in offered]
    return [replies.text(t.say("ask_category"), [*items, _cancel_item(t)])]


def show_summary(t: Turn) -> list[LineMessage]:
    d = t.data
    messages: list[LineMessage] = []
    duplicates = nearby_duplicates(t)
    if duplicates:
        citizen = citizen_for(t.ctx.session, t.user_id, t.ctx.at)
        listed = [
            cards.Duplicate(
                c.tracking_code,
                t.say(
                    "duplicate_item",
                    code=c.tracking_code,
                    status=t.say(f"status_{c.status}"),
                    metres=round(distance_m(d["latitude"], d["longitude"], c.latitude, c.longitude)),
                )
                + (t.say("label_your_own") if c.citizen_id == citizen.id else ""),
                None if c.citizen_id == citizen.id else _button(t, "follow", str(c.id)),
            )
            for c in duplicates[:5]
        ]
        items = "\n".join(duplicate.line for duplicate in listed)
        messages.append(cards.duplicates_card(listed, t.lang, t.say("duplicates_found", items=items)))
    photo_ids = d.get("photo_ids", [])
    base = t.ctx.public_base_url
    photo_url = (
        f"{base}/media/photos/{photo_ids[0]}/{photo_token(t.ctx.signing_key, photo_ids[0])}"
        if base and photo_ids
        else None
    )
    summary = cards.Summary(
        description=d.get("description", ""),
        category=d.get("category") or "-",
        district_name=_district_name(t, d.get("district")),
        photo_count=len(photo_ids),
        photo_url=photo_url,
        latitude=d.get("latitude"),
        longitude=d.get("longitude"),
        possible_duplicate=bool(duplicates),
        public=not d.get("not_public"),
    )
    card = cards.summary_card(summary, t.lang, _button(t, "confirm"), _button(t, "edit"))
    toggle = ("qr_public", "public") if d.get("not_public") else ("qr_not_public", "private")
    quick = [
        replies.quick_postback(t.say("qr_confirm"), _button(t, "confirm")),
        replies.quick_postback(t.say(toggle[0]), _button(t, "privacy", toggle[1])),
        replies.quick_postback(t.say("qr_edit"), _button(t, "edit")),
        _cancel_item(t),
    ]
    messages.append(replies.with_quick_replies(card, quick))
    return messages


def ask_edit(t: Turn) -> list[LineMessage]:
    items = [
        replies.quick_postback(t.say(f"qr_edit_{field}"), _button(t, "edit_field", field))
        for field in EDIT_FIELDS
    ]
    items.append(replies.quick_postback(t.say("qr_back_to_summary"), _button(t, "back")))
    return [replies.text(t.say("ask_edit"), [*items, _cancel_item(t)])]


def remind_idle(t: Turn) -> list[LineMessage]:
    return []
