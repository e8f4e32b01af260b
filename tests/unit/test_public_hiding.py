"""What is hidden from the public is the event log replayed (models/public_hiding.py): no database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.complaints import ComplaintEvent
from models.public_hiding import has_public_text, public_text, replayed

AT = datetime(2027, 1, 4, 3, 0, tzinfo=UTC)
_ids = iter(range(1, 1000))


def event(kind: str, text: str | None = None, **data: Any) -> ComplaintEvent:
    return ComplaintEvent(
        id=next(_ids), complaint_id=1, kind=kind, at=AT, actor_kind="officer", text=text, data=data
    )


def test_the_last_word_on_each_item_counts_and_items_are_apart():
    progress = event("progress", "ช่างไปตรวจแล้ว")
    log = [
        event("filed", "ไฟดับหน้าบ้าน"),
        progress,
        event("hidden", "มีชื่อผู้แจ้ง", what="text", item=progress.id),
        event("hidden", "เห็นบ้าน", what="photo", item=7),
        event("unhidden", None, what="photo", item=7),
        event("hidden", "เห็นป้ายรถ", what="photo", item=8),
        event("unhidden", None, what="photo", item=99),  # showing what was never hidden changes nothing
        event("hidden", "ข้อมูลเสีย", what="video", item=3),  # not a kind of item: ignored
        event("hidden", "ข้อมูลเสีย", what="photo", item="8"),
    ]
    hidden = replayed(log)
    assert hidden.text(progress.id) and not hidden.photo(7) and hidden.photo(8)
    assert hidden.hiding("photo", 8) is log[5]
    assert set(hidden.by) == {("text", progress.id), ("photo", 8)}
    assert public_text(progress, hidden) is None
    assert public_text(progress, replayed(log[:2])) == "ช่างไปตรวจแล้ว"


def test_only_the_districts_words_are_public_texts():
    assert has_public_text(event("progress", "เปลี่ยนหลอดแล้ว"))
    assert has_public_text(event("rejected", "ไม่ใช่ความรับผิดชอบของเขต"))
    assert not has_public_text(event("progress", " \n "))
    assert not has_public_text(event("filed", "ไฟดับ โทร 0812345678"))  # the citizen's own words: never
    assert not has_public_text(event("reopened", "ยังไม่ได้แก้"))
    assert not has_public_text(event("hidden", "เหตุผล", what="text", item=1))
