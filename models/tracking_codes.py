"""Tracking codes: short, safe to read aloud, and revealing nothing about volume.

Two digits of the Buddhist-Era year, a dash, six random characters from an alphabet without
the look-alikes 0/O and 1/I, e.g. `69-K7M2QX`. 32 characters ** 6 = about a billion codes a year,
so a collision is rare; the caller stores the code under a unique constraint and draws again
on the rare clash.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from models.thai_dates import buddhist_year

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_PATTERN = re.compile(rf"^\d{{2}}-[{ALPHABET}]{{6}}$")


def new_tracking_code(on: date, choice: type[secrets.SystemRandom] | None = None) -> str:
    rng = (choice or secrets.SystemRandom)()
    year = buddhist_year(on) % 100
    return f"{year:02d}-" + "".join(rng.choice(ALPHABET) for _ in range(6))


def normalise_code(text: str) -> str | None:
    """What a citizen typed, as a code if it can be one: case, spaces and a missing dash forgiven.

    Typed look-alikes are mapped to the letters the alphabet keeps (O→0 is not in it, so O stays
    out; a typed 0 or O, 1 or I can never be part of a real code).
    """
    cleaned = re.sub(r"[\s\-–—]", "", text.strip().upper())
    if len(cleaned) != 8 or not cleaned[:2].isdigit():
        return None
    code = f"{cleaned[:2]}-{cleaned[2:]}"
    return code if CODE_PATTERN.match(code) else None
