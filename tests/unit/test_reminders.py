"""The reminder texts in Thai and English (the sweep over the database is in tests/integration)."""

from __future__ import annotations

import string

from texts import SECTIONS, say

TH, EN = SECTIONS["reminder"]["th"], SECTIONS["reminder"]["en"]

# ---- the texts ---------------------------------------------------------------------------------------------


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_reminder_texts_in_both_languages_and_the_thai_voice():
    assert TH.keys() == EN.keys()
    for key in TH:
        assert _placeholders(TH[key]) == _placeholders(EN[key]), key
        if key not in {"item", "no_category"}:
            assert "ค่ะ" in TH[key] and "ครับ" not in TH[key], key
    assert say("reminder.and_more", "en", count=3) == "and 3 more."
    assert say("reminder.and_more", "ja", count=3) == "และอีก 3 เรื่องค่ะ"
