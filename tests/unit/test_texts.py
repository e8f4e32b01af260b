"""The bot's texts: every key in every language, and the Thai voice kept."""

from __future__ import annotations

import string

from texts import CATALOGUES, language_of, say


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_text_with_the_same_placeholders():
    th = CATALOGUES["th"]
    for lang, catalogue in CATALOGUES.items():
        assert catalogue.keys() == th.keys(), lang
        for key, template in catalogue.items():
            assert placeholders(template) == placeholders(th[key]), (lang, key)


FRAGMENT_PREFIXES = (
    "qr_",
    "label_",
    "status_",
    "event_",
    "next_",
    "card_",
    "due_",
    "worklist_",
    "reject_",
    "menu_",  # the rich menus' tile labels
)
FRAGMENTS = {
    "welcome_name",
    "group_officer_said",  # "name: " before the officer's answer, shown in a group
    "duplicate_item",
    "photos_count",
    "no_photos",
    "location_pinned",
    "location_not_pinned",
    "district_office",
    "summary_duplicate_note",
    "track_item",
    "history_item",
    "time_suffix",
    "new_complaint_title",
    "to_centre",
    "detail_header",
}


def test_thai_sentences_are_polite_with_kha():
    for key, template in CATALOGUES["th"].items():
        if key.startswith(FRAGMENT_PREFIXES) or key in FRAGMENTS:
            continue  # button labels and parts of a sentence
        assert "ค่ะ" in template or template.rstrip().endswith("คะ"), key  # คะ for questions
        assert "ครับ" not in template, key


def test_language_follows_the_line_profile():
    assert language_of("en-US") == "en"
    assert language_of("th") == "th"
    assert language_of(None) == "th"
    assert language_of("ja") == "th"
    assert say("photo_added", "en", count=2) == "Photo received (2/4)."
