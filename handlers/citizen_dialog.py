"""The citizen's complaint dialog as one table: (state, input) → step → where it may land.

Read this file to know everything a citizen can do and what follows. `any` rows apply in every
state that has no row of its own for that input. The steps and the questions each state asks
are in `handlers.citizen_steps`; the inputs are named by `handlers.citizen_inputs`. The
diagram in docs/dialogs.md is `rongtook dialogs diagram` and is checked against this table.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from linebot.v3.webhooks import Event
from sqlalchemy.orm import Session

from handlers import citizen_steps as s
from handlers.citizen_inputs import classify
from handlers.citizens import Writer, citizen_for, citizen_language
from handlers.context import HandlerContext, LineMessage, Response
from handlers.dialog import (
    ANY,
    SAME,
    UNUSABLE,
    DialogTable,
    Received,
    Turn,
    anywhere,
    expired_dialogs,
    not_now,
    say_and_stay,
    step,
)
from models.dialogs import IDLE
from models.districts import DistrictLocator

log = logging.getLogger(__name__)

KIND = "citizen"
IDLE_TIMEOUT = timedelta(minutes=30)

DRAFTING = (s.DESCRIBE, s.PHOTOS, s.LOCATE, s.OUTSIDE, s.PICK_DISTRICT, s.CATEGORY, s.CONFIRM, s.EDIT)
PLACE_STATES = (s.LOCATE, s.OUTSIDE, s.PICK_DISTRICT)
AFTER_PLACE = (*s.NEXT_SLOT, s.PICK_DISTRICT)


STEPS = {
    # ---- anywhere: commands, lookups and inputs the bot cannot use
    (ANY, "start"): step(s.already_drafting, SAME),
    (ANY, "cancel"): step(s.cancel, IDLE),
    (ANY, "expired"): step(s.expire, IDLE),
    **anywhere(
        track=s.track,
        code=s.show_code,
        help=s.help_,
        thanks=s.thanks,
        **UNUSABLE,
        no_words=say_and_stay("text_no_words"),
        bad_location=say_and_stay("location_invalid"),
        refused=s.refused,
        stale=not_now,
        changed=say_and_stay("changed_since_card"),
        already_filed=s.already_filed,
        my_data=s.my_data,  # personal data: a draft in progress is kept
        erase_data=s.ask_erase,
        keep_data=s.keep_data,
        privacy_notice=s.show_privacy,
        unfollow=s.unfollow,  # "เลิกติดตาม": on a follow's confirmation, its notices and the tracking list
    ),
    (ANY, "erase"): step(s.erase, IDLE, SAME),  # confirmed: the draft goes too (as the question said)
    (ANY, "photo"): step(s.photo, SAME, *s.NEXT_SLOT),
    (ANY, "location"): step(s.location, *AFTER_PLACE),
    (ANY, "text"): step(s.add_detail, SAME),
    # ---- no draft: anything about a problem starts one
    (IDLE, "start"): step(s.start, s.DESCRIBE),
    (IDLE, "cancel"): step(s.nothing_to_cancel, IDLE),
    (IDLE, "text"): step(s.start_with_text, *s.NEXT_SLOT),
    (IDLE, "photo"): step(s.start_with_photo, *s.NEXT_SLOT),
    (IDLE, "location"): step(s.start_with_location, *AFTER_PLACE),
    (IDLE, "no_words"): step(s.help_, SAME),  # a greeting emoji
    # ---- the draft, slot by slot
    (s.DESCRIBE, "text"): step(s.describe, *s.NEXT_SLOT),
    (s.PHOTOS, "photos_done"): step(s.photos_done, *s.NEXT_SLOT),
    **{(state, "text"): step(s.district_by_name, state, *AFTER_PLACE) for state in PLACE_STATES},
    **{(state, "pick_district"): step(s.pick_district, s.PICK_DISTRICT) for state in PLACE_STATES},
    **{(state, "district"): step(s.district, *AFTER_PLACE) for state in PLACE_STATES},
    (s.CATEGORY, "category"): step(s.category, *s.NEXT_SLOT),
    (s.CATEGORY, "text"): step(s.category_by_name, *s.NEXT_SLOT),
    # ---- the summary: confirm, edit a part, not on the public site (or back on it), or cancel (`any`)
    (s.CONFIRM, "confirm"): step(s.confirm, IDLE, *s.NEXT_SLOT),
    (s.CONFIRM, "privacy"): step(s.privacy, s.CONFIRM),
    (s.CONFIRM, "edit"): step(s.edit, s.EDIT),
    # ---- "me too": follow a nearby open complaint of the duplicate hint instead (the draft is dropped)
    (s.CONFIRM, "follow"): step(s.follow_instead, IDLE, s.CONFIRM),
    (s.EDIT, "follow"): step(s.follow_instead, IDLE, s.EDIT),
    (s.EDIT, "edit_field"): step(s.edit_field, s.EDIT, *s.NEXT_SLOT),
    (s.EDIT, "text"): step(s.edit_by_name, s.EDIT, *s.NEXT_SLOT),
    (s.EDIT, "back"): step(s.back_to_summary, *s.NEXT_SLOT),
    (s.EDIT, "confirm"): step(s.confirm, IDLE, *s.NEXT_SLOT),
    # ---- after the district resolved it: a rating, or "not fixed" with a comment (reopens it)
    (ANY, "rate"): step(s.rate, SAME),
    (ANY, "not_fixed"): step(say_and_stay("draft_in_progress"), SAME),
    (IDLE, "not_fixed"): step(s.not_fixed, IDLE, s.REOPEN),
    (s.REOPEN, "text"): step(s.reopen_with_comment, IDLE),
}

PROMPTS = {
    IDLE: s.remind_idle,
    s.DESCRIBE: s.ask_description,
    s.PHOTOS: s.ask_photos,
    s.LOCATE: s.ask_location,
    s.OUTSIDE: s.say_outside,
    s.PICK_DISTRICT: s.ask_district,
    s.CATEGORY: s.ask_category,
    s.CONFIRM: s.show_summary,
    s.EDIT: s.ask_edit,
    s.REOPEN: s.ask_reopen_comment,
}

CITIZEN_DIALOG = DialogTable(
    kind=KIND,
    states=s.STATES,
    steps=STEPS,
    prompts=PROMPTS,
    fallback=step(not_now, SAME),
    idle_timeout=IDLE_TIMEOUT,
    choices={"next_missing": s.NEXT_SLOT},
)


def handle_citizen(event: Event, user_id: str, ctx: HandlerContext, known: Writer | None = None) -> Response:
    """One LINE message or postback from a citizen, through the table; the reply comes back.

    `known`: the citizen and their dialog, when the caller has already looked them up."""
    citizen = citizen_for(ctx.session, user_id, ctx.at, known=known.citizen if known else None)
    return CITIZEN_DIALOG.answer(
        ctx,
        user_id,
        citizen.language,
        lambda dialog: classify(event, user_id, dialog, ctx.signing_key),
        dialog=known.dialog if known else None,
    )


def expire_idle_drafts(session: Session, now: datetime) -> list[tuple[str, list[LineMessage]]]:
    """Drafts idle for 30 minutes: cancel each and say so (the worker's scheduler pushes the text)."""
    pushes: list[tuple[str, list[LineMessage]]] = []
    for dialog in expired_dialogs(session, KIND, now):
        language = citizen_language(session, dialog.line_user_id)
        ctx = HandlerContext(session=session, at=now, photo_dir=Path("."), locator=DistrictLocator([]))
        turn = Turn(
            ctx=ctx,
            user_id=dialog.line_user_id,
            lang=language,
            dialog=dialog,
            got=Received("expired"),
        )
        turn.data = dict(dialog.data or {})
        CITIZEN_DIALOG.run(turn)
        pushes.append((dialog.line_user_id, turn.out))
    session.flush()
    return pushes
