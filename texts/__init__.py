"""Every text of Rongtook, one catalogue (module) per language; `say(key, lang, **values)` picks one.

A catalogue has sections: the bot's words on LINE (`TEXTS`, keys without a dot), the reminder pushes
(`REMINDERS`, "reminder.<key>"), the staff web (`ADMIN`, "admin.<key>") and the KPI's reasons and
report words (`KPI`, "kpi.<key>") and the public pages (`PUBLIC`, "public.<key>"). A text missing in a language falls back to Thai.
"""

from __future__ import annotations

import re

from texts import en, th

LANGUAGES = {"th": th, "en": en}
CATALOGUES: dict[str, dict[str, str]] = {"th": th.TEXTS, "en": en.TEXTS}  # the bot's words on LINE
SECTIONS: dict[str, dict[str, dict[str, str]]] = {
    section: {code: getattr(module, attribute) for code, module in LANGUAGES.items()}
    for section, attribute in (
        ("", "TEXTS"),
        ("reminder", "REMINDERS"),
        ("admin", "ADMIN"),
        ("kpi", "KPI"),
        ("public", "PUBLIC"),
    )
}
KEYWORD_CATALOGUES: dict[str, dict[str, tuple[str, ...]]] = {"th": th.KEYWORDS, "en": en.KEYWORDS}


def template(key: str, lang: str = "th") -> str:
    """The text `key` of `lang` unfilled (Thai when `lang` has no such text); KeyError for an unknown key."""
    section, _, name = key.rpartition(".") if key.split(".", 1)[0] in SECTIONS else ("", "", key)
    catalogues = SECTIONS[section]
    chosen = catalogues.get(lang, catalogues["th"])
    return chosen[name] if name in chosen else catalogues["th"][name]


def say(key: str, lang: str = "th", **values: object) -> str:
    """The text `key` in `lang`, filled with `values`."""
    return template(key, lang).format(**values)


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
