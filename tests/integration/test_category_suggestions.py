"""The category quick reply, ordered by the trained model when its file is there and by the category
keywords when it is not (issue 18 point 5), through the webhook and the worker (every backend)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from models.category_model import LabelledText, save, train
from tests.citizen_chat import JATUJAK, Chat, complaints
from tests.conftest import make_settings

# "Cars parked across the footpath": the keywords see "ทางเท้า" (footpath) first; a model that learned
# parked cars as obstructions (กีดขวาง) puts that first.
DESCRIPTION = "รถจอดขวางทางเท้า เดินไม่ได้"
LEARNED = {
    "กีดขวาง": ["รถจอดขวางทาง", "รถยนต์จอดขวางประตู", "มีรถจอดขวางตลอดวัน", "รถจอดขวางหน้าบ้าน"],
    "ถนน": ["ถนนเป็นหลุม", "ถนนทรุดตัว", "ผิวถนนแตก", "หลุมบนถนนใหญ่"],
    "ความสะอาด": ["ขยะล้นถัง", "กองขยะเหม็น", "ทิ้งขยะริมคลอง", "ขยะไม่มีคนเก็บ"],
}


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    return tmp_path / "models" / "category_model.pkl"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, model_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, CATEGORY_MODEL_PATH=str(model_path))


def train_small_model(path: Path) -> None:
    save(train([LabelledText(t, (kind,)) for kind, texts in LEARNED.items() for t in texts]), path)


def ask_for_the_category(chat: Chat) -> list[str]:
    """File up to the category question; the labels of its quick reply, in order."""
    chat.text("แจ้งเรื่อง")
    chat.text(DESCRIPTION)
    chat.tap("ไม่มีรูป")
    chat.location(*JATUJAK)
    assert "เป็นเรื่องประเภทใด" in chat.said()
    return [item["action"]["label"] for item in chat.last[-1]["quickReply"]["items"]]


def test_with_a_model_file_its_suggestions_come_first(chat: Chat, services, model_path: Path) -> None:
    train_small_model(model_path)
    labels = ask_for_the_category(chat)
    assert labels[0] == "กีดขวาง"  # the model's first choice, though the keywords say ทางเท้า
    assert set(labels[:3]) == set(LEARNED)  # what the model knows comes first
    assert labels[3] == "ทางเท้า"  # then the others in the keyword order
    assert labels[-2:] == ["อื่น ๆ", "ยกเลิก"]  # "other" last, then cancel
    assert len(labels) == 13
    chat.tap("กีดขวาง")
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    assert complaint.category == "กีดขวาง" and complaint.description == DESCRIPTION


def test_without_a_model_file_the_keywords_order_it(chat: Chat, services, model_path: Path) -> None:
    assert not model_path.exists()
    labels = ask_for_the_category(chat)
    assert labels[0] == "ทางเท้า"
    assert labels[1] == "ถนน" and "กีดขวาง" in labels[2:-2]
    assert labels[-2:] == ["อื่น ๆ", "ยกเลิก"]


def test_a_model_trained_while_the_bot_runs_is_used_at_the_next_question(chat: Chat, model_path) -> None:
    assert ask_for_the_category(chat)[0] == "ทางเท้า"
    chat.tap("ยกเลิก")
    train_small_model(model_path)  # `rongtook category train` while the worker runs: no restart
    assert ask_for_the_category(chat)[0] == "กีดขวาง"


def test_a_broken_model_file_falls_back_to_the_keywords(chat: Chat, services, model_path, caplog) -> None:
    model_path.parent.mkdir(parents=True)
    model_path.write_bytes(b"half a file")
    labels = ask_for_the_category(chat)
    assert labels[0] == "ทางเท้า" and labels[-2:] == ["อื่น ๆ", "ยกเลิก"]
    assert "category model" in caplog.text and "keyword guess used" in caplog.text
    chat.tap("ทางเท้า")
    chat.tap("ยืนยันส่งเรื่อง")
    (complaint,) = complaints(services)
    assert complaint.category == "ทางเท้า"
