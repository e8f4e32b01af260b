"""Settings that live in the KPI scheme files (kpi/schemes/*.toml) and have a copy in Python: where a
layer below kpi keeps one (models and scheduler cannot read the scheme) or the scheme reader's default
for a key a file leaves out. Each copy is held equal to the shipped file here; the kpi code that can
read the scheme does (the audit and the monthly summaries)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kpi.audit import DEFAULT_AUDIT
from kpi.schemes import available_schemes, load_kpi32, load_scheme, parse_scheme
from kpi.source import fiscal_year_of
from kpi.submissions import DEFAULT_SUBMISSIONS, fiscal_months
from models.deadlines import DEFAULT_DEADLINES, DeadlineSettings
from models.thai_dates import BE_OFFSET
from scheduler.reminders import DEFAULT_REMINDERS, ReminderSettings

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("name", "title_th", "title_en", "source", "dimension_names_th")  # words, not settings


def test_the_deadline_settings_are_the_schemes() -> None:
    scheme = load_kpi32().deadlines
    assert DeadlineSettings() == DEFAULT_DEADLINES == scheme  # ack 1, first progress 3 working days, ...
    assert DEFAULT_REMINDERS.deadlines == scheme


def test_the_reminders_say_the_schemes_report_due_day() -> None:
    assert ReminderSettings().report_due_day == load_kpi32().reporting.due_day


def test_the_audit_and_the_summaries_read_the_scheme() -> None:
    scheme = load_kpi32()
    assert scheme.audit == DEFAULT_AUDIT  # share drawn and its rounding, pass mark, deduction
    assert scheme.reporting == DEFAULT_SUBMISSIONS


@pytest.mark.parametrize("name", available_schemes())
def test_every_scheme_counts_the_buddhist_era_as_the_app_does(name: str) -> None:
    assert load_scheme(name).fiscal_year.buddhist_era_offset == BE_OFFSET


@pytest.mark.parametrize("name", available_schemes())
def test_the_scheme_readers_defaults_are_the_shipped_settings(name: str) -> None:
    shipped = load_scheme(name)
    defaults = parse_scheme({"kind": shipped.kind}, name)
    for field in dataclasses.fields(shipped):
        if field.name in LABELS:
            continue
        if field.name == "window":  # month-days in the file, the fiscal year's own bounds by default
            for fy in (2569, 2570, 2571):
                assert shipped.window_bounds(fy) == defaults.window_bounds(fy)
            continue
        assert getattr(shipped, field.name) == getattr(defaults, field.name), field.name


def test_the_buddhist_era_offset_has_one_home() -> None:
    literal = re.compile(r"(?<![\w.])543(?![\w.])")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("kpi", "models", "scheduler")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts and path.name != "thai_dates.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if literal.search(line.split("#", 1)[0]) and '"""' not in line
    ]
    assert found == []


def test_the_months_of_a_fiscal_year_are_the_schemes() -> None:
    fiscal_year = load_kpi32().fiscal_year
    for fy in (2569, 2570, 2571):
        first, last = fiscal_year.bounds(fy)
        assert fiscal_months(fy)[0] == first and fiscal_months(fy)[-1] == last.replace(day=1)
        for day in (first, first.replace(day=28), last):
            assert fiscal_year_of(day) == fiscal_year.of(day) == fy
