"""The KPI pages: KPI 3.2 by district, one district's lost points explained, seed 001's quarterly table.

    GET /admin/kpi                           admin.kpi           every role; one row per district seen
    GET /admin/kpi/<district>                admin.kpi_district  404 for a district not seen / unknown
    GET /admin/kpi/export.<fmt>              admin.kpi_export    fmt = csv | xlsx
    GET /admin/kpi/<district>/failures.csv   admin.kpi_failures  every failing complaint's reasons

Query parameters: `fy` (fiscal year, BE; default the fiscal year of today in Bangkok), `as_of`
(YYYY-MM-DD, a BE year is taken as such: scored as at the end of that Bangkok day; default now),
`view=literal` ("if the year ended today": pending counts as not correct; default: before the window
closes a step that could still become correct is pending, counted and left out of its N),
`sort` and `desc=1` (main page), `page` (drill-down failures). Bad `fy`/`as_of`: 400 with the reason.
Step 3 is scored from each district's start date (its own, set on the settings page, else the
deployment's KPI_START_DATE).

The numbers are `kpi.database_scoring.score_database` itself, with `workers=1`: a web request never
spawns processes. The percent-handled table (seed 001) is `kpi.other_schemes.percent_handled` over
the same `kpi.source.district_facts` stream the scorer reads, for the visible districts only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from openpyxl import Workbook

from admin.views import (
    BANGKOK,
    bp,
    day_filter,
    district_name,
    services,
    text,
    visible_districts,
)
from kpi.database_scoring import score_database
from kpi.other_schemes import HandledRow, handled_row, percent_handled
from kpi.output import STEP_NAMES_EN, STEP_NAMES_TH, to_csv
from kpi.schemes import Kpi32Scheme, PercentHandledScheme, load_kpi32, load_scheme, round_decimal
from kpi.scoring import MonthReason, Reason, StepScore, UnitScore
from kpi.source import district_facts, fiscal_year_of
from models.clock import clock
from models.db import transaction
from models.districts import District
from models.thai_dates import ce_year

FY_RANGE = (2500, 2700)
AS_OF_RANGE = (date(1956, 10, 1), date(2157, 9, 30))  # the days of fiscal years 2500 .. 2700
FAILURES_PER_PAGE = 200
DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@cache
def kpi_scheme() -> Kpi32Scheme:
    return load_kpi32()


@cache
def handled_scheme() -> PercentHandledScheme:
    scheme = load_scheme("percent_handled")
    assert isinstance(scheme, PercentHandledScheme), scheme
    return scheme


# ---- the query: fiscal year and as-of ------------------------------------------------------------------


class BadInput(ValueError):
    """A query parameter that cannot be read; `key` names the text shown, `value` what was given."""

    def __init__(self, key: str, value: str) -> None:
        super().__init__(key)
        self.key, self.value = key, value

    @property
    def message(self) -> str:
        return text(self.key, value=self.value[:40])


@dataclass(frozen=True)
class Period:
    fiscal_year: int
    as_of: datetime  # aware; the end of the asked day, or now
    as_of_text: str  # the day as asked (ISO, CE), "" for now: links keep the same choice
    literal: bool = False  # the literal view: "if the year ended today", pending counts as not correct

    def query(self) -> dict[str, str]:
        values = {"fy": str(self.fiscal_year)}
        if self.as_of_text:
            values["as_of"] = self.as_of_text
        if self.literal:
            values["view"] = LITERAL
        return values


LITERAL = "literal"  # `view=literal`; any other value (or none) is the default view


def read_period(args: Mapping[str, str], now: datetime) -> Period:
    """`fy` and `as_of` from the query string; BadInput when either is there but unreadable."""
    fy_text = args.get("fy", "").strip()
    if not fy_text:
        fiscal_year = fiscal_year_of(now.astimezone(BANGKOK).date())
    else:
        try:
            fiscal_year = int(fy_text)
        except ValueError:
            raise BadInput("kpi_bad_fy", fy_text) from None
        if not FY_RANGE[0] <= fiscal_year <= FY_RANGE[1]:
            raise BadInput("kpi_bad_fy", fy_text)
    literal = args.get("view", "") == LITERAL
    day_text = args.get("as_of", "").strip()
    if not day_text:
        return Period(fiscal_year, now, "", literal)
    day = read_day(day_text)
    as_of = datetime.combine(day, time(23, 59, 59, 999999), tzinfo=BANGKOK)
    return Period(fiscal_year, as_of, day.isoformat(), literal)


def read_day(value: str) -> date:
    """YYYY-MM-DD; a year from 2400 on is BE (a Thai user types 2569-12-31), converted to CE."""
    found = DAY.fullmatch(value)
    if found is None:
        raise BadInput("kpi_bad_as_of", value)
    year, month, day = (int(part) for part in found.groups())
    year = ce_year(year)  # from 2400 on a BE year (models.thai_dates)
    try:
        result = date(year, month, day)
    except ValueError:
        raise BadInput("kpi_bad_as_of", value) from None
    # Far from any fiscal year the scorer would walk centuries of calendar: refused as a typo.
    if not AS_OF_RANGE[0] <= result <= AS_OF_RANGE[1]:
        raise BadInput("kpi_bad_as_of", value)
    return result


# ---- scoring -------------------------------------------------------------------------------------------


def visible() -> list[District]:
    with transaction(services().sessions) as s:
        districts = visible_districts(s)
        for d in districts:
            s.expunge(d)
    return districts


def deployment_start() -> date | None:
    """The deployment's KPI start date (KPI_START_DATE; None when unset): a district's own date wins."""
    start: date | None = getattr(services().settings, "kpi_start_date", None)
    return start


def score(period: Period, codes: Sequence[str], max_failures: int | None) -> list[UnitScore]:
    if not codes:
        return []
    return score_database(
        services().read_sessions,  # DATABASE_REPLICA_URL, if set
        kpi_scheme(),
        period.fiscal_year,
        period.as_of,
        list(codes),
        max_failures=max_failures,
        workers=1,  # never processes from a web request
        literal=period.literal,
        kpi_start_on=deployment_start(),
    )


def view_of(period: Period, units: Sequence[UnitScore]) -> str:
    """The view scored in: "final" once the window has closed, else "literal" or "pending"."""
    if units:
        return units[0].view
    return LITERAL if period.literal else "pending"


def pending_total(units: Sequence[UnitScore]) -> dict[int, int]:
    """Pending complaints per step (1, 2) over the units shown."""
    return {step: sum(u.step(step).pending for u in units) for step in (1, 2)}


def handled_tables(period: Period, codes: Sequence[str]) -> dict[str, list[HandledRow]]:
    """Seed 001's cumulative rows per district: received and handled from the window start to each
    cut-off (quarter end) passed by `as_of`, the as-of day itself last when between cut-offs."""
    scheme = handled_scheme()
    first, last = scheme.window_bounds(period.fiscal_year)
    zone = ZoneInfo(scheme.timezone)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = min(datetime.combine(last, time(23, 59, 59, 999999), tzinfo=zone), period.as_of)
    day = period.as_of.astimezone(zone).date()
    if not codes or end < start:
        return {code: [] for code in codes}
    with transaction(services().read_sessions) as s:  # as score()'s
        return {
            facts.district: percent_handled(facts, scheme, period.fiscal_year, as_of=day)
            for facts in district_facts(s, start, end, list(codes))
        }


def handled_total(tables: Mapping[str, list[HandledRow]]) -> list[HandledRow]:
    """The districts' rows added up cut-off by cut-off (every district has the same cut-offs)."""
    scheme = handled_scheme()
    totals: dict[date, list[Any]] = {}
    for rows in tables.values():
        for r in rows:
            entry = totals.setdefault(r.until, [r.start, 0, 0])
            entry[1] += r.received
            entry[2] += r.resolved
    return [
        handled_row(received, resolved, scheme, start, until)
        for until, (start, received, resolved) in sorted(totals.items())
    ]


def window_text(period: Period) -> tuple[date, date]:
    """The days scored: the scheme's window, ending at the as-of day when that comes first."""
    first, last = kpi_scheme().window_bounds(period.fiscal_year)
    as_of_day = period.as_of.astimezone(BANGKOK).date()
    return first, max(first, min(last, as_of_day))


# ---- the main page -------------------------------------------------------------------------------------


def _percent(s: StepScore) -> Decimal:
    return s.percent if s.percent is not None else Decimal(-1)


SORTS: dict[str, Callable[[UnitScore, str], Any]] = {
    "district": lambda u, name: u.district,
    "name": lambda u, name: name,
    "n": lambda u, name: u.n,
    "step1": lambda u, name: u.step(1).points_exact,
    "step1_pct": lambda u, name: _percent(u.step(1)),
    "step2": lambda u, name: u.step(2).points_exact,
    "step2_pct": lambda u, name: _percent(u.step(2)),
    "step2_ded": lambda u, name: u.step(2).deductions,
    "step3": lambda u, name: u.step(3).points_exact,
    "step3_ded": lambda u, name: u.step(3).deductions,
    "total": lambda u, name: u.total_exact,
}


def page_error(template: str, error: BadInput, **context: Any) -> ResponseReturnValue:
    """The page with its form and the reason in words: 400, nothing scored."""
    args = {"fy": request.args.get("fy", "")[:40], "as_of": request.args.get("as_of", "")[:40]}
    if request.args.get("view") == LITERAL:
        args["view"] = LITERAL
    return render_template(template, error=error.message, form=args, **context), 400


@bp.get("/kpi")
@login_required
def kpi() -> ResponseReturnValue:
    try:
        period = read_period(request.args, clock.now())
    except BadInput as exc:
        return page_error("admin/kpi.html", exc)
    sort = request.args.get("sort", "")
    sort = sort if sort in SORTS else "district"
    descending = request.args.get("desc") == "1"
    districts = visible()
    names = {d.code: district_name(d) for d in districts}
    codes = [d.code for d in districts]
    units = score(period, codes, max_failures=0)  # the counts are exact; no explanation is needed here
    # Ties stay in district order whichever way the column is sorted (sort is stable, reverse too).
    units.sort(key=lambda u: u.district)
    if sort == "name":  # the districts' dictionary order (Thai) or alphabetical (English), as everywhere
        rank = {d.code: i for i, d in enumerate(districts)}
        units.sort(key=lambda u: rank.get(u.district, len(rank)), reverse=descending)
    else:
        units.sort(key=lambda u: SORTS[sort](u, names.get(u.district, u.name_th)), reverse=descending)
    handled = handled_total(handled_tables(period, codes))
    scheme = kpi_scheme()
    return render_template(
        "admin/kpi.html",
        period=period,
        form=form_of(period),
        query=period.query(),
        view=view_of(period, units),
        views=view_links(
            period, "admin.kpi", **{k: request.args[k] for k in ("sort", "desc") if k in request.args}
        ),
        pending=pending_total(units),
        units=units,
        names=names,
        sort=sort,
        descending=descending,
        window=window_text(period),
        full=scheme.points.full,
        maximum=scheme.points.maximum,
        handled=handled,
        target=handled_scheme().target_percent,
    )


# ---- one district --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One complaint that failed one step, with every reason it failed it."""

    step: int
    code: str
    reasons: tuple[Reason, ...]


def failures_of(unit: UnitScore, pending: bool = False) -> list[Failure]:
    """Grouped by step, then complaint (in the scorer's order: by complaint id); `pending`: the pending
    complaints instead (not in N: they could still become correct), with why they are not correct yet."""
    out: list[Failure] = []
    for step in unit.steps:
        grouped: dict[str, list[Reason]] = {}
        for r in step.pending_reasons if pending else step.failures:
            grouped.setdefault(r.code, []).append(r)
        out.extend(Failure(step.step, code, tuple(reasons)) for code, reasons in grouped.items())
    return out


def pending_of(unit: UnitScore) -> list[Failure]:
    return failures_of(unit, pending=True)


def outcome(step: StepScore, scheme: Kpi32Scheme, n: int) -> str:
    """What the 95 % rule (or step 3's deductions) made of the step, in words."""
    points = scheme.points
    threshold = points.full_points_at_percent
    if step.step == scheme.reporting.step:
        return text("kpi_outcome_step3").format(deduction=scheme.reporting.deduction)
    if step.of == 0 or n == 0:
        return text("kpi_outcome_empty_full" if points.empty == "full" else "kpi_outcome_empty_zero")
    if Fraction(step.correct * 100, step.of) >= Fraction(threshold):
        return text("kpi_outcome_full")
    return text("kpi_outcome_scaled").format(full=step.full, threshold=threshold)


def reason_text(r: Reason | MonthReason) -> str:
    return r.text_en if g.get("lang") == "en" else r.text_th


def seen_district(code: str) -> District:
    """The district, if the signed-in user may see it; 404 otherwise (as if it did not exist)."""
    if not code.isdigit() or len(code) > 4:
        abort(404)
    with transaction(services().sessions) as s:
        found = s.get(District, code)
        if found is None or not current_user.may_see(found.code):
            abort(404)
        s.expunge(found)
    return found


def form_of(period: Period) -> dict[str, str]:
    """The period form's values (the view rides along as a hidden field)."""
    values = {"fy": str(period.fiscal_year), "as_of": period.as_of_text}
    if period.literal:
        values["view"] = LITERAL
    return values


def view_links(period: Period, endpoint: str, **values: str) -> list[tuple[str, str, bool]]:
    """The view switch: (view, url, chosen) for the default view and the literal one, the period kept."""
    query = {k: v for k, v in period.query().items() if k != "view"}
    return [
        ("pending", url_for(endpoint, **values, **query), not period.literal),
        (LITERAL, url_for(endpoint, **values, **query, view=LITERAL), period.literal),
    ]


def page_number(value: str, pages: int) -> int:
    number = int(value) if value.isdigit() and len(value) < 7 else 1
    return min(max(number, 1), pages)


@bp.get("/kpi/<district>")
@login_required
def kpi_district(district: str) -> ResponseReturnValue:
    found = seen_district(district)
    name = district_name(found)
    try:
        period = read_period(request.args, clock.now())
    except BadInput as exc:
        return page_error("admin/kpi_district.html", exc, district=found, name=name)
    scheme = kpi_scheme()
    (unit,) = score(period, [found.code], max_failures=None)
    failures = failures_of(unit)
    waiting = pending_of(unit)
    pages = max(1, -(-len(failures) // FAILURES_PER_PAGE))
    number = page_number(request.args.get("page", "1"), pages)
    shown = failures[(number - 1) * FAILURES_PER_PAGE : number * FAILURES_PER_PAGE]
    handled = handled_tables(period, [found.code]).get(found.code, [])
    notes = [text("kpi_note_empty") if note.startswith("N = 0") else note for note in unit.notes]
    return render_template(
        "admin/kpi_district.html",
        district=found,
        name=name,
        period=period,
        form=form_of(period),
        query=period.query(),
        view=view_of(period, [unit]),
        views=view_links(period, "admin.kpi_district", district=found.code),
        start=unit.kpi_start_on,
        pending_list=waiting[:FAILURES_PER_PAGE],
        pending_count=len(waiting),
        unit=unit,
        step_names=STEP_NAMES_EN if g.get("lang") == "en" else STEP_NAMES_TH,
        outcomes={s.step: outcome(s, scheme, unit.n) for s in unit.steps},
        base_points={s.step: round_decimal(s.base_points, scheme.points.points_decimals) for s in unit.steps},
        threshold=scheme.points.full_points_at_percent,
        failures=shown,
        failure_count=len(failures),
        page=number,
        pages=pages,
        reason_text=reason_text,
        notes=notes,
        window=window_text(period),
        handled=handled,
        target=handled_scheme().target_percent,
    )


# ---- exports -------------------------------------------------------------------------------------------


def bad_export(error: BadInput) -> ResponseReturnValue:
    return render_template("admin/message.html", message=error.message), 400


def stamp(period: Period) -> str:
    return f"{period.fiscal_year}-{period.as_of.astimezone(BANGKOK):%Y%m%d}"


@bp.get("/kpi/export.<fmt>")
@login_required
def kpi_export(fmt: str) -> ResponseReturnValue:
    """The main page's table for the visible districts: CSV as the CLI writes it (BOM for Excel), or
    XLSX with headers in the page's language and seed 001's table on a second sheet."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    try:
        period = read_period(request.args, clock.now())
    except BadInput as exc:
        return bad_export(exc)
    districts = visible()
    codes = [d.code for d in districts]
    units = score(period, codes, max_failures=0)
    scheme = kpi_scheme()
    name = f"kpi32-{stamp(period)}"
    if fmt == "csv":
        body = "\ufeff" + to_csv(units, period.fiscal_year, scheme, period.as_of)
        return Response(
            body.encode("utf-8"),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    names = {d.code: district_name(d) for d in districts}
    book = Workbook(write_only=True)
    _scores_sheet(book, units, names, period)
    _handled_sheet(book, handled_tables(period, codes), names)
    data = io.BytesIO()
    book.save(data)
    return Response(
        data.getvalue(),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


SCORE_COLUMNS = ("kpi_col_fy", "kpi_col_as_of", "kpi_district_code", "kpi_district_name", "kpi_n",
                 "kpi_col_step1_correct", "kpi_col_step1_pending", "kpi_col_step1_percent",
                 "kpi_col_step1_points", "kpi_col_step2_correct", "kpi_col_step2_pending",
                 "kpi_col_step2_percent", "kpi_col_step2_deductions",
                 "kpi_col_step2_points", "kpi_col_step3_on_time", "kpi_col_step3_due",
                 "kpi_col_step3_deductions", "kpi_col_step3_points", "kpi_total", "kpi_maximum")  # fmt: skip
HANDLED_COLUMNS = ("kpi_district_code", "kpi_district_name", "kpi_col_from", "kpi_col_until",
                   "kpi_handled_received", "kpi_handled_resolved", "kpi_handled_percent",
                   "kpi_col_pending", "kpi_col_pending_percent", "kpi_col_met")  # fmt: skip


def _scores_sheet(book: Workbook, units: list[UnitScore], names: Mapping[str, str], period: Period) -> None:
    sheet = book.create_sheet(text("kpi_sheet_scores"))
    sheet.append([text(c) for c in SCORE_COLUMNS])
    as_of = day_filter(period.as_of)
    for u in units:
        s1, s2, s3 = u.step(1), u.step(2), u.step(3)
        sheet.append(
            [
                period.fiscal_year,
                as_of,
                u.district,
                names.get(u.district, u.name_th),
                u.n,
                s1.correct,
                s1.pending,
                s1.percent,
                s1.points,
                s2.correct,
                s2.pending,
                s2.percent,
                s2.deductions,
                s2.points,
                s3.correct,
                s3.of,
                s3.deductions,
                s3.points,
                u.total,
                u.maximum,
            ]  # fmt: skip
        )


def _handled_sheet(book: Workbook, tables: Mapping[str, list[HandledRow]], names: Mapping[str, str]) -> None:
    sheet = book.create_sheet(text("kpi_sheet_handled"))
    sheet.append([text(c) for c in HANDLED_COLUMNS])
    everyone = ("", text("kpi_handled_all"), handled_total(tables))
    for code, name, rows in [*((c, names.get(c, c), r) for c, r in tables.items()), everyone]:
        for r in rows:
            sheet.append(
                [
                    code,
                    name,
                    day_filter(r.start),
                    day_filter(r.until),
                    r.received,
                    r.resolved,
                    r.percent,
                    r.pending,
                    r.pending_percent,
                    met(r),
                ]  # fmt: skip
            )


def met(r: HandledRow) -> str:
    return "" if r.met_target is None else text("kpi_yes" if r.met_target else "kpi_no")


FAILURE_COLUMNS = ("code", "step", "rule", "text_th", "text_en")


@bp.get("/kpi/<district>/failures.csv")
@login_required
def kpi_failures(district: str) -> ResponseReturnValue:
    """Every failing complaint of the district, one row per reason (a complaint may fail for several)."""
    found = seen_district(district)
    try:
        period = read_period(request.args, clock.now())
    except BadInput as exc:
        return bad_export(exc)
    (unit,) = score(period, [found.code], max_failures=None)
    name = f"kpi32-{found.code}-{stamp(period)}-failures.csv"
    return Response(
        "".join(_failure_lines(unit)).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _failure_lines(unit: UnitScore) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FAILURE_COLUMNS)
    yield "\ufeff" + out.getvalue()
    for r in unit.failures:
        out.seek(0)
        out.truncate()
        writer.writerow((r.code, r.step, r.rule, r.text_th, r.text_en))
        yield out.getvalue()
