"""The KPI's words: every reason kind has a template in every language, with the same placeholders,
and the texts are said from the catalogues (texts/th.py and texts/en.py, section KPI)."""

from __future__ import annotations

import string
from datetime import date
from decimal import Decimal

import pytest

from kpi import scoring
from kpi.reports import MISSED_KINDS, STATUS_TH, Missed
from kpi.scoring import REASON_TEMPLATES, MonthReason, Reason
from models.complaints import ComplaintStatus
from texts import LANGUAGES, SECTIONS, template

RULES = (
    scoring.ACK_LATE,
    scoring.ACK_MISSING,
    scoring.ACK_PENDING,
    scoring.FIRST_PROGRESS_LATE,
    scoring.FIRST_PROGRESS_MISSING,
    scoring.FIRST_PROGRESS_PENDING,
    scoring.NOT_RESOLVED,
    scoring.NO_RESULT_TEXT,
    scoring.CHECKPOINT_MISSED,
)
MONTH_RULES = (scoring.REPORT_LATE, scoring.REPORT_MISSING, scoring.AUDIT_FAILED)
COMPLAINT_VALUES = {"due", "on", "late"}  # what `Reason.text` fills in
MONTH_VALUES = {"month", "due", "on", "deduction", "drawn", "consistent", "percent", "pass_percent"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_rule_and_reason_kind_has_a_template() -> None:
    late_kinds = {rule + scoring.ON_NON_WORKING_DAY for rule in scoring.LATE_RULES}
    assert set(REASON_TEMPLATES) == set(RULES) | set(MONTH_RULES) | late_kinds


@pytest.mark.parametrize("kind", sorted(REASON_TEMPLATES))
def test_each_reason_template_is_in_both_languages_with_the_same_placeholders(kind: str) -> None:
    key = REASON_TEMPLATES[kind]
    th, en = SECTIONS["kpi"]["th"][key], SECTIONS["kpi"]["en"][key]
    assert placeholders(th) == placeholders(en)
    assert placeholders(th) <= (MONTH_VALUES if kind in MONTH_RULES else COMPLAINT_VALUES)


def test_the_kpi_catalogues_have_the_same_texts_and_placeholders() -> None:
    th = SECTIONS["kpi"]["th"]
    for lang in LANGUAGES:
        catalogue = SECTIONS["kpi"][lang]
        assert catalogue.keys() == th.keys(), lang
        for key, text in catalogue.items():
            assert placeholders(text) == placeholders(th[key]), (lang, key)


def test_the_reports_words_are_in_the_catalogues() -> None:
    for kind in MISSED_KINDS:
        assert Missed(kind, date(2026, 11, 3), date(2026, 11, 5)).text_th == template(
            f"kpi.missed_{kind}"
        ).format(due="3 พ.ย. 2569", done="5 พ.ย. 2569")
    assert set(STATUS_TH) == set(ComplaintStatus)


DUE, ON = date(2026, 12, 8), date(2026, 12, 10)


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("days", [0, 1, 2])
def test_every_reason_is_said_without_a_hole(rule: str, days: int, lang: str) -> None:
    reason = Reason("69-K7M2QX", 1, rule, DUE, ON, days)
    text = reason.text(lang)
    assert text and "{" not in text and "}" not in text
    if "{due}" in template(f"kpi.{REASON_TEMPLATES[reason.kind]}", lang):
        assert ("8 ธ.ค. 2569" if lang == "th" else "2026-12-08") in text


def test_the_late_reasons_in_both_languages() -> None:
    one = Reason("69-K7M2QX", 1, scoring.ACK_LATE, DUE, ON, 1)
    assert one.text_en == "acknowledged 1 working day late (due 2026-12-08, acknowledged 2026-12-10)"
    assert one.text_th == "รับเรื่องช้า 1 วันทำการ (กำหนด 8 ธ.ค. 2569 รับเรื่อง 10 ธ.ค. 2569)"
    weekend = Reason("69-K7M2QX", 1, scoring.FIRST_PROGRESS_LATE, DUE, date(2026, 12, 12), 0)
    assert weekend.kind == scoring.FIRST_PROGRESS_LATE + scoring.ON_NON_WORKING_DAY
    assert weekend.text_en == (
        "first progress report late, on a non-working day (due 2026-12-08, reported 2026-12-12)"
    )


def test_month_reasons_in_both_languages() -> None:
    late = MonthReason(
        date(2026, 11, 1), 3, scoring.REPORT_LATE, Decimal("0.1"), due=date(2026, 12, 10), on=ON
    )
    assert late.text_en == "monthly report for 2026-11 submitted late (2026-12-10, due 2026-12-10): -0.1"
    assert late.text_th == (
        "ส่งรายงานสรุปเรื่องร้องเรียนประจำเดือน พ.ย. 2569 ล่าช้า (ส่ง 10 ธ.ค. 2569 กำหนด 10 ธ.ค. 2569) หัก 0.1"
    )


def test_an_unknown_kind_is_said_as_itself_and_a_language_without_texts_reads_thai() -> None:
    assert Reason("69-K7M2QX", 1, "made_up_rule", DUE).text("en") == "made_up_rule"
    missing = Reason("69-K7M2QX", 1, scoring.ACK_MISSING, DUE)
    assert missing.text("ja") == missing.text_th == "ไม่ได้ตอบรับเรื่อง (กำหนด 8 ธ.ค. 2569)"
