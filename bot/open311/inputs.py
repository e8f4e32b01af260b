"""Reading an Open311 request's parameters: every one checked, every refusal an `Open311Error` (400).

The spec's "Optional Arguments" rule holds throughout: a parameter sent empty is the same as one not
sent. A parameter sent twice with different values is refused rather than guessed at, except the
ones the spec lets a client repeat (status, service_code, service_request_id), whose values add up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from bot.open311.render import Open311Error
from models.clock import BANGKOK

MAX_DESCRIPTION = 4000  # the spec's limit for a description
MAX_FIELD = 500  # any other text parameter
MAX_NAME = 200  # first and last name together (complaints.reporter_name)
MAX_PHONE_DIGITS = 20  # complaints.reporter_phone
MAX_EMAIL = 254
MAX_IDS = 200  # service_request_id values in one GET
MAX_LIST = 10_000  # a comma-separated parameter, whole
MAX_WINDOW = timedelta(days=90)  # the spec: a date range "may not span more than 90 days"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
MAX_PAGE = 100_000
# Control characters other than tab and line breaks (NUL above all: PostgreSQL refuses it in text),
# and lone surrogates, which UTF-8 cannot carry.
BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")
YEARS = (1900, 2200)
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")


def one(values: MultiDict[str, str], name: str, limit: int = MAX_FIELD) -> str | None:
    """A single-valued text parameter, stripped; None when absent or empty."""
    given = {v.strip() for v in values.getlist(name) if v.strip()}
    if not given:
        return None
    if len(given) > 1:
        raise Open311Error(400, f"{name} was given more than once with different values")
    value = given.pop()
    checked(name, value, limit)
    return value


def many(values: MultiDict[str, str], name: str, limit: int = MAX_FIELD) -> list[str]:
    """A parameter the spec lets a client repeat or comma-separate: every value, in order, once each."""
    found: list[str] = []
    for raw in values.getlist(name):
        checked(name, raw, MAX_LIST)
        for part in raw.split(","):
            part = part.strip()
            if part and part not in found:
                checked(name, part, limit)
                found.append(part)
    return found


def checked(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise Open311Error(400, f"{name} is longer than {limit} characters")
    if BAD_CHARACTERS.search(value):
        raise Open311Error(400, f"{name} contains control characters or invalid Unicode")
    return value


def coordinate(values: MultiDict[str, str], name: str, bound: float) -> float | None:
    raw = one(values, name, 40)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} is not a number (WGS84 decimal degrees)") from None
    if not math.isfinite(number) or abs(number) > bound:
        raise Open311Error(400, f"{name} must be between -{bound:g} and {bound:g}")
    return number


def phone_digits(raw: str | None) -> str | None:
    """The phone as digits only (+66 81-234-5678 → 66812345678), as the complaints table keeps it."""
    if raw is None:
        return None
    digits = "".join(ch for ch in raw if ch.isascii() and ch.isdigit())
    if not digits or len(digits) > MAX_PHONE_DIGITS:
        raise Open311Error(400, f"phone must have 1 to {MAX_PHONE_DIGITS} digits")
    return digits


def email_address(raw: str | None) -> str | None:
    if raw is None:
        return None
    if len(raw) > MAX_EMAIL or not EMAIL.match(raw):
        raise Open311Error(400, "email is not an e-mail address")
    return raw


def flag(values: MultiDict[str, str], name: str) -> bool:
    raw = one(values, name, 10)
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise Open311Error(400, f"{name} must be true or false")


def whole(values: MultiDict[str, str], name: str, default: int, high: int) -> int:
    raw = one(values, name, 12)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= high:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {high}")
    return int(raw)


def moment(values: MultiDict[str, str], name: str, end: bool) -> datetime | None:
    """A w3 date-time (2010-01-01T00:00:00Z) or a day (2010-01-01: from its start, or to its end).

    A time without an offset is read as Bangkok's; the spec asks clients to send one.
    """
    raw = one(values, name, 40)
    if raw is None:
        return None
    try:
        if DATE_ONLY.match(raw):
            day = date.fromisoformat(raw)
            if not YEARS[0] <= day.year <= YEARS[1]:
                raise ValueError(raw)
            start = datetime.combine(day, time(0), BANGKOK)
            return start + timedelta(days=1) if end else start
        if not DATE_TIME.match(raw):
            raise ValueError(raw)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if not YEARS[0] <= parsed.year <= YEARS[1]:  # far years would overflow the 90-day arithmetic
            raise ValueError(raw)
    except (ValueError, OverflowError):
        raise Open311Error(
            400, f"{name} is not a w3 date-time such as 2026-11-23T09:00:00+07:00 or 2026-11-23"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=BANGKOK)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive


def window(values: MultiDict[str, str], now: datetime) -> Window:
    """The requested_datetime range of a GET: the spec's default is the most recent 90 days."""
    start, end = moment(values, "start_date", end=False), moment(values, "end_date", end=True)
    if start is None and end is None:
        return Window(now - MAX_WINDOW, now + timedelta(seconds=1))
    if start is None:
        assert end is not None
        return Window(end - MAX_WINDOW, end)
    if end is None:
        return Window(start, start + MAX_WINDOW)
    if end <= start:
        raise Open311Error(400, "end_date must be after start_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date to end_date may not span more than 90 days")
    return Window(start, end)


def attributes(values: MultiDict[str, str]) -> dict[str, list[str]]:
    """`attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2` (a multivaluelist)."""
    found: dict[str, list[str]] = {}
    for key in values:
        match = ATTRIBUTE.match(key)
        if match is None:
            continue
        code = checked("attribute code", match.group(1), 100)
        for raw in values.getlist(key):
            value = checked(f"attribute[{code}]", raw.strip(), MAX_FIELD)
            if value:
                found.setdefault(code, []).append(value)
    if len(found) > 50:
        raise Open311Error(400, "too many attributes")
    return found


ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")


def locale(values: MultiDict[str, str], accept_language: Any) -> str:
    """The language of names and notes: `locale=en|th` wins; else the Accept-Language header; else Thai."""
    raw = one(values, "locale", 20)
    if raw is not None:
        lang = raw.lower().replace("_", "-").split("-")[0]
        if lang not in ("th", "en"):
            raise Open311Error(400, "locale must be th or en")
        return lang
    best = accept_language.best_match(["th", "en"]) if accept_language else None
    return best or "th"
