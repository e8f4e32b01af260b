"""`rongtook category train`, run as the operator runs it: learns from a CSV, says how well it did on the
held-out part and where the model went; a CSV it cannot use is one clear line, exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.category_model import load
from tests.e2e.test_settings import run_cli

KINDS = {
    "ถนน": ["ถนนเป็นหลุม", "ถนนทรุด", "ผิวถนนแตก", "หลุมบนถนน", "ถนนพังมาก"],
    "แสงสว่าง": ["ไฟดับทั้งซอย", "เสาไฟดับ", "มืดไม่มีไฟ", "ไฟส่องสว่างเสีย", "หลอดไฟขาด"],
    "ความสะอาด": ["ขยะล้นถัง", "กองขยะเหม็น", "ทิ้งขยะริมทาง", "ขยะไม่มีคนเก็บ", "ถังขยะสกปรก"],
}


def tiny_csv(path: Path) -> Path:
    rows = ["ticket_id,type,comment"]
    rows += [
        f'T{k}{i},"{{{kind}}}",{t}' for k, (kind, ts) in enumerate(KINDS.items()) for i, t in enumerate(ts)
    ]
    rows += ["T90,{},ไม่ระบุประเภท", 'T91,"{ถนน,แสงสว่าง}",ถนนมืดและเป็นหลุม']
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_train_learns_from_the_csv_and_saves_where_told(tmp_path):
    csv_path, out = tiny_csv(tmp_path / "labelled.csv"), tmp_path / "out" / "model.pkl"
    result = run_cli(tmp_path, "category", "train", "--csv", str(csv_path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    said = result.stdout
    assert f"read {csv_path}: 17 rows, 16 with a type and a text" in said
    assert "held out (20 %, seed 2570): 3 rows; top-1 " in said and "top-3 " in said
    assert "categories learned: 3 (ความสะอาด, ถนน, แสงสว่าง)" in said
    assert f"rows used: 16; saved to {out}" in said
    model = load(out)
    assert model is not None and model.suggest("ไฟดับมืดมาก", 1)[0][0] == "แสงสว่าง"


def test_train_reads_its_settings_when_no_option_is_given(tmp_path):
    csv_path, out = tiny_csv(tmp_path / "labelled.csv"), tmp_path / "m.pkl"
    result = run_cli(
        tmp_path, "category", "train", CATEGORY_TRAINING_CSV=str(csv_path), CATEGORY_MODEL_PATH=str(out)
    )
    assert result.returncode == 0, result.stderr
    assert f"saved to {out}" in result.stdout and load(out) is not None


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("ticket_id,comment\nA,ถนนพัง\n".encode(), "missing column(s) type (needs type and comment; found:"),
        ("type,comment\n{ถนน},ถนนพัง\n".encode("tis-620"), "not UTF-8 text (line 2: byte 0xb6)"),
        (b"", "the file is empty"),
        ("type,comment\n{ถนน},ถนนพัง\n".encode(), "too little to learn from"),
    ],
)
def test_a_csv_it_cannot_use_is_one_clear_line_and_nothing_is_written(tmp_path, content, said):
    bad, out = tmp_path / "bad.csv", tmp_path / "model.pkl"
    bad.write_bytes(content)
    result = run_cli(tmp_path, "category", "train", "--csv", str(bad), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.startswith("rongtook: cannot train the category model: ")
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert not out.exists()


def test_a_missing_csv_is_named(tmp_path):
    result = run_cli(tmp_path, "category", "train", "--csv", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and f"{tmp_path / 'nope.csv'}: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_sandbox_trains_a_missing_model_once_and_never_fails(tmp_path, caplog):
    from bot.cli_category import ensure_model
    from tests.conftest import make_settings

    out = tmp_path / "instance" / "category_model.pkl"
    settings = make_settings(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        tmp_path,
        CATEGORY_MODEL_PATH=str(out),
        CATEGORY_TRAINING_CSV=str(tiny_csv(tmp_path / "labelled.csv")),
    )
    ensure_model(settings)
    assert load(out) is not None
    out.write_bytes(b"kept")  # a file is there: not trained again (the operator's own stays)
    ensure_model(settings)
    assert out.read_bytes() == b"kept"

    elsewhere = make_settings(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        tmp_path,
        CATEGORY_MODEL_PATH=str(tmp_path / "other.pkl"),
        CATEGORY_TRAINING_CSV=str(tmp_path / "missing.csv"),
    )
    ensure_model(elsewhere)  # no CSV: a warning, the keywords stay, the sandbox starts
    assert not (tmp_path / "other.pkl").exists()
    assert "category model not trained" in caplog.text and "missing.csv: no such file" in caplog.text
