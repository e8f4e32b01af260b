"""KPI 3.2 results as JSON (a stable interface), an aligned text table, CSV, and the explanation.

The JSON shape is stable: tools may rely on
`{"fiscal_year", "scheme", "as_of", "units": [{"district", "name_th", "n", "steps": [{"step", "correct",
"percent", "full", "points", "deductions"}, …], "total"}]}`; more keys may be added, none removed.
Numbers are JSON numbers, rounded as the scheme says (percent 2, points 4 decimals); a percentage of
nothing (N = 0, or no monthly report due yet) is `null`.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from kpi.schemes import Kpi32Scheme
from kpi.scoring import MonthReason, Reason, UnitScore

STEP_NAMES_EN = {1: "intake", 2: "resolution", 3: "reporting"}
STEP_NAMES_TH = {1: "การรับเรื่อง", 2: "การดำเนินการแก้ไข", 3: "การรายงานผล"}


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _scheme_name(scheme: Kpi32Scheme | str) -> str:
    return scheme if isinstance(scheme, str) else scheme.name


def unit_dict(u: UnitScore, failures: bool = False) -> dict[str, Any]:
    steps = []
    for s in u.steps:
        step: dict[str, Any] = {
            "step": s.step,
            "correct": s.correct,
            "percent": _num(s.percent),
            "full": float(s.full),
            "points": float(s.points),
            "deductions": float(s.deductions),
            "of": s.of,
            "failing": s.failing,
            "rule_counts": dict(sorted(s.rule_counts.items())),
        }
        if failures:
            step["failures"] = [r.as_dict() for r in s.failures]
        steps.append(step)
    return {
        "district": u.district,
        "name_th": u.name_th,
        "n": u.n,
        "steps": steps,
        "total": float(u.total),
        "maximum": float(u.maximum),
        "window": {"start": u.window[0].isoformat(), "end": u.window[1].isoformat()},
        "month_reasons": [r.as_dict() for r in u.month_reasons],
        "notes": list(u.notes),
    }


def to_json(
    results: Iterable[UnitScore],
    fiscal_year: int,
    scheme: Kpi32Scheme | str,
    as_of: datetime,
    *,
    failures: bool = False,
) -> dict[str, Any]:
    """The stable JSON form (a dict; `json.dumps(..., ensure_ascii=False)` keeps Thai readable)."""
    return {
        "fiscal_year": fiscal_year,
        "scheme": _scheme_name(scheme),
        "as_of": as_of.isoformat(),
        "units": [unit_dict(u, failures) for u in results],
    }


# --- text table ---


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: Thai vowel and tone marks above/below take none, wide CJK two."""
    width = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def _fmt(value: Decimal | None) -> str:
    return "-" if value is None else str(value)


HEADERS = (
    "district",
    "name",
    "N",
    "s1 ok",
    "s1 %",
    "s1 pts",
    "s2 ok",
    "s2 %",
    "s2 ded",
    "s2 pts",
    "s3 ok",
    "s3 ded",
    "s3 pts",
    "total",
)


def _rows(results: Iterable[UnitScore]) -> list[list[str]]:
    rows = []
    for u in results:
        s1, s2, s3 = u.step(1), u.step(2), u.step(3)
        rows.append(
            [
                u.district,
                u.name_th,
                str(u.n),
                str(s1.correct),
                _fmt(s1.percent),
                str(s1.points),
                str(s2.correct),
                _fmt(s2.percent),
                str(s2.deductions),
                str(s2.points),
                f"{s3.correct}/{s3.of}",
                str(s3.deductions),
                str(s3.points),
                str(u.total),
            ]
        )
    return rows


def to_table(
    results: Sequence[UnitScore], fiscal_year: int, scheme: Kpi32Scheme | str, as_of: datetime
) -> str:
    """An aligned plain-text table, one unit a line, Thai names kept aligned."""
    rows = _rows(results)
    widths = [display_width(h) for h in HEADERS]
    for row in rows:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    text_columns = {0, 1}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            _pad(c, w, i not in text_columns) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    title = f"KPI {_scheme_name(scheme)} · FY {fiscal_year} · as of {as_of.isoformat()}"
    if results:
        first, last = results[0].window
        title += f" · window {first} – {last} · maximum {results[0].maximum}"
    out = [title, line(HEADERS), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    for u in results:
        out.extend(f"{u.district}: {note}" for note in u.notes)
    return "\n".join(out) + "\n"


# --- CSV ---

CSV_HEADERS = (
    "district",
    "name_th",
    "n",
    "step1_correct",
    "step1_percent",
    "step1_points",
    "step2_correct",
    "step2_percent",
    "step2_deductions",
    "step2_points",
    "step3_on_time",
    "step3_months_due",
    "step3_deductions",
    "step3_points",
    "total",
)


def to_csv(results: Iterable[UnitScore], fiscal_year: int, scheme: Kpi32Scheme | str, as_of: datetime) -> str:
    """One row per unit (UTF-8 text; write it with a BOM, `utf-8-sig`, for Excel to show Thai)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("fiscal_year", "scheme", "as_of", *CSV_HEADERS))
    for u in results:
        s1, s2, s3 = u.step(1), u.step(2), u.step(3)
        w.writerow(
            (
                fiscal_year,
                _scheme_name(scheme),
                as_of.isoformat(),
                u.district,
                u.name_th,
                u.n,
                s1.correct,
                _fmt(s1.percent) if s1.percent is not None else "",
                s1.points,
                s2.correct,
                _fmt(s2.percent) if s2.percent is not None else "",
                s2.deductions,
                s2.points,
                s3.correct,
                s3.of,
                s3.deductions,
                s3.points,
                u.total,
            )
        )
    return buf.getvalue()


# --- the explanation ---


def _text(r: Reason | MonthReason, lang: str) -> str:
    if lang == "th":
        return r.text_th
    if lang == "en":
        return r.text_en
    return f"{r.text_th} / {r.text_en}"


def explain(
    results: Iterable[UnitScore],
    fiscal_year: int | None = None,
    scheme: Kpi32Scheme | str | None = None,
    as_of: datetime | None = None,
    *,
    lang: str = "both",
) -> str:
    """Every point lost: per district and step, each failing complaint by tracking code with its reasons,
    then the month-level reasons (late or missing monthly reports, failed audits). `lang`: th, en, both."""
    out: list[str] = []
    if fiscal_year is not None or scheme is not None or as_of is not None:
        head = [f"KPI {_scheme_name(scheme)}" if scheme is not None else "KPI"]
        if fiscal_year is not None:
            head.append(f"FY {fiscal_year}")
        if as_of is not None:
            head.append(f"as of {as_of.isoformat()}")
        out.append(" · ".join(head))
    for u in results:
        out.append("")
        out.append(f"{u.district} {u.name_th}: N = {u.n}, total {u.total} / {u.maximum}")
        for s in u.steps:
            name = f"{STEP_NAMES_TH.get(s.step, '')} / {STEP_NAMES_EN.get(s.step, '')}"
            pct = "-" if s.percent is None else f"{s.percent} %"
            out.append(
                f"  step {s.step} ({name}): {s.correct}/{s.of} correct ({pct}), "
                f"points {s.points} / {s.full}" + (f", deductions {s.deductions}" if s.deductions else "")
            )
            by_code: dict[str, list[Reason]] = {}
            for r in s.failures:
                by_code.setdefault(r.code, []).append(r)
            for code, reasons in by_code.items():
                out.append(f"    {code}: " + "; ".join(_text(r, lang) for r in reasons))
            kept = sum(1 for _ in by_code)
            if kept < s.failing and s.step != 3:
                out.append(f"    … and {s.failing - kept} more complaint(s) not listed")
            for r in u.month_reasons:
                if r.step == s.step:
                    out.append(f"    {r.month:%Y-%m}: {_text(r, lang)}")
        for note in u.notes:
            out.append(f"  note: {note}")
    return "\n".join(out).lstrip("\n") + "\n"
