"""Events from a district's LINE group (issue 18 point 2): joining, linking, leaving, and taps on cards.

The bot answers in a group only when spoken to with a purpose: invited (a greeting that says how to
link), a group link code typed (linked, or why not), an officer's link code typed there by mistake, and
taps on the cards it posted. Other group chatter is the officers' own and gets no answer.

A card in a group is signed for the group (`notices.officer_cards`), so anyone in it can tap; the tapper
(`source.userId`) must be a linked, active officer of the group's district, or nothing is done and the
group is told why, politely. A district officer's tap runs the officer's dialog exactly as in the
one-to-one chat. One-tap actions (acknowledge, details) are answered in the group, where everyone sees
them; a multi-step action (progress, resolve, transfer, reject, hide) continues in the officer's
one-to-one chat with the bot — photos and texts for one complaint do not mix with the group's
conversation, and two officers can work at once — and the group is told who took it on.
"""

from __future__ import annotations

import logging

from linebot.v3.webhooks import (
    Event,
    JoinEvent,
    LeaveEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
)
from sqlalchemy import select

from handlers import replies
from handlers.context import HandlerContext, LineMessage, Response
from handlers.notices import Links, complaint_card
from handlers.officer_dialog import CARD_ACTIONS, KIND, handle_officer
from handlers.signing import PostbackRefused, decode_postback, encode_postback
from models import Complaint, District
from models.dialogs import IDLE, Dialog
from models.district_groups import (
    DistrictGroup,
    GroupLinkResult,
    active_group,
    group_left,
    link_group,
    looks_like_group_code,
)
from models.officer_links import looks_like_link_code, officer_by_line_user
from texts import say

log = logging.getLogger(__name__)
ONE_TAP = frozenset({"ack", "detail"})  # answered in the group; the other card actions go one-to-one
CODE_ANSWERS = {
    GroupLinkResult.WRONG: "group_code_wrong",
    GroupLinkResult.EXPIRED: "group_code_expired",
    GroupLinkResult.USED: "group_code_used",
}


def handle_group(event: Event, group_id: str, user_id: str | None, ctx: HandlerContext) -> Response:
    if isinstance(event, JoinEvent):
        return Response(reply=[replies.text(say("group_welcome"))])
    if isinstance(event, LeaveEvent):
        group = group_left(ctx.session, group_id, ctx.at)
        if group is not None:
            log.info("bot left group %s of district %s: unlinked", group_id, group.district_code)
        return Response()  # the bot is no longer in the group: nothing can be sent there
    if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
        return _text(event.message.text, group_id, user_id, ctx)
    if isinstance(event, PostbackEvent):
        return _tap(event, group_id, user_id, ctx)
    return Response()  # members joining or leaving, stickers, photos: the group's own conversation


def _text(typed: str, group_id: str, user_id: str | None, ctx: HandlerContext) -> Response:
    if looks_like_group_code(typed):
        result, group = link_group(ctx.session, typed, group_id, user_id, ctx.at)
        if result != GroupLinkResult.LINKED or group is None:
            log.warning("group %s: group link code %s", group_id, result.value)
            return _say(CODE_ANSWERS.get(result, "group_code_wrong"))
        log.info("group %s linked to district %s by %s", group_id, group.district_code, user_id)
        return _say("group_linked", district=_district_name(ctx, group))
    if looks_like_link_code(typed):  # an officer's own code belongs in the one-to-one chat
        return _say("group_officer_code")
    return Response()


def _tap(event: PostbackEvent, group_id: str, user_id: str | None, ctx: HandlerContext) -> Response:
    group = active_group(ctx.session, group_id)
    if group is None:
        return _say("group_not_linked")
    try:
        postback = decode_postback(ctx.signing_key, group_id, event.postback.data)
    except PostbackRefused as exc:
        log.warning("group %s: refused postback (%s)", group_id, exc)
        return _say("refused_button")
    if postback.action not in CARD_ACTIONS:
        return _say("refused_button")
    if user_id is None:  # LINE leaves the tapper out until they accept the bot's terms
        return _say("group_tap_anonymous")
    officer = officer_by_line_user(ctx.session, user_id)
    if officer is None or not officer.active or officer.district_code != group.district_code:
        log.info("group %s: tap by %s refused (not an officer of %s)", group_id, user_id, group.district_code)
        return _say("group_tap_refused", district=_district_name(ctx, group))
    # The bot checked its own signature for the group: the same data, signed for the officer, goes
    # through the officer's dialog unchanged.
    event.postback.data = encode_postback(ctx.signing_key, user_id, postback)
    answer = handle_officer(event, officer, ctx)
    complaint = ctx.session.get(Complaint, int(postback.arg)) if postback.arg.isdigit() else None
    dialog = ctx.session.scalar(select(Dialog).where(Dialog.line_user_id == user_id, Dialog.kind == KIND))
    if postback.action in ONE_TAP or dialog is None or dialog.state == IDLE:
        # Answered in the group; the officer's cards (signed for them) become one card for the group.
        return Response(
            reply=_for_group(answer.reply, officer.name, complaint, group, ctx), pushes=answer.pushes
        )
    code = complaint.tracking_code if complaint is not None else postback.arg
    note = replies.text(say("group_continue_private", name=officer.name, code=code))
    return Response(reply=[note], pushes=[(user_id, answer.reply), *answer.pushes])


def _for_group(
    messages: list[LineMessage],
    name: str,
    complaint: Complaint | None,
    group: DistrictGroup,
    ctx: HandlerContext,
) -> list[LineMessage]:
    out: list[LineMessage] = []
    had_card = False
    for message in messages:
        if message.get("type") in ("flex", "template"):  # buttons signed for the officer alone
            had_card = True
            continue
        message = {k: v for k, v in message.items() if k != "quickReply"}  # the officer's, not the group's
        if message.get("type") == "text" and not out:
            message["text"] = say("group_officer_said", name=name, text=message["text"])[:5000]
        out.append(message)
    if had_card and complaint is not None:
        links = Links(ctx.signing_key, ctx.public_base_url)
        out.append(complaint_card(ctx.session, complaint, group.group_id, links))
    return out[:5]


def _district_name(ctx: HandlerContext, group: DistrictGroup) -> str:
    district = ctx.session.get(District, group.district_code)
    return district.name_th if district is not None else group.district_code


def _say(key: str, **values: object) -> Response:
    return Response(reply=[replies.text(say(key, **values))])
