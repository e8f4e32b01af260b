"""Short HMAC signatures: postback data bound to the LINE user it was sent to, and photo links.

LINE sends postback data back as the client gives it, so a modified client can send anything;
the signature is how the bot knows the data is what it sent, to this user.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

SIGNATURE_CHARS = 16
SEPARATOR = ":"
VERSION = "p1"


def signature(key: bytes, text: str, chars: int = SIGNATURE_CHARS) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:chars]


def valid(key: bytes, text: str, given: str, chars: int = SIGNATURE_CHARS) -> bool:
    # compare_digest takes ASCII strings only; a forged signature in Thai is simply wrong.
    return given.isascii() and hmac.compare_digest(signature(key, text, chars), given)


@dataclass(frozen=True)
class Postback:
    action: str
    draft: int  # the draft the button was made for
    revision: int  # the draft's content revision when the button was made
    arg: str = ""


class PostbackRefused(ValueError):
    """Data the bot did not make for this user: tampered with, forwarded, or garbage."""


def encode_postback(key: bytes, user_id: str, postback: Postback) -> str:
    body = SEPARATOR.join(
        [VERSION, postback.action, str(postback.draft), str(postback.revision), postback.arg]
    )
    return f"{body}{SEPARATOR}{signature(key, user_id + SEPARATOR + body)}"


def decode_postback(key: bytes, user_id: str, data: str) -> Postback:
    body, _, sig = data.rpartition(SEPARATOR)
    if not body or not valid(key, user_id + SEPARATOR + body, sig):
        raise PostbackRefused("bad signature")
    parts = body.split(SEPARATOR)
    if len(parts) != 5 or parts[0] != VERSION or not parts[2].isdigit() or not parts[3].isdigit():
        raise PostbackRefused("malformed")
    return Postback(action=parts[1], draft=int(parts[2]), revision=int(parts[3]), arg=parts[4])


PHOTO_TOKEN_CHARS = 24
# Two kinds of photo link, each with its own token: a card's (in LINE messages to the district's officers
# and the complainant, who may always see it) and a public one (Open311, public pages), which stops
# working when staff hide the photo or the reporter asked that the complaint not be public.
CARD, PUBLIC = "photo", "public-photo"


def photo_token(key: bytes, photo_id: int, kind: str = CARD) -> str:
    return signature(key, f"{kind}{SEPARATOR}{photo_id}", PHOTO_TOKEN_CHARS)


def valid_photo_token(key: bytes, photo_id: int, token: str, kind: str = CARD) -> bool:
    return valid(key, f"{kind}{SEPARATOR}{photo_id}", token, PHOTO_TOKEN_CHARS)
