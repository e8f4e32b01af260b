"""What a LINE event means to the citizen's dialog: one input kind, checked and named.

All judging of raw input happens here (typed commands in any language, tracking codes, text
too long or without words, impossible coordinates, postbacks not made for this user or for an
older draft), so the dialog table only ever sees clean, named inputs.
"""

from __future__ import annotations

import logging
import math

from linebot.v3.webhooks import (
    Event,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
)

from handlers.dialog import Received
from handlers.signing import Postback, PostbackRefused, decode_postback
from models.dialogs import Dialog
from models.tracking_codes import normalise_code
from texts import keyword

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 5000
# Postback actions the citizen's buttons carry; anything else is refused.
POSTBACK_ACTIONS = frozenset(
    {
        "photos_done",
        "pick_district",
        "district",
        "category",
        "confirm",
        "edit",
        "edit_field",
        "back",
        "privacy",
        "follow",  # "ติดตามเรื่องนี้แทน" on the duplicate hint: follow that complaint instead of filing
    }
)
# Buttons that belong to a filed complaint, not to a draft: they work whatever the draft.
DRAFTLESS_ACTIONS = frozenset({"rate", "not_fixed", "erase", "keep_data", "unfollow"})
TYPED_COMMANDS = frozenset(
    {
        "start",
        "cancel",
        "track",
        "help",
        "thanks",
        "photos_done",
        "confirm",
        "edit",
        "pick_district",
        "worklist",
        "my_data",
        "erase_data",
        "privacy_notice",
    }
)


def classify(event: Event, user_id: str, dialog: Dialog, key: bytes) -> Received:
    if isinstance(event, PostbackEvent):
        return _postback(event.postback.data, user_id, dialog, key)
    return classify_message(event)


def classify_message(event: Event) -> Received:
    """A message event as an input kind: the same for every dialog."""
    if not isinstance(event, MessageEvent):
        return Received("media")
    message = event.message
    if isinstance(message, TextMessageContent):
        return _text(message.text)
    if isinstance(message, ImageMessageContent):
        image_set = message.image_set
        # Old Android clients send no index: then every photo is answered.
        last = image_set is None or image_set.index is None or image_set.index == image_set.total
        return Received("photo", message_id=message.id, last_of_set=last)
    if isinstance(message, LocationMessageContent):
        lat, lon = message.latitude, message.longitude
        if not _plausible(lat, lon):
            return Received("bad_location")
        return Received("location", latitude=lat, longitude=lon, address=message.address or message.title)
    if isinstance(message, StickerMessageContent):
        return Received("sticker")
    return Received("media")  # video, audio, file


def _text(raw: str) -> Received:
    text = raw.strip()
    command = keyword(text)
    if command in TYPED_COMMANDS:
        return Received(command, text=text)
    code = normalise_code(text)
    if code:
        return Received("code", text=code)
    if len(text) > MAX_TEXT_CHARS:
        return Received("too_long")
    if not any(ch.isalnum() for ch in text):  # emoji, punctuation, blank: nothing to read
        return Received("no_words")
    return Received("text", text=text)


def _plausible(lat: float, lon: float) -> bool:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    return not (lat == 0 and lon == 0)  # "null island": a phone without a fix


def decode_or_refuse(data: str, user_id: str, key: bytes) -> Postback | Received:
    """The postback if the bot made it for this user; otherwise a logged `refused` input."""
    try:
        return decode_postback(key, user_id, data)
    except PostbackRefused as exc:
        log.warning("refused postback from %s (%s): %r", user_id, exc, data[:300])
        return Received("refused", note=str(exc))


def _postback(data: str, user_id: str, dialog: Dialog, key: bytes) -> Received:
    postback = decode_or_refuse(data, user_id, key)
    if isinstance(postback, Received):
        return postback
    if postback.action in DRAFTLESS_ACTIONS:
        return Received(postback.action, postback=postback, text=postback.arg)
    if postback.action not in POSTBACK_ACTIONS:
        log.warning("refused postback from %s (unknown action): %r", user_id, data[:300])
        return Received("refused", note="unknown action")
    last_filed = (dialog.data or {}).get("last_filed") or {}
    if postback.draft == last_filed.get("draft") and not dialog.active:
        return Received("already_filed", postback=postback)
    if postback.draft != dialog.draft_no or not dialog.active:  # an earlier, cancelled or expired draft
        return Received("stale", postback=postback)
    # A summary no longer current (its place or category changed since): neither filed nor followed from.
    if postback.action in ("confirm", "follow") and postback.revision != (dialog.data or {}).get("rev", 0):
        return Received("changed", postback=postback)
    return Received(postback.action, postback=postback, text=postback.arg)
