"""Dates as Thai users read them: Thai month names, Buddhist Era year (the one home of BE = CE + 543)."""

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
THAI_MONTHS_LONG: tuple[str, ...] = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
BE_OFFSET = 543
# A year typed from here on is Buddhist Era: 2400 BE is 1857 CE, long before any complaint.
BE_YEARS_FROM = 2400


def buddhist_year(d: date) -> int:
    return d.year + BE_OFFSET


def ce_year(year: int) -> int:
    """A year as a Thai user may type it, BE (2569) or CE (2026), as CE."""
    return year - BE_OFFSET if year >= BE_YEARS_FROM else year


def thai_date(d: date) -> str:
    """`8 ธ.ค. 2569` for 2026-12-08 (no leading zero, as Thai offices write it)."""
    return f"{d.day} {THAI_MONTHS_SHORT[d.month - 1]} {buddhist_year(d)}"


def thai_month_short(d: date) -> str:
    """`ต.ค. 2569` for (any day of) October 2026."""
    return f"{THAI_MONTHS_SHORT[d.month - 1]} {buddhist_year(d)}"


def thai_month_long(d: date) -> str:
    """`พฤศจิกายน 2569` for (any day of) November 2026."""
    return f"{THAI_MONTHS_LONG[d.month - 1]} {buddhist_year(d)}"


def date_in(d: date, lang: str) -> str:
    """A date for a reader of `lang`: Thai readers get the Buddhist Era, others `24 Nov 2026`."""
    return thai_date(d) if lang == "th" else f"{d.day} {d:%b} {d.year}"
