"""The first behaviour of the bot: welcome on follow, answer text, photos and locations.

Each function takes one parsed LINE event and the context, changes the database through
the session it is given, and returns what to send. The citizen's full complaint dialog
replaces `on_text`/`on_image`/`on_location` when intake lands.
"""

from __future__ import annotations

from collections.abc import Callable

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from handlers import replies
from handlers.citizens import MAX_PHOTO_BYTES, citizen_for, image_type, photos_without_complaint, store_photo
from handlers.context import Content, HandlerContext, Response
from handlers.texts import say
from models import District

EXCERPT_CHARS = 60


def user_id_of(event: Event) -> str | None:
    """Only one-to-one chats are served; group and room events are ignored."""
    source = getattr(event, "source", None)
    return source.user_id if isinstance(source, UserSource) else None


def handle(event: Event, ctx: HandlerContext) -> Response:
    user_id = user_id_of(event)
    if user_id is None:
        return Response()
    for event_type, handler in HANDLERS:
        if isinstance(event, event_type):
            return handler(event, user_id, ctx)
    return Response()  # join, leave, unsend, beacon, ...: nothing to do


def on_follow(event: Event, user_id: str, ctx: HandlerContext) -> Response:
    citizen = citizen_for(ctx.session, user_id, ctx.at, ctx.profile)
    citizen.following = True
    lang = citizen.language
    name = say("welcome_name", lang, name=citizen.display_name) if citizen.display_name else ""
    return Response(reply=[replies.text(say("welcome", lang, name=name), _start_items(lang))])


def on_unfollow(event: Event, user_id: str, ctx: HandlerContext) -> Response:
    citizen = citizen_for(ctx.session, user_id, ctx.at)
    citizen.following = False
    citizen.updated_at = ctx.at
    return Response()  # a blocked account cannot be messaged


def on_message(event: Event, user_id: str, ctx: HandlerContext) -> Response:
    assert isinstance(event, MessageEvent)
    citizen = citizen_for(ctx.session, user_id, ctx.at)
    lang = citizen.language
    message = event.message
    if isinstance(message, TextMessageContent):
        excerpt = message.text.strip()
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS] + "…"
        return Response(reply=[replies.text(say("text_received", lang, excerpt=excerpt), _start_items(lang))])
    if isinstance(message, ImageMessageContent):
        if ctx.content is None:
            return Response(reply=[replies.text(say("photo_unavailable", lang))])
        if len(ctx.content.data) > MAX_PHOTO_BYTES:
            return Response(reply=[replies.text(say("photo_too_large", lang))])
        kind = image_type(ctx.content.data)
        if kind is None:
            return Response(reply=[replies.text(say("photo_not_image", lang))])
        store_photo(ctx, citizen, message.id, Content(ctx.content.data, kind))
        count = photos_without_complaint(ctx.session, citizen)
        return Response(reply=[replies.text(say("photo_received", lang, count=count))])
    if isinstance(message, LocationMessageContent):
        return Response(reply=[replies.text(_where(message.latitude, message.longitude, lang, ctx))])
    return Response(reply=[replies.text(say("unsupported_message", lang))])


def on_postback(event: Event, user_id: str, ctx: HandlerContext) -> Response:
    citizen = citizen_for(ctx.session, user_id, ctx.at)
    return Response(reply=[replies.text(say("stale_button", citizen.language))])


def _where(latitude: float, longitude: float, lang: str, ctx: HandlerContext) -> str:
    if not ctx.locator.enabled:
        return say("location_no_routing", lang)
    code = ctx.locator.locate(latitude, longitude)
    district = ctx.session.get(District, code) if code else None
    if district is None:
        return say("location_outside", lang)
    return say("location_in_district", lang, district=district.name_th if lang == "th" else district.name_en)


def _start_items(lang: str) -> list[dict[str, object]]:
    return [
        replies.quick_camera(say("qr_camera", lang)),
        replies.quick_camera_roll(say("qr_camera_roll", lang)),
        replies.quick_location(say("qr_send_location", lang)),
    ]


HANDLERS: tuple[tuple[type[Event], Callable[[Event, str, HandlerContext], Response]], ...] = (
    (FollowEvent, on_follow),
    (UnfollowEvent, on_unfollow),
    (MessageEvent, on_message),
    (PostbackEvent, on_postback),
)
