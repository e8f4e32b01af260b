"""The category model (issue 18 point 5): reading a training CSV, the fixed split, training, suggesting,
saving and loading, and how the quick-reply order uses it."""

from __future__ import annotations

import logging
import os
import pickle
import random
from pathlib import Path

import pytest

from handlers.categories import Choice, guess_categories, seed_choices, suggestion_model
from models import category_model as cm
from models.category_model import CategoryDataError, LabelledText

HEADER = "ticket_id,type,comment,district\n"
TEXTS = {
    "ถนน": ["ถนนเป็นหลุมลึก", "ผิวถนนทรุดเป็นบ่อ", "หลุมบนถนนหน้าซอย", "ถนนพังรถตกหลุม", "ยางมะตอยถนนแตก"],
    "แสงสว่าง": ["ไฟฟ้าส่องสว่างดับ", "เสาไฟดับมืดมาก", "ไฟส่องสว่างเสีย", "มืดไม่มีไฟ", "หลอดไฟดับทั้งซอย"],
    "ความสะอาด": ["ขยะล้นถัง", "มีขยะกองเหม็น", "ทิ้งขยะริมทาง", "ขยะไม่มีคนเก็บ", "ถังขยะสกปรก"],
}


def tiny_csv(path: Path, *, extra: str = "") -> Path:
    lines = [HEADER]
    for n, (kind, texts) in enumerate(TEXTS.items()):
        lines += [f'T{n}{i},"{{{kind}}}",{text},จตุจักร\n' for i, text in enumerate(texts)]
    lines.append("T99,{},ไม่มีประเภท,จตุจักร\n")  # no type: left out of training
    lines.append(extra)
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model() -> cm.CategoryModel:
    rows = [LabelledText(t, (kind,)) for kind, texts in TEXTS.items() for t in texts]
    return cm.train(rows)


def test_traffy_type_sets_are_read_as_names():
    assert cm.parse_types("{ถนน,ทางเท้า}") == ("ถนน", "ทางเท้า")
    assert cm.parse_types('{"ถนน", ถนน ,ป้าย}') == ("ถนน", "ป้าย")
    assert cm.parse_types("{}") == cm.parse_types("") == ()


def test_a_traffy_csv_is_read_with_or_without_a_byte_order_mark(tmp_path):
    path = tiny_csv(tmp_path / "t.csv")
    rows = cm.read_csv(path)
    assert len(rows) == 16 and rows[0] == LabelledText("ถนนเป็นหลุมลึก", ("ถนน",))
    assert rows[-1].types == ()
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert cm.read_csv(tmp_path / "bom.csv") == rows


def test_a_multiline_quoted_comment_stays_one_row(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text('type,comment\n"{ถนน,ทางเท้า}","บรรทัดแรก\nบรรทัดสอง"\n', encoding="utf-8")
    assert cm.read_csv(path) == [LabelledText("บรรทัดแรก\nบรรทัดสอง", ("ถนน", "ทางเท้า"))]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (b"type,comment\n", "has a header but no rows"),
        ("ticket_id,comment\nA,ถนนพัง\n".encode(), "missing column(s) type (needs type and comment; found:"),
        (b"a;b\n1;2\n", "missing column(s) type, comment"),
        ("type,comment\n{ถนน},ถนนพัง\n".encode("tis-620"), "not UTF-8 text (line 2: byte 0xb6)"),
        ("type,comment\n{ถนน},ถนนพัง\n".encode("utf-16"), "the file is UTF-16; save it as UTF-8"),
        (b"type,comment\n{x},a\x00b\n", "contains NUL characters"),
    ],
)
def test_an_unusable_csv_says_why(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CategoryDataError) as caught:
        cm.read_csv(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_or_a_folder_is_named(tmp_path):
    with pytest.raises(CategoryDataError, match="no such file"):
        cm.read_csv(tmp_path / "nope.csv")
    with pytest.raises(CategoryDataError, match="is a directory"):
        cm.read_csv(tmp_path)


def test_too_little_to_learn_from_is_refused():
    with pytest.raises(CategoryDataError, match="too little to learn from"):
        cm.train([LabelledText("ถนนพัง", ("ถนน",)), LabelledText("หลุม", ("ถนน",))])
    with pytest.raises(CategoryDataError, match="too little"):
        cm.train([LabelledText("ถนนพัง", ())])


def test_the_split_is_fixed_drops_untyped_rows_and_holds_out_a_fifth():
    rows = [LabelledText(f"ข้อความ {i}", ("ถนน",) if i % 7 else ()) for i in range(100)]
    training, held_out = cm.split(rows)
    kept = [r for r in rows if r.types]
    assert len(kept) == 85 and len(held_out) == 17 and len(training) == 68
    assert set(training).isdisjoint(held_out) and set(training) | set(held_out) == set(kept)
    order = list(range(85))  # the draw the docstring promises
    random.Random(2570).shuffle(order)
    assert held_out == [kept[i] for i in order[:17]]
    assert cm.split(list(rows)) == (training, held_out)


def test_suggestions_come_from_the_text_best_first(model):
    assert model.suggest("ถนนหน้าบ้านเป็นหลุมใหญ่", 1)[0][0] == "ถนน"
    assert model.suggest("ไฟดับ มืดมาก", 1)[0][0] == "แสงสว่าง"
    three = model.suggest("ขยะกองเหม็นมาก", 3)
    assert [name for name, _ in three][0] == "ความสะอาด" and len(three) == 3
    scores = [s for _, s in three]
    assert scores == sorted(scores, reverse=True) and all(0 < s < 1 for s in scores)
    assert model.suggest("ขยะกองเหม็นมาก", 3, allowed={"ถนน", "แสงสว่าง"})[0][0] in {"ถนน", "แสงสว่าง"}
    assert model.suggest("   ", 3) == [] and model.suggest("ขยะ", 0) == []


def test_the_fast_scores_are_the_classifiers_own(model):
    for text in ["ถนนเป็นหลุม", "ไฟดับ", "Road ถนน 123 มืด", "อะไรก็ไม่รู้", "ขยะ" * 400]:
        fast = model._fast().margins(text.strip()[: cm.MAX_TEXT])
        assert fast == pytest.approx(model.margins_by_sklearn(text), abs=1e-9)


def test_a_saved_model_loads_back_and_answers_the_same(model, tmp_path):
    path = cm.save(model, tmp_path / "sub" / "model.pkl")
    loaded = cm.load(path)
    assert loaded is not None and loaded.types == model.types
    assert loaded.suggest("เสาไฟดับ", 3) == model.suggest("เสาไฟดับ", 3)
    assert [p.name for p in path.parent.iterdir()] == ["model.pkl"]  # no temporary file left behind


def test_a_file_that_cannot_be_used_gives_none_and_a_log_line(model, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="models.category_model")
    assert cm.load(tmp_path / "missing.pkl") is None
    garbage = tmp_path / "garbage.pkl"
    garbage.write_bytes(b"not a pickle at all")
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(cm.save(model, tmp_path / "whole.pkl").read_bytes()[:5000])
    foreign = tmp_path / "foreign.pkl"
    foreign.write_bytes(pickle.dumps({"hello": "world"}))
    for path in (garbage, truncated, foreign):
        caplog.clear()
        assert cm.load(path) is None
        assert str(path) in caplog.text and "keyword guess used" in caplog.text


def test_a_model_of_another_scikit_learn_or_format_version_is_refused(model, tmp_path, caplog):
    for key, value, said in [("sklearn", "0.1.0", "scikit-learn 0.1.0"), ("version", 99, "format 99")]:
        path = tmp_path / f"{key}.pkl"
        with path.open("wb") as out:
            pickle.dump({**cm._header(model), key: value}, out)
            pickle.dump(model, out)
        caplog.clear()
        assert cm.load(path) is None
        assert said in caplog.text and "rongtook category train" in caplog.text


def test_the_quick_reply_puts_the_models_suggestions_first_and_other_last(model):
    offered = seed_choices()
    text = "ขยะกองเหม็น ไฟดับ"
    with_model = guess_categories(text, offered, limit=len(offered), model=model)
    known = {c.name_th for c in with_model[:3]}
    assert known == set(model.types)  # the three it knows, in its order
    assert [c.name_th for c in with_model[:3]] == [n for n, _ in model.suggest(text, 3)]
    keywords = guess_categories(text, offered, limit=len(offered))
    unknown = [c for c in keywords if c.name_th not in known and c.code != "other"]
    assert with_model[3:-1] == unknown  # the rest keep the keyword order
    assert with_model[-1].code == "other" and len(with_model) == len(offered)
    assert guess_categories(text, offered, limit=5, model=model)[-1].code == "other"
    assert len(guess_categories(text, offered, limit=5, model=model)) == 5


def test_an_empty_description_or_no_model_keeps_the_keyword_order(model):
    offered = seed_choices()
    assert guess_categories("", offered, model=model) == guess_categories("", offered)
    assert guess_categories("ขยะ", offered, model=None)[0].name_th == "ความสะอาด"


def test_categories_the_admins_renamed_or_removed_are_not_suggested(model):
    offered = [c for c in seed_choices() if c.name_th != "ถนน"] + [Choice("x", "ใหม่", "New", ())]
    ranked = guess_categories("ถนนเป็นหลุม", offered, limit=len(offered), model=model)
    assert "ถนน" not in [c.name_th for c in ranked] and len(ranked) == len(offered)


def test_the_model_is_read_once_and_again_when_its_file_changes(model, tmp_path, caplog):
    path = tmp_path / "m.pkl"
    assert suggestion_model(path) is None and suggestion_model(None) is None
    cm.save(model, path)
    first = suggestion_model(path)
    assert first is not None and suggestion_model(path) is first  # cached
    cm.save(model, path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = suggestion_model(path)
    assert second is not None and second is not first
    path.write_bytes(b"broken")
    caplog.set_level(logging.WARNING, logger="models.category_model")
    assert suggestion_model(path) is None
    assert suggestion_model(path) is None and caplog.text.count("cannot be loaded") == 1  # logged once


def test_the_settings_name_the_model_file_and_the_training_csv(tmp_path):
    from bot.settings import ConfigError, settings_from_env

    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PHOTO_DIR": str(tmp_path / "photos")}
    default = settings_from_env(base)
    assert default.category_model_path == Path("instance/category_model.pkl").resolve()
    assert default.category_training_csv.parts[-3:] == ("shared", "data", "traffy_sample.csv")
    chosen = settings_from_env(
        {**base, "CATEGORY_MODEL_PATH": str(tmp_path / "m.pkl"), "CATEGORY_TRAINING_CSV": "labelled.csv"}
    )
    assert chosen.category_model_path == tmp_path / "m.pkl"
    assert chosen.category_training_csv == Path("labelled.csv").resolve()
    with pytest.raises(ConfigError, match=r"setting CATEGORY_MODEL_PATH: .* is a folder"):
        settings_from_env({**base, "CATEGORY_MODEL_PATH": str(tmp_path)})


def test_a_model_that_fails_on_a_text_leaves_the_keyword_order(model, caplog):
    class Failing:
        def suggest(self, *_args: object) -> list[tuple[str, float]]:
            raise RuntimeError("boom")

    offered = seed_choices()
    assert guess_categories("ขยะ", offered, model=Failing()) == guess_categories("ขยะ", offered)  # type: ignore[arg-type]
    assert "keyword guess used" in caplog.text
