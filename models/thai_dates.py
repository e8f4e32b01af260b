"""Dates as Thai users read them: abbreviated Thai month, Buddhist Era year."""

from __future__ import annotations

from datetime import date

THAI_MONTHS_SHORT: tuple[str, ...] = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
BE_OFFSET = 543


def buddhist_year(d: date) -> int:
    return d.year + BE_OFFSET


def thai_date(d: date) -> str:
    """`8 ธ.ค. 2569` for 2026-12-08 (no leading zero, as Thai offices write it)."""
    return f"{d.day} {THAI_MONTHS_SHORT[d.month - 1]} {buddhist_year(d)}"


def date_in(d: date, lang: str) -> str:
    """A date for a reader of `lang`: Thai readers get the Buddhist Era, others `24 Nov 2026`."""
    return thai_date(d) if lang == "th" else f"{d.day} {d:%b} {d.year}"
