"""The bot's texts: every key in every language, and the Thai voice kept."""

from __future__ import annotations

import string

from handlers.texts import CATALOGUES, language_of, say


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_text_with_the_same_placeholders():
    th = CATALOGUES["th"]
    for lang, catalogue in CATALOGUES.items():
        assert catalogue.keys() == th.keys(), lang
        for key, template in catalogue.items():
            assert placeholders(template) == placeholders(th[key]), (lang, key)


def test_thai_sentences_are_polite_with_kha():
    for key, template in CATALOGUES["th"].items():
        if key.startswith("qr_") or key == "welcome_name":
            continue  # button labels
        assert "ค่ะ" in template, key
        assert "ครับ" not in template, key


def test_language_follows_the_line_profile():
    assert language_of("en-US") == "en"
    assert language_of("th") == "th"
    assert language_of(None) == "th"
    assert language_of("ja") == "th"
    assert say("photo_received", "en", count=2) == "Photo received (2 so far)."
