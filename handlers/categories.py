"""The categories a citizen is offered in LINE, likeliest first, read from the categories table.

Admins keep the list (`models.categories`: names, keywords, order, active); this module only ranks
it for a description. The complaint records the category's Thai name whatever language the citizen
reads; the button carries the category's code.

Two rankings: the keywords of each category (always there), and, when a trained model file is configured
(CATEGORY_MODEL_PATH, `rongtook category train`), the model's suggestions from the text
(models/category_model.py), which then come first. The model is read once per process and read again when
its file changes; with no file, or one that cannot be read, the keyword ranking is used alone.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from models.categories import OTHER_CODE, SEED, all_categories
from models.category_model import CategoryModel, load

log = logging.getLogger(__name__)


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


def guess_categories(
    description: str, offered: list[Choice], limit: int = 13, model: CategoryModel | None = None
) -> list[Choice]:
    """Every category, the likeliest for this description first (LINE shows at most 13 quick replies).

    With a `model`, the categories it knows (matched by Thai name) come first in the order of its scores,
    then those it does not know in the keyword order. Without one, a category scores by the length of
    its keywords found in the text, so the more specific word wins ("ไฟถนน" is about lighting, though it
    contains "ถนน"); ties keep the table's order. "Other" is always offered, last.
    """
    text = description.lower()
    others = [c for c in offered if c.code == OTHER_CODE]
    rest = [c for c in offered if c.code != OTHER_CODE]

    def score(category: Choice) -> int:
        return sum(len(k) for k in category.keywords if k in text)

    ranked = sorted(rest, key=lambda c: -score(c))  # sorted() is stable: ties keep the table's order
    if model is not None:
        by_name = {c.name_th: c for c in rest}
        try:
            suggested = [by_name[name] for name, _ in model.suggest(description, len(by_name), by_name)]
        except Exception:  # a model that fails on some text must not stop the citizen's dialog
            log.exception("category model failed on a description; keyword guess used")
            suggested = []
        ranked = suggested + [c for c in ranked if c not in suggested]
    return ranked[: limit - len(others)] + others


KEPT_MODELS = 4


class _ModelCache:
    """The model of each file, read once per process; read again when the file's mtime or size changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the worker's threads ask at once; one of them reads the file
        self._loaded: dict[Path, tuple[tuple[int, int], CategoryModel | None]] = {}

    def get(self, path: Path) -> CategoryModel | None:
        try:
            stat = os.stat(path)
        except OSError:  # no file (yet): the keyword guess; a file trained later is picked up then
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            seen = self._loaded.get(path)
            if seen is not None and seen[0] == stamp:
                return seen[1]
            model = load(path)  # None (logged) when it cannot be used: not tried again until it changes
            self._loaded.pop(path, None)
            self._loaded[path] = (stamp, model)
            while len(self._loaded) > KEPT_MODELS:  # one path in a deployment; tests use many
                del self._loaded[next(iter(self._loaded))]
            return model


_models = _ModelCache()


def suggestion_model(path: Path | None) -> CategoryModel | None:
    """The category model saved at `path` (CATEGORY_MODEL_PATH), or None for the keyword guess alone."""
    return _models.get(Path(path)) if path is not None else None


def by_typed_name(offered: list[Choice], typed: str) -> Choice | None:
    """The category whose Thai or English name was typed (spaces and case ignored)."""

    def plain(name: str) -> str:
        return "".join(name.split()).lower()

    wanted = plain(typed)
    return next((c for c in offered if wanted in (plain(c.name_th), plain(c.name_en))), None)
