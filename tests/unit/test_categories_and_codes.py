"""Categories and their guess; tracking codes."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

from handlers.categories import by_typed_name, guess_categories, seed_choices
from models.categories import OTHER_CODE
from models.tracking_codes import ALPHABET, CODE_PATTERN, new_tracking_code, normalise_code

TRAFFY = Path(__file__).resolve().parents[3] / "shared" / "data" / "traffy_sample.csv"


def test_codes_look_like_69_K7M2QX_and_avoid_look_alikes():
    codes = [new_tracking_code(date(2026, 12, 1)) for _ in range(5000)]
    assert all(CODE_PATTERN.match(c) for c in codes)
    assert all(c.startswith("69-") for c in codes)  # 2026 CE = 2569 BE
    assert not set("01OI") & set("".join(c[3:] for c in codes))
    # 32**6 ≈ 1.07e9 codes: 5,000 draws clash about once in 86 runs (birthday bound), so a rare
    # clash is expected and filing draws again (test_a_tracking_code_clash_draws_again); four or
    # more clashes would mean a broken generator (chance < 1e-9).
    assert len(codes) - len(set(codes)) <= 3
    assert new_tracking_code(date(2027, 1, 2)).startswith("70-")
    assert len(ALPHABET) == 32


def test_codes_are_spread_over_the_whole_alphabet():
    counts = Counter("".join(new_tracking_code(date(2026, 1, 1))[3:] for _ in range(4000)))
    assert set(counts) == set(ALPHABET)
    assert max(counts.values()) < 2 * min(counts.values())  # roughly uniform: reveals nothing


def test_typed_codes_are_forgiven_for_case_and_spacing():
    assert normalise_code(" 69-k7m2qx ") == "69-K7M2QX"
    assert normalise_code("69 K7M2QX") == "69-K7M2QX"
    assert normalise_code("69K7M2QX") == "69-K7M2QX"
    assert normalise_code("69-K7M2Q0") is None  # 0 is never in a code
    assert normalise_code("ไฟดับ") is None
    assert normalise_code("6-K7M2QX") is None


SEED = seed_choices()


def first_guess(description: str) -> str:
    return guess_categories(description, SEED)[0].name_th


def test_descriptions_put_the_likely_category_first():
    assert first_guess("ไฟถนนดับหน้าซอย 5") == "แสงสว่าง"
    assert first_guess("ขยะล้นถังหน้าตลาด") == "ความสะอาด"
    assert first_guess("ฝาท่อระบายน้ำหาย") == "ท่อระบายน้ำ"
    assert first_guess("มีแผงลอยตั้งขวางทางเท้า") in {"กีดขวาง", "ทางเท้า"}


def test_quick_replies_fit_line_and_always_offer_other():
    offered = guess_categories("", SEED)
    assert len(offered) == 13 and offered[-1].code == OTHER_CODE
    assert [c.name_th for c in offered[:3]] == ["ถนน", "ทางเท้า", "ความปลอดภัย"]  # the city's usage order
    # LINE's quick-reply label limit, in both languages: the seed's names fit without being cut.
    assert all(len(c.name_th) <= 20 and len(c.name_en) <= 20 for c in SEED)


def test_other_stays_last_whatever_the_table_order():
    shuffled = [SEED[-1], *SEED[:-1]]
    assert guess_categories("ขยะ", shuffled)[-1].code == OTHER_CODE
    assert guess_categories("ขยะ", shuffled)[0].name_th == "ความสะอาด"


def test_a_typed_name_is_found_in_either_language():
    assert by_typed_name(SEED, " ท่อ ระบายน้ำ ").code == "drains"
    assert by_typed_name(SEED, "street LIGHTING").code == "lighting"
    assert by_typed_name(SEED, "ไม่มีหมวดนี้") is None


def test_labels_are_the_ones_citizens_know_from_traffy():
    with TRAFFY.open(encoding="utf-8") as f:
        used = Counter(t for row in csv.DictReader(f) for t in row["type"].strip("{}").split(",") if t)
    common = [label for label, n in used.most_common() if n >= 15 and label not in {"ร้องเรียน", "สอบถาม"}]
    known = {c.name_th for c in SEED}
    assert all(label in known for label in common), [x for x in common if x not in known]
