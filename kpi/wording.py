"""The KPI's words: the scorer and the reports say every text through the `KPI` catalogues of `texts`
("kpi.<key>", one per language; Thai where a language has none). Here: saying one, and the days and
months that fill them, as the reader of each language reads them."""

from __future__ import annotations

from datetime import date
from typing import Any

from models.thai_dates import thai_date, thai_month_short
from texts import LANGUAGES, say

# The language of what has always been written for the operator: the scorer's notes, the frame of the
# plain-text explanation and table, and the refusals of the audit and the monthly summaries.
OPERATOR = "en"


def kpi_text(key: str, lang: str = "th", /, **values: object) -> str:
    """The KPI text `key` in `lang`, filled with `values`."""
    return say(f"kpi.{key}", lang, **values)


def said_in(lang: str, method: str = "text") -> property:
    """A property that says its object in `lang` by the object's `method(lang)`: `text_th = said_in("th")`."""
    return property(lambda self: getattr(self, method)(lang))


def _thai(lang: str) -> bool:
    return lang == "th" or lang not in LANGUAGES  # a language without catalogues reads the Thai texts


def day_text(day: date | None, lang: str) -> str:
    """A day in a KPI text: `8 ธ.ค. 2569` for a Thai reader (blank for none), `2026-12-08` for others."""
    if _thai(lang):
        return thai_date(day) if day else ""
    return str(day)


def month_text(month: date, lang: str) -> str:
    """A month in a KPI text: `ต.ค. 2569` for a Thai reader, `2026-10` for others."""
    return thai_month_short(month) if _thai(lang) else f"{month:%Y-%m}"


class Refusal(ValueError):
    """An action refused, said for the operator by the KPI text `key` filled with `values`."""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(kpi_text(key, OPERATOR, **values))
        self.key, self.values = key, values
