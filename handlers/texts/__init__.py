"""Every text the bot says, one module per language. `say(key, lang, **values)` picks one."""

from __future__ import annotations

import re

from handlers.texts import en, th

CATALOGUES: dict[str, dict[str, str]] = {"th": th.TEXTS, "en": en.TEXTS}
KEYWORD_CATALOGUES: dict[str, dict[str, tuple[str, ...]]] = {"th": th.KEYWORDS, "en": en.KEYWORDS}


def say(key: str, lang: str = "th", **values: object) -> str:
    catalogue = CATALOGUES.get(lang, th.TEXTS)
    return catalogue.get(key, th.TEXTS[key]).format(**values)


def language_of(profile_language: str | None) -> str:
    """LINE gives a BCP 47 tag; anyone not on English gets Thai, the bot's first language."""
    return "en" if (profile_language or "").lower().startswith("en") else "th"


def _squash(text: str) -> str:
    return re.sub(r"[\s\"'“”.!?]+", "", text).lower()


_KEYWORD_OF: dict[str, str] = {
    _squash(word): meaning
    for catalogue in KEYWORD_CATALOGUES.values()
    for meaning, words in catalogue.items()
    for word in words
}


def keyword(text: str) -> str | None:
    """The command a typed text means in any language ("ยกเลิก", "Cancel!"), or None."""
    return _KEYWORD_OF.get(_squash(text))
