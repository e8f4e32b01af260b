"""The categories a citizen is offered in LINE, likeliest first, read from the categories table.

Admins keep the list (`models.categories`: names, keywords, order, active); this module only ranks
it for a description. The complaint records the category's Thai name whatever language the citizen
reads; the button carries the category's code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.categories import OTHER_CODE, SEED, all_categories


@dataclass(frozen=True)
class Choice:
    code: str
    name_th: str  # what complaints record
    name_en: str
    keywords: tuple[str, ...]  # words in a description that suggest it

    def label(self, lang: str) -> str:
        """What the citizen sees and taps (LINE allows 20 characters)."""
        return (self.name_en if lang == "en" and self.name_en else self.name_th)[:20]


def choices(session: Session) -> list[Choice]:
    """The active categories in their order, "other" last."""
    return [
        Choice(c.code, c.name_th, c.name_en, tuple(c.keywords or ()))
        for c in all_categories(session, active_only=True)
    ]


def seed_choices() -> list[Choice]:
    """The starting list, as the table holds it after the first release (for tests and benchmarks)."""
    return [Choice(s.code, s.name_th, s.name_en, s.keywords) for s in SEED]


# Buttons sent before the list became data carried the category's place in the old fixed list.
LEGACY_INDEX = {str(i): s.code for i, s in enumerate(SEED)}


def guess_categories(description: str, offered: list[Choice], limit: int = 13) -> list[Choice]:
    """Every category, the likeliest for this description first (LINE shows at most 13 quick replies).

    A category scores by the length of its keywords found in the text, so the more specific word wins
    ("ไฟถนน" is about lighting, though it contains "ถนน"); ties keep the table's order, and "other" is
    always offered, last.
    """
    text = description.lower()
    others = [c for c in offered if c.code == OTHER_CODE]
    rest = [c for c in offered if c.code != OTHER_CODE]

    def score(category: Choice) -> int:
        return sum(len(k) for k in category.keywords if k in text)

    ranked = sorted(rest, key=lambda c: -score(c))  # sorted() is stable: ties keep the table's order
    return ranked[: limit - len(others)] + others


def by_typed_name(offered: list[Choice], typed: str) -> Choice | None:
    """The category whose Thai or English name was typed (spaces and case ignored)."""

    def plain(name: str) -> str:
        return "".join(name.split()).lower()

    wanted = plain(typed)
    return next((c for c in offered if wanted in (plain(c.name_th), plain(c.name_en))), None)
