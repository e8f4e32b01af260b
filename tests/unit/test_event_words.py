"""Every kind of event the system writes has its own words in the citizen's history, in every language;
the staff-only kinds (hiding from the public) have theirs on the staff web.

The kinds come from the code: `EVENT_KINDS` and `STAFF_EVENT_KINDS` (models/complaint_lifecycle.py),
held to what the operations really write (every `kind=` and `_event(…, "<kind>", …)` in the models' source).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from models import complaint_lifecycle, complaint_operations
from models.complaint_lifecycle import EVENT_KINDS, EVENT_OF_ACTION, STAFF_EVENT_KINDS
from texts import CATALOGUES, SECTIONS

WRITERS = (complaint_operations, complaint_lifecycle)


def kinds_written(source: str) -> set[str]:
    """The event kinds a module's source writes: `kind="…"` arguments and `_event`'s third argument."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                found.add(keyword.value.value)
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name == "_event" and len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
            found.add(node.args[2].value)
    return found


def test_event_kinds_are_every_kind_the_operations_write():
    written = set().union(*(kinds_written(Path(m.__file__).read_text()) for m in WRITERS))  # type: ignore[arg-type]
    assert written == set(EVENT_KINDS) | set(STAFF_EVENT_KINDS)
    assert set(EVENT_OF_ACTION.values()) <= set(EVENT_KINDS)
    assert len(EVENT_KINDS) == len(set(EVENT_KINDS))
    assert not set(EVENT_KINDS) & set(STAFF_EVENT_KINDS)


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_event_kind_has_its_own_words(lang):
    catalogue = CATALOGUES[lang]
    words = {kind: catalogue.get(f"event_{kind}") for kind in EVENT_KINDS}
    assert [kind for kind, text in words.items() if not text] == [], lang
    assert catalogue["event_other"] not in words.values(), lang  # none is told as "other"
    assert len(set(words.values())) == len(words), (lang, words)  # and no two alike


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_kind_has_its_words_on_the_staff_web(lang):
    admin = SECTIONS["admin"][lang]
    words = {kind: admin.get(f"event_{kind}") for kind in (*EVENT_KINDS, *STAFF_EVENT_KINDS)}
    assert [kind for kind, text in words.items() if not text] == [], lang
