"""The officer's dialog as one table, like the citizen's: (state, input) → step → where it may land.

Card buttons (acknowledge, details, progress, resolve, transfer, reject, hide from the public) carry
the complaint id and work from any state, any time, as long as the complaint still allows the action;
buttons inside a multi-step action (send, target, reject kind, the item to hide) belong to that action
only.
"""

from __future__ import annotations

from datetime import timedelta

from linebot.v3.webhooks import Event, PostbackEvent

from handlers import officer_steps as s
from handlers.citizen_inputs import classify_message, decode_or_refuse
from handlers.context import HandlerContext, Response
from handlers.dialog import (
    ANY,
    SAME,
    UNUSABLE,
    DialogTable,
    Received,
    anywhere,
    not_now,
    say_and_stay,
    step,
)
from models import Officer
from models.dialogs import IDLE, Dialog
from models.officer_links import looks_like_link_code
from texts import keyword

KIND = "officer"
IDLE_TIMEOUT = timedelta(hours=2)  # an officer may start a report on site and finish it later
CARD_ACTIONS = frozenset({"ack", "detail", "progress", "resolve", "transfer", "reject", "hide"})
ACTION_BUTTONS = frozenset({"send", "target", "reject_kind", "hide_item", "keep_photo"})
STARTS = tuple(s.STARTS.values())


STEPS = {
    **anywhere(ack=s.ack, detail=s.detail, code=s.show_code, worklist=s.worklist, help=s.help_),
    **anywhere(new_complaints=s.new_complaints),  # the officer rich menu's "เรื่องใหม่"
    (ANY, "link_code"): step(s.already_linked, SAME),  # a link code from an officer linked already
    **{(ANY, action): step(s.start, SAME, target) for action, target in s.STARTS.items()},
    (ANY, "cancel"): step(s.cancel, IDLE),
    (ANY, "expired"): step(s.expire, IDLE),
    **anywhere(**UNUSABLE, refused=say_and_stay("refused_button"), stale=not_now),
    (IDLE, "text"): step(s.help_, SAME),
    (IDLE, "photo"): step(s.help_, SAME),
    (s.PROGRESS_TEXT, "text"): step(s.take_text, s.PROGRESS_PHOTOS),
    (s.PROGRESS_TEXT, "photo"): step(s.take_photo, SAME, s.PHOTO_SUSPECT),
    (s.PROGRESS_PHOTOS, "photo"): step(s.take_photo, SAME, s.PHOTO_SUSPECT),
    (s.PROGRESS_PHOTOS, "send"): step(s.send, IDLE, s.PHOTO_SUSPECT),
    (s.RESULT_TEXT, "text"): step(s.take_text, s.AFTER_PHOTOS),
    (s.RESULT_TEXT, "photo"): step(s.take_photo, SAME, s.PHOTO_SUSPECT),
    (s.AFTER_PHOTOS, "photo"): step(s.take_photo, SAME, s.PHOTO_SUSPECT),
    (s.AFTER_PHOTOS, "send"): step(s.send, IDLE, SAME, s.PHOTO_SUSPECT),
    (s.TRANSFER_TARGET, "target"): step(s.target, s.TRANSFER_TARGET, s.TRANSFER_REASON),
    (s.TRANSFER_TARGET, "text"): step(s.target_by_name, s.TRANSFER_TARGET, s.TRANSFER_REASON),
    (s.TRANSFER_REASON, "text"): step(s.transfer_with_reason, IDLE, s.TRANSFER_TARGET),
    (s.REJECT_KIND, "reject_kind"): step(s.reject_kind, s.REJECT_REASON, s.DUPLICATE_CODE),
    (s.REJECT_REASON, "text"): step(s.reject_with_reason, IDLE),
    (s.DUPLICATE_CODE, "text"): step(s.reject_duplicate, IDLE, s.DUPLICATE_CODE),
    (s.DUPLICATE_CODE, "code"): step(s.reject_duplicate, IDLE, s.DUPLICATE_CODE),
    # ---- hide a text or a photo from the public: which one (a button, or its label typed), then why
    (ANY, "hide"): step(s.start_hide, SAME, s.HIDE_WHICH),
    (s.HIDE_WHICH, "hide_item"): step(s.hide_item, s.HIDE_WHICH, s.HIDE_REASON),
    (s.HIDE_WHICH, "text"): step(s.hide_item_by_name, s.HIDE_WHICH, s.HIDE_REASON),
    (s.HIDE_REASON, "text"): step(s.hide_with_reason, IDLE),
    # ---- a progress or "after" photo that matches an earlier one: send another, or keep it with a reason
    (s.PHOTO_SUSPECT, "photo"): step(s.replace_photo, s.PHOTO_SUSPECT, *s.PHOTO_STATES),
    (s.PHOTO_SUSPECT, "keep_photo"): step(s.keep_photo, s.KEEP_REASON, SAME),
    (s.PHOTO_SUSPECT, "text"): step(s.suspect_text, SAME, s.KEEP_REASON),
    (s.PHOTO_SUSPECT, "send"): step(s.decide_first, SAME),
    (s.KEEP_REASON, "text"): step(s.keep_with_reason, SAME, s.PHOTO_SUSPECT, *s.PHOTO_STATES),
    (s.KEEP_REASON, "no_words"): step(s.keep_with_reason, SAME),
    (s.KEEP_REASON, "photo"): step(s.replace_photo, s.PHOTO_SUSPECT, *s.PHOTO_STATES),
    (s.KEEP_REASON, "send"): step(s.decide_first, SAME),
    (ANY, "keep_photo"): step(s.keep_again, SAME),
}

OFFICER_DIALOG = DialogTable(
    kind=KIND,
    states=s.STATES,
    steps=STEPS,
    prompts={
        IDLE: s.nothing,
        s.PROGRESS_TEXT: s.ask_progress_text,
        s.PROGRESS_PHOTOS: s.ask_progress_photos,
        s.RESULT_TEXT: s.ask_result_text,
        s.AFTER_PHOTOS: s.ask_after_photos,
        s.TRANSFER_TARGET: s.ask_target,
        s.TRANSFER_REASON: s.ask_transfer_reason,
        s.REJECT_KIND: s.ask_reject_kind,
        s.REJECT_REASON: s.ask_reject_reason,
        s.DUPLICATE_CODE: s.ask_duplicate_code,
        s.HIDE_WHICH: s.ask_hide_which,
        s.HIDE_REASON: s.ask_hide_reason,
        s.PHOTO_SUSPECT: s.ask_suspect,
        s.KEEP_REASON: s.ask_keep_reason,
    },
    fallback=step(not_now, SAME),
    idle_timeout=IDLE_TIMEOUT,
    choices={"back_to_the_report": s.PHOTO_STATES},  # where a matched photo's question goes back to
)


def classify(event: Event, user_id: str, dialog: Dialog, key: bytes) -> Received:
    if not isinstance(event, PostbackEvent):
        got = classify_message(event)
        if got.kind == "text" and looks_like_link_code(got.text):
            return Received("link_code", text=got.text)
        if got.kind == "text" and keyword(got.text) == "new_complaints":  # officers only ("เรื่องใหม่")
            return Received("new_complaints", text=got.text)
        if got.kind == "photos_done" or (got.kind == "confirm" and dialog.active):
            return Received("send", text=got.text)  # a typed "เสร็จ"/"ส่ง" means the send button
        return got
    postback = decode_or_refuse(event.postback.data, user_id, key)
    if isinstance(postback, Received):
        return postback
    if postback.action in CARD_ACTIONS:
        return Received(postback.action, postback=postback, text=postback.arg)
    if postback.action in ACTION_BUTTONS:
        if postback.draft != dialog.draft_no or not dialog.active:
            return Received("stale", postback=postback)
        return Received(postback.action, postback=postback, text=postback.arg)
    return Received("refused", note="unknown action")


def handle_officer(event: Event, officer: Officer, ctx: HandlerContext) -> Response:
    assert officer.line_user_id is not None
    user_id = officer.line_user_id
    return OFFICER_DIALOG.answer(
        ctx, user_id, "th", lambda dialog: classify(event, user_id, dialog, ctx.signing_key)
    )
