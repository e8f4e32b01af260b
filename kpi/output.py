"""KPI 3.2 results as JSON (a stable interface), an aligned text table, CSV, and the explanation.

The JSON shape is stable: tools may rely on
`{"fiscal_year", "scheme", "as_of", "units": [{"district", "name_th", "n", "steps": [{"step", "correct",
"percent", "full", "points", "deductions"}, …], "total"}]}`; more keys may be added, none removed.
Numbers are JSON numbers, rounded as the scheme says (percent 2, points 4 decimals); a percentage of
nothing (N = 0, or no monthly report due yet) is `null`. Each step also says how many complaints are
`pending` (left out of its `of`, see `kpi.scoring`), and each unit its `view` ("pending", "literal" or
"final") and `kpi_start_on`.
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
from kpi.wording import OPERATOR, day_text, kpi_text, month_text

STEPS = (1, 2, 3)
STEP_NAMES_EN = {n: kpi_text(f"step_{n}", "en") for n in STEPS}
STEP_NAMES_TH = {n: kpi_text(f"step_{n}", "th") for n in STEPS}


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
            "pending": s.pending,
            "rule_counts": dict(sorted(s.rule_counts.items())),
        }
        if failures:
            step["failures"] = [r.as_dict() for r in s.failures]
            step["pending_reasons"] = [r.as_dict() for r in s.pending_reasons]
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
        "view": u.view,
        "kpi_start_on": u.kpi_start_on.isoformat() if u.kpi_start_on else None,
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


COLUMNS = (
    "district",
    "name",
    "n",
    "s1_ok",
    "s1_pending",
    "s1_percent",
    "s1_points",
    "s2_ok",
    "s2_pending",
    "s2_percent",
    "s2_deductions",
    "s2_points",
    "s3_ok",
    "s3_deductions",
    "s3_points",
    "total",
)
HEADERS = tuple(kpi_text(f"column_{c}", OPERATOR) for c in COLUMNS)


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
                str(s1.pending),
                _fmt(s1.percent),
                str(s1.points),
                str(s2.correct),
                str(s2.pending),
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

    head = [_kpi(scheme), _fiscal_year(fiscal_year), _as_of(as_of)]
    if results:
        first, last = results[0].window
        head.append(kpi_text("head_window", OPERATOR, first=first, last=last))
        head.append(kpi_text("head_maximum", OPERATOR, maximum=results[0].maximum))
        head.extend(_view(results[0]))
    out = [" · ".join(head), line(HEADERS), line(["-" * w for w in widths])]
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
    "step1_pending",
    "step2_pending",
    "view",
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
                s1.pending,
                s2.pending,
                u.view,
            )
        )
    return buf.getvalue()


# --- the explanation ---


def _kpi(scheme: Kpi32Scheme | str | None) -> str:
    if scheme is None:
        return kpi_text("head_kpi", OPERATOR)
    return kpi_text("head_scheme", OPERATOR, scheme=_scheme_name(scheme))


def _fiscal_year(fiscal_year: int) -> str:
    return kpi_text("head_fiscal_year", OPERATOR, fiscal_year=fiscal_year)


def _as_of(as_of: datetime) -> str:
    return kpi_text("head_as_of", OPERATOR, as_of=as_of.isoformat())


def _view(u: UnitScore) -> list[str]:
    """The view a unit was scored in, said when it is not the final one."""
    return [] if u.view == "final" else [kpi_text(f"head_view_{u.view}", OPERATOR)]


def _by_code(reasons: Iterable[Reason]) -> dict[str, list[Reason]]:
    grouped: dict[str, list[Reason]] = {}
    for r in reasons:
        grouped.setdefault(r.code, []).append(r)
    return grouped


def _text(r: Reason | MonthReason, lang: str) -> str:
    if lang in ("th", "en"):
        return r.text(lang)
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
    then each pending one (not in N: it could still become correct) with its reasons, then the
    month-level reasons (late or missing monthly reports, failed audits). `lang`: th, en, both."""
    out: list[str] = []
    results = list(results)
    if fiscal_year is not None or scheme is not None or as_of is not None:
        head = [_kpi(scheme)]
        if fiscal_year is not None:
            head.append(_fiscal_year(fiscal_year))
        if as_of is not None:
            head.append(_as_of(as_of))
        if results:
            head.extend(_view(results[0]))
        out.append(" · ".join(head))
    for u in results:
        out.append("")
        out.append(
            kpi_text(
                "explain_unit",
                OPERATOR,
                district=u.district,
                name=u.name_th,
                n=u.n,
                total=u.total,
                maximum=u.maximum,
            )
        )
        for s in u.steps:
            name = f"{STEP_NAMES_TH.get(s.step, '')} / {STEP_NAMES_EN.get(s.step, '')}"
            pct = "-" if s.percent is None else f"{s.percent} %"
            line = kpi_text(
                "explain_step",
                OPERATOR,
                step=s.step,
                name=name,
                correct=s.correct,
                of=s.of,
                percent=pct,
                points=s.points,
                full=s.full,
            )
            if s.deductions:
                line += kpi_text("explain_deductions", OPERATOR, deductions=s.deductions)
            if s.pending:
                line += kpi_text("explain_pending", OPERATOR, pending=s.pending)
            out.append(f"  {line}")
            by_code = _by_code(s.failures)
            for code, reasons in by_code.items():
                out.append(f"    {code}: " + "; ".join(_text(r, lang) for r in reasons))
            kept = len(by_code)
            if kept < s.failing and s.step != 3:
                out.append("    " + kpi_text("explain_more", OPERATOR, count=s.failing - kept))
            if s.pending:
                out.append("    " + kpi_text("explain_pending_head", OPERATOR))
                waiting = _by_code(s.pending_reasons)
                for code, reasons in waiting.items():
                    out.append(f"      {code}: " + "; ".join(_text(r, lang) for r in reasons))
                if len(waiting) < s.pending:
                    out.append("      " + kpi_text("explain_more", OPERATOR, count=s.pending - len(waiting)))
            if s.step == 3 and u.kpi_start_on is not None:
                start = u.kpi_start_on
                month, day = month_text(start, OPERATOR), day_text(start, OPERATOR)
                out.append("    " + kpi_text("explain_start_date", OPERATOR, month=month, day=day))
            for r in u.month_reasons:
                if r.step == s.step:
                    out.append(f"    {r.month:%Y-%m}: {_text(r, lang)}")
        for note in u.notes:
            out.append("  " + kpi_text("explain_note", OPERATOR, note=note))
    return "\n".join(out).lstrip("\n") + "\n"
