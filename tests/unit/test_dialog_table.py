"""The dialog table itself, its diagram in the docs, signed buttons, and the 15th/30th checkpoints."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from handlers.citizen_dialog import CITIZEN_DIALOG
from handlers.dialog import ANY, SAME, DialogTable
from handlers.officer_dialog import OFFICER_DIALOG
from handlers.signing import Postback, PostbackRefused, decode_postback, encode_postback
from models.deadlines import next_checkpoint

REPO = Path(__file__).resolve().parents[2]
KEY = b"k" * 32


# ---- the table -------------------------------------------------------------------------------


def test_docs_show_the_tables_as_they_are():
    docs = (REPO / "docs" / "dialogs.md").read_text(encoding="utf-8")
    for table in (CITIZEN_DIALOG, OFFICER_DIALOG):
        assert table.mermaid() in docs, (
            f"docs/dialogs.md is stale: paste `rongtook dialogs diagram --kind {table.kind}`"
        )


@pytest.mark.parametrize("table", [CITIZEN_DIALOG, OFFICER_DIALOG], ids=lambda t: t.kind)
def test_every_row_names_known_states_and_every_state_asks_something(table: DialogTable) -> None:
    known = set(table.states)
    for (state, _kind), step in table.steps.items():
        assert state == ANY or state in known
        assert step.goes_to and set(step.goes_to) <= known | {SAME}
    assert set(table.prompts) == known
    diagram = table.mermaid()
    for state in known - {"idle"}:
        assert re.search(rf"--> {state}\b", diagram), f"{state} is never reached"


# ---- signed buttons ------------------------------------------------------------------------------


def test_button_data_comes_back_as_sent_only_to_the_user_it_was_made_for():
    data = encode_postback(KEY, "Ualice", Postback("category", 3, 7, "4"))
    assert len(data) <= 300  # LINE's limit for postback data
    assert decode_postback(KEY, "Ualice", data) == Postback("category", 3, 7, "4")
    with pytest.raises(PostbackRefused):
        decode_postback(KEY, "Ubob", data)  # forwarded or replayed by someone else
    with pytest.raises(PostbackRefused):
        decode_postback(KEY, "Ualice", data.replace(":4:", ":5:"))  # tampered
    with pytest.raises(PostbackRefused):
        decode_postback(b"another-key" * 3, "Ualice", data)
    for garbage in ("", "confirm", "p1:confirm:1:1::", "::::::"):
        with pytest.raises(PostbackRefused):
            decode_postback(KEY, "Ualice", garbage)


# ---- the 15th/30th checkpoints ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "checkpoint"),
    [
        (date(2027, 1, 1), date(2027, 1, 15)),
        (date(2027, 1, 15), date(2027, 1, 15)),
        (date(2027, 1, 16), date(2027, 1, 30)),
        (date(2027, 1, 31), date(2027, 2, 15)),  # a 31-day month's checkpoint is the 30th
        (date(2027, 2, 16), date(2027, 2, 28)),
        (date(2028, 2, 16), date(2028, 2, 29)),  # leap year
        (date(2026, 12, 31), date(2027, 1, 15)),
    ],
)
def test_next_checkpoint(day: date, checkpoint: date) -> None:
    assert next_checkpoint(day) == checkpoint
