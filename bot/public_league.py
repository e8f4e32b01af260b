"""`/districts`: the district offices' public league table; `/districts/<code>`: one office's months and
categories; `/districts.csv`: the table as CSV (UTF-8 with BOM, for Excel).

Query parameters, the same on all three: `fy` (fiscal year, BE, e.g. 2570; default this one) or `month`
(YYYY-MM, the year BE or CE), unreadable or not yet begun: 400 with the reason. The table also takes
`sort` (one of `COLUMNS`) and `desc` (1 or 0; default: the column's natural way, best first), sorted
here so the column heads are plain links that work without JavaScript.

The figures are `kpi.league`'s (the KPI scorer's own parts: the same numbers as the admin's KPI page),
kept per app and period for at most five minutes (`kpi.league.LeagueCache`). Nothing personal is on
these pages: only counts, percentages and the districts' names.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.open_data import FORMULA_STARTS
from bot.public_pages import public_texts, reader_language
from bot.services import Services
from kpi.league import (
    BadPeriod,
    DistrictReport,
    League,
    LeagueCache,
    LeaguePeriod,
    LeagueRow,
    Schemes,
    district_report,
    league_table,
    months_of,
    read_period,
)
from kpi.schemes import Kpi32Scheme, PercentHandledScheme, load_kpi32, load_scheme
from models.categories import Category
from models.clock import BANGKOK, clock
from models.db import transaction
from models.districts import District, sorted_districts
from models.thai_dates import date_in, thai_month_long, thai_month_short

log = logging.getLogger(__name__)
bp = Blueprint("public_league", __name__, template_folder="templates")

FISCAL_YEARS_OFFERED = 5  # this fiscal year and the four before it, in the period form
Key = Callable[[LeagueRow], Any]

# The table's columns, in order; each sorts the rows. A figure column sorts by the value of `SORTS` (None: no
# figure, always last); "name" by the districts' dictionary order in the reader's language.
COLUMNS = (
    "name", "received", "ack", "first_progress", "resolved", "median", "open", "overdue", "rating", "score"
)  # fmt: skip
SORTS: dict[str, Key] = {
    "received": lambda r: r.received,
    "ack": lambda r: r.tally.ack.exact,
    "first_progress": lambda r: r.tally.first_progress.exact,
    "resolved": lambda r: r.resolved.percent_exact,
    "median": lambda r: r.tally.median_days,
    "open": lambda r: r.open_now,
    "overdue": lambda r: r.overdue_now,
    "rating": lambda r: r.rating_average,
    "score": lambda r: r.score.total_exact,
}
# Where more is better a first tap shows the most first; where fewer is better (names, days, backlog) the
# fewest first.
DESCENDING_FIRST = frozenset({"received", "ack", "first_progress", "resolved", "rating", "score"})
DEFAULT_SORT = "score"

CSV_FIELDS = (
    "period",
    "district_code",
    "district_th",
    "district_en",
    "received",
    "acknowledged_on_time",
    "acknowledgement_due",
    "acknowledged_on_time_percent",
    "first_progress_on_time",
    "first_progress_due",
    "first_progress_on_time_percent",
    "resolved",
    "resolved_percent",
    "resolved_by",
    "median_working_days_to_resolve",
    "open_now",
    "overdue_now",
    "rating_average",
    "ratings",
    "kpi32_score",
    "kpi32_maximum",
    "kpi32_as_of",
    "figures_as_of",
)


@cache
def _kpi32() -> Kpi32Scheme:
    return load_kpi32()


@cache
def _handled() -> PercentHandledScheme:
    scheme = load_scheme("percent_handled")
    assert isinstance(scheme, PercentHandledScheme), scheme
    return scheme


def _services() -> Services:
    services: Services = current_app.extensions["rongtook"]
    return services


def _schemes() -> Schemes:
    # The same files and start date as the admin's KPI page (admin/kpi_pages.py): the same score.
    return Schemes(_kpi32(), _handled(), _services().settings.kpi_start_date)


def _cache() -> LeagueCache:
    # One per app (a gunicorn worker): every worker reads the figures at most every five minutes.
    cache: LeagueCache = current_app.extensions.setdefault("rongtook.public_league", LeagueCache())
    return cache


def _period() -> LeaguePeriod:
    today = clock.now().astimezone(BANGKOK).date()
    return read_period(request.args.get("fy", "")[:40], request.args.get("month", "")[:40], today, _kpi32())


def _league(period: LeaguePeriod) -> League:
    now = clock.now()
    services = _services()
    return _cache().get(
        ("league", period.key), now, lambda: league_table(services.read_sessions, period, now, _schemes())
    )


# ---- the table -------------------------------------------------------------------------------------------


@bp.get("/districts")
def table() -> ResponseReturnValue:
    lang = reader_language()
    t = public_texts(lang)
    try:
        period = _period()
    except BadPeriod as exc:
        return _refused("public/districts.html", exc, lang)
    league = _league(period)
    sort = request.args.get("sort", "")
    sort = sort if sort in COLUMNS else DEFAULT_SORT
    wanted = request.args.get("desc", "")
    descending = wanted == "1" if wanted in ("0", "1") else sort in DESCENDING_FIRST
    rows = _sorted(list(league.rows), sort, descending, lang)
    return render_template(
        "public/districts.html",
        lang=lang,
        t=t,
        error=None,
        league=league,
        rows=rows,
        name=lambda r: r.name_en if lang == "en" else r.name_th,
        sort=sort,
        descending=descending,
        heads=[(column, _sort_link(period, column, sort, descending, lang)) for column in COLUMNS],
        # Say why a district without complaints may top the table (the scheme's `points.empty`).
        empty_full=_kpi32().points.empty == "full" and any(r.score.n == 0 for r in rows),
        **_period_context(period, lang),
        **_league_words(league, lang),
    )


def _sorted(rows: list[LeagueRow], sort: str, descending: bool, lang: str) -> list[LeagueRow]:
    """By the column, rows without a figure last either way; ties keep the districts' name order."""
    rows = sorted_districts(rows, lang)
    if sort == "name":
        return rows[::-1] if descending else rows
    key = SORTS[sort]
    known = [r for r in rows if key(r) is not None]
    known.sort(key=key, reverse=descending)  # stable: equal figures stay in name order
    return known + [r for r in rows if key(r) is None]


def _sort_link(period: LeaguePeriod, column: str, sort: str, descending: bool, lang: str) -> str:
    """The column head's link: this column the other way when it is the sorted one, else its natural way."""
    desc = (not descending) if column == sort else column in DESCENDING_FIRST
    return url_for("public_league.table", **period.query(), sort=column, desc=int(desc), lang=lang)


def _period_context(period: LeaguePeriod, lang: str) -> dict[str, Any]:
    """The period in words and the choices of the period form."""
    t = public_texts(lang)
    scheme = _kpi32()
    today = clock.now().astimezone(BANGKOK).date()
    current = scheme.fiscal_year.of(today)
    if period.month is None:
        first, last = period.bounds(scheme)
        first_day, last_day = date_in(first, lang), date_in(last, lang)
        words = t("league_period_fy", year=period.fiscal_year, first=first_day, last=last_day)
    else:
        words = t("league_period_month", month=_month_name(period.month, lang))
    offered = months_of(scheme, period.fiscal_year, today)
    return {
        "period": period,
        "period_words": words,
        # The recent years, and the one asked for when it is older (so the form shows what is shown).
        "fiscal_years": sorted(
            {*range(current - FISCAL_YEARS_OFFERED + 1, current + 1), period.fiscal_year}, reverse=True
        ),
        "months": [(f"{m:%Y-%m}", _month_name(m, lang)) for m in offered],
        "query": period.query(),
    }


def _league_words(league: League, lang: str) -> dict[str, str]:
    """When the figures were read, the KPI's as-of day and the cut-off of "resolved", in reader's dates."""
    local = league.as_of.astimezone(BANGKOK)
    return {
        "as_of_words": f"{date_in(local.date(), lang)} {local:%H:%M}",
        "as_of_day": date_in(local.date(), lang),
        "resolved_until": date_in(league.resolved_until, lang),
    }


def _month_name(month: date, lang: str) -> str:
    return thai_month_long(month) if lang == "th" else month.strftime("%B %Y")


def _refused(template: str, error: BadPeriod, lang: str, **context: Any) -> ResponseReturnValue:
    """The page with the period form and the reason in words: 400, nothing computed."""
    log.info("public league: refused %s", request.query_string[:200])
    t = public_texts(lang)
    today = clock.now().astimezone(BANGKOK).date()
    period = LeaguePeriod(_kpi32().fiscal_year.of(today))
    return render_template(
        template,
        lang=lang,
        t=t,
        error=t(error.key, value=error.value),
        **_period_context(period, lang),
        **context,
    ), 400


# ---- one district ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One month of the chart, in the SVG's units."""

    label: str
    x: float
    received_height: float
    resolved_height: float
    on_time_y: float | None  # the on-time percentage's point (0 % at the bottom), None: nothing decided yet


CHART_HEIGHT = 200.0  # the bars' area in the SVG's units; the SVG scales to the page's width
CHART_SLOT = 48.0  # width per month
MONTHS_SHOWN = 12


@bp.get("/districts/<code>")
def district(code: str) -> ResponseReturnValue:
    lang = reader_language()
    t = public_texts(lang)
    code = code[:10]
    found = _district(code)
    if found is None:
        log.info("public league: no district %r", code)
        return render_template("public/district.html", lang=lang, t=t, missing=code, error=None), 404
    name = found.name_en if lang == "en" else found.name_th
    try:
        period = _period()
    except BadPeriod as exc:
        return _refused("public/district.html", exc, lang, missing=None, code=found.code, name=name)
    now = clock.now()
    services = _services()
    report: DistrictReport = _cache().get(
        ("district", period.key, found.code),
        now,
        lambda: district_report(services.read_sessions, period, now, _schemes(), found.code),
    )
    peak = max([1, *(max(m.received, m.resolved) for m in report.months)])
    bars = [
        Bar(
            _month_short(m.month, lang),
            i * CHART_SLOT,
            round(CHART_HEIGHT * m.received / peak, 1),
            round(CHART_HEIGHT * m.resolved / peak, 1),
            None if m.on_time.exact is None else round(float(CHART_HEIGHT * (1 - m.on_time.exact / 100)), 1),
        )
        for i, m in enumerate(report.months)
    ]
    return render_template(
        "public/district.html",
        lang=lang,
        t=t,
        missing=None,
        error=None,
        code=found.code,
        name=name,
        report=report,
        league=report.league,
        row=report.row,
        bars=bars,
        peak=peak,
        chart_width=MONTHS_SHOWN * CHART_SLOT,  # the whole year's width: the bars keep one size all year
        chart_height=CHART_HEIGHT,
        month_name=lambda m: _month_name(m, lang),
        categories=_category_names(report.row.tally.categories, lang, t("district_no_category")),
        **_period_context(period, lang),
        **_league_words(report.league, lang),
    )


def _district(code: str) -> District | None:
    if not (code.isdigit() and len(code) == 4):
        return None
    with transaction(_services().read_sessions) as session:
        found = session.get(District, code)
        if found is not None:
            session.expunge(found)
    return found


def _month_short(month: date, lang: str) -> str:
    """The month alone ("ต.ค.", "Oct"): the chart's heading names the fiscal year."""
    return thai_month_short(month).split(" ")[0] if lang == "th" else month.strftime("%b")


def _category_names(counts: dict[str, int], lang: str, unnamed: str) -> list[tuple[str, int]]:
    """Categories in the reader's language (complaints store the Thai name); most complaints first."""
    names: dict[str, str] = {}
    if lang == "en":
        with transaction(_services().read_sessions) as session:
            names = {th: en for th, en in session.execute(select(Category.name_th, Category.name_en))}
    return [(names.get(name, name) if name else unnamed, count) for name, count in counts.items()]


# ---- CSV -------------------------------------------------------------------------------------------------


@bp.get("/districts.csv")
def table_csv() -> ResponseReturnValue:
    try:
        period = _period()
    except BadPeriod as exc:
        log.info("public league: refused %s", request.query_string[:200])
        message = public_texts(reader_language())(exc.key, value=exc.value)
        return Response(f"{message}\n", status=400, mimetype="text/plain")
    league = _league(period)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    label = period.query().get("month") or period.query()["fy"]
    for r in sorted(league.rows, key=lambda r: r.district):
        tally = r.tally
        cells = (
            label,
            r.district,
            r.name_th,
            r.name_en,
            r.received,
            tally.ack.part,
            tally.ack.whole,
            tally.ack.percent,
            tally.first_progress.part,
            tally.first_progress.whole,
            tally.first_progress.percent,
            r.resolved.resolved,
            r.resolved.percent,
            league.resolved_until.isoformat(),
            tally.median_days,
            r.open_now,
            r.overdue_now,
            r.rating_average,
            r.ratings,
            r.score.total,
            league.maximum,
            league.as_of.astimezone(BANGKOK).date().isoformat(),
            league.as_of.astimezone(BANGKOK).isoformat(timespec="seconds"),
        )
        writer.writerow([_cell(value) for value in cells])
    name = f"rongtook-districts-{label}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),  # the BOM: Excel then reads the Thai as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cell(value: object) -> object:
    """Empty for no figure; a text a spreadsheet would run as a formula kept as text, as open data does."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
