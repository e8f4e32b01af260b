"""Every text the bot says, one module per language. `say(key, lang, **values)` picks one."""

from __future__ import annotations

from handlers.texts import en, th

CATALOGUES: dict[str, dict[str, str]] = {"th": th.TEXTS, "en": en.TEXTS}


def say(key: str, lang: str = "th", **values: object) -> str:
    catalogue = CATALOGUES.get(lang, th.TEXTS)
    return catalogue.get(key, th.TEXTS[key]).format(**values)


def language_of(profile_language: str | None) -> str:
    """LINE gives a BCP 47 tag; anyone not on English gets Thai, the bot's first language."""
    return "en" if (profile_language or "").lower().startswith("en") else "th"
