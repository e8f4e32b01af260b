"""Which handler answers which LINE event.

Follow and unfollow are answered here. A message or postback from a linked officer goes through
the officer's dialog table (`handlers.officer_dialog`), from anyone else through the citizen's
(`handlers.citizen_dialog`); a link code sent by someone not yet linked links them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    GroupSource,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from handlers import replies
from handlers.citizen_dialog import KIND as CITIZEN_DIALOG_KIND
from handlers.citizen_dialog import handle_citizen
from handlers.citizen_steps import privacy_notice
from handlers.citizens import citizen_for, writer
from handlers.context import HandlerContext, Response
from handlers.groups import handle_group
from handlers.officer_dialog import handle_officer
from models import District
from models.district_groups import looks_like_group_code
from models.officer_links import LinkResult, link_account, looks_like_link_code, officer_by_line_user
from models.rich_menus import OFFICER, want_menu
from texts import say

log = logging.getLogger(__name__)


def user_id_of(event: Event) -> str | None:
    """The sender of a one-to-one chat's event (None for a group or room)."""
    source = getattr(event, "source", None)
    return source.user_id if isinstance(source, UserSource) else None


def handle(event: Event, ctx: HandlerContext) -> Response:
    source = getattr(event, "source", None)
    if isinstance(source, GroupSource):  # a district's LINE group (rooms are not served)
        return handle_group(event, source.group_id, source.user_id, ctx)
    user_id = user_id_of(event)
    if user_id is None:
        return Response()
    for event_type, handler in HANDLERS:
        if isinstance(event, event_type):
            return handler(event, user_id, ctx)
    return Response()  # unsend, beacon, ...: nothing to do


def on_follow(event: Event, user_id: str, ctx: HandlerContext) -> Response:
    citizen = citizen_for(ctx.session, user_id, ctx.at, ctx.profile)
    citizen.following = True
    officer = officer_by_line_user(ctx.session, user_id)
    if officer is not None and officer.active:  # back after a block: the officer menu (citizens: the default)
        want_menu(ctx.session, user_id, OFFICER, ctx.at)
    lang = citizen.language
    name = say("welcome_name", lang, name=citizen.display_name) if citizen.display_name else ""
    # The short privacy notice (PDPA) comes with the welcome; the ways to start go under the last message.
    notice = replies.with_quick_replies(privacy_notice(lang, ctx.public_base_url), welcome_items(lang))
    return Response(reply=[replies.text(say("welcome", lang, name=name)), notice])


def welcome_items(lang: str) -> list[dict[str, object]]:
    """Ways to start: a complaint by words, photo or place, or a look at earlier ones."""
    return [
        replies.quick_message(say("qr_report", lang)),
        replies.quick_message(say("qr_track", lang)),
        replies.quick_camera(say("qr_camera", lang)),
        replies.quick_location(say("qr_send_location", lang)),
    ]


def on_unfollow(event: Event, user_id: str, ctx: HandlerContext) -> Response:
    citizen = citizen_for(ctx.session, user_id, ctx.at)
    citizen.following = False
    citizen.updated_at = ctx.at
    return Response()  # a blocked account cannot be messaged


def on_user_event(event: Event, user_id: str, ctx: HandlerContext) -> Response:
    message = event.message if isinstance(event, MessageEvent) else None
    if isinstance(message, TextMessageContent) and looks_like_group_code(message.text):
        return Response(reply=[replies.text(say("group_code_in_private"))])  # it is for a group
    known = writer(ctx.session, user_id, CITIZEN_DIALOG_KIND)
    officer = known.officer
    if officer is not None:
        if not officer.active:
            return Response(reply=[replies.text(say("officer_inactive"))])
        return handle_officer(event, officer, ctx)
    if isinstance(message, TextMessageContent) and looks_like_link_code(message.text):
        return _link(message.text, user_id, ctx)
    return handle_citizen(event, user_id, ctx, known)


def _link(typed: str, user_id: str, ctx: HandlerContext) -> Response:
    result, officer = link_account(ctx.session, typed, user_id, ctx.at)
    if result == LinkResult.PAUSED:
        return Response(reply=[replies.text(say("link_paused"))])
    if result == LinkResult.WRONG or officer is None:
        log.warning("wrong officer link code from %s", user_id)
        return Response(reply=[replies.text(say("link_wrong"))])
    want_menu(ctx.session, user_id, OFFICER, ctx.at)  # the officer rich menu, linked by the worker
    district = ctx.session.get(District, officer.district_code)
    text = say("link_ok", name=officer.name, district=district.name_th if district else officer.district_code)
    return Response(reply=[replies.text(text, [replies.quick_message(say("qr_worklist"))])])


HANDLERS: tuple[tuple[type[Event], Callable[[Event, str, HandlerContext], Response]], ...] = (
    (FollowEvent, on_follow),
    (UnfollowEvent, on_unfollow),
    (MessageEvent, on_user_event),
    (PostbackEvent, on_user_event),
)
