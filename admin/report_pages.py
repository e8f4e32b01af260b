"""The monthly reports page: CPL_R001 and CPL_R003 of one district and month, and step 3's submissions.

The reports are `kpi.reports` (the same as `rongtook report cpl-r00x`), shown as tables and offered
as CSV/XLSX; the submissions are `kpi.submissions` (as `rongtook report submit/submissions`). A
district user reads their own district only: another one, by URL or form, is 404 like a district
that does not exist. Only a district's head, or the centre recording a summary it received, may
mark the summary submitted; the first submission stands.

Time: the views read the app's clock (`models.clock`, which tests set); the GET pages also take an
optional `as_of` query parameter (ISO 8601, Bangkok if no zone) to show the facts as of a moment.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admin.exports import NS_MAIN, NS_REL, PARTS, XLSX_THAI_CALENDAR, XML_HEAD, escaped
from admin.views import (
    BANGKOK,
    bp,
    day_filter,
    district_name,
    lang,
    roles_required,
    services,
    text,
    visible_districts,
)
from kpi.reports import R001_COLUMNS, WRITERS, BacklogItem, Cell, Report, cpl_r001, cpl_r003, display_width
from kpi.source import fiscal_year_of
from kpi.submissions import (
    SubmissionRefused,
    be_month,
    first_of,
    month_bounds,
    month_key,
    next_month,
    on_time,
    parse_month,
    report_due,
    submission,
    submissions,
    submit_month,
    thai_month,
)
from kpi.wording import kpi_text
from models import MonthlyReport
from models.clock import clock
from models.db import transaction
from models.districts import District

REPORTS = {"cpl-r001": cpl_r001, "cpl-r003": cpl_r003}
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# An XLSX's date cells as Thai readers read a day (`5 ต.ค. 2569`), still dates.
THAI_DAY_FORMAT = f"{XLSX_THAI_CALENDAR}d mmm yyyy"
# Months outside these years are a typo (or a probe): the reports' date arithmetic stays in range.
FIRST_YEAR, LAST_YEAR = 2000, 2200


class BadInput(ValueError):
    """Input a page cannot use; `key` is the text shown, with status 400."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


# ---- helpers shared with the audit page --------------------------------------------------------------


def read_month(raw: str | None, default: date | None = None) -> date:
    """A month typed as BE "2569-11" or CE "2026-11"; blank gives `default` (none: refused)."""
    if raw is None or not raw.strip():
        if default is None:
            raise BadInput("rp_bad_month")
        return default
    try:
        month = parse_month(raw[:20])
    except ValueError:
        raise BadInput("rp_bad_month") from None
    if not FIRST_YEAR <= month.year <= LAST_YEAR:
        raise BadInput("rp_bad_month")
    return month


def read_moment() -> datetime:
    """The `as_of` query parameter, or now."""
    raw = request.args.get("as_of", "").strip()
    if not raw:
        return clock.now()
    try:
        moment = datetime.fromisoformat(raw[:40])
    except ValueError:
        raise BadInput("rp_bad_moment") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise BadInput("rp_bad_moment")
    return moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)


def month_before(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def previous_month(moment: datetime) -> date:
    """The month before the one `moment` falls in, in Bangkok (the month usually reported on)."""
    return month_before(moment.astimezone(BANGKOK).date().replace(day=1))


def month_label(month: date) -> str:
    """ "ตุลาคม 2569" for Thai readers, "October 2026" for others."""
    return thai_month(month) if lang() == "th" else f"{month:%B} {month.year}"


def bad_input(key: str, status: int = 400) -> ResponseReturnValue:
    return render_template("admin/message.html", message=text(key)), status


def local_day(moment: datetime) -> date:
    return moment.astimezone(BANGKOK).date()


# ---- districts -----------------------------------------------------------------------------------------


def district_for(s: Session, code: str) -> District | None:
    """The district if it exists and the signed-in user may see it; None is a 404 either way."""
    if not code or len(code) > 10 or not current_user.may_see(code):
        return None
    return s.get(District, code)


# ---- the page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One report as the page shows it: title, subtitle, headers and rows as text."""

    key: str  # cpl-r001 | cpl-r003
    title: str
    subtitle: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_keys: tuple[str, ...]  # CPL_R003's line keys (received, resolved …), for readers and tests

    @classmethod
    def of(cls, key: str, report: Report) -> Shown:
        row_keys = tuple(str(getattr(item, "key", getattr(item, "code", ""))) for item in report.items)
        return cls(
            key,
            report.title,
            report.subtitle,
            report.headers,
            tuple(tuple(cell_text(c) for c in row) for row in report.rows),
            row_keys,
        )


def cell_text(cell: Cell) -> str:
    if cell is None:
        return "–"
    return f"{cell:.2f}" if isinstance(cell, Decimal) else str(cell)


@dataclass(frozen=True)
class MonthState:
    """One month of the fiscal year's submissions table."""

    month: date
    be: str
    label: str
    due: date
    submitted_at: datetime | None
    submitted_by: str | None
    state: str  # on_time | late | missing | not_due


def month_states(s: Session, district: str, fy: int, now: datetime) -> list[MonthState]:
    """Each month of fiscal year `fy`: due date, when and by whom submitted, and the verdict at `now`."""
    rows = submissions(s, district, fy)
    months = [r.month for r in rows]
    # Who submitted is not in `submissions`; the same rows read once more, for their `submitted_by`.
    by = dict(
        s.execute(
            select(MonthlyReport.month, MonthlyReport.submitted_by).where(
                MonthlyReport.district_code == district,
                MonthlyReport.month.in_([month_key(m) for m in months]),
            )
        ).all()
    )
    states = []
    for row in rows:
        due = report_due(row.month)
        if row.submitted_at is not None:
            state = "on_time" if on_time(row.month, row.submitted_at) else "late"
        else:
            state = "missing" if now > due else "not_due"
        states.append(
            MonthState(
                row.month,
                be_month(row.month),
                month_label(row.month),
                due.date(),
                row.submitted_at,
                by.get(month_key(row.month)),
                state,
            )
        )
    return states


def may_submit(district: str) -> bool:
    """The district's head, or the centre recording a summary it received (RULES §6 step 3)."""
    if current_user.role == "admin":
        return True
    return current_user.role == "head" and current_user.district_code == district


@bp.get("/reports")
@login_required
def reports() -> ResponseReturnValue:
    try:
        now = read_moment()
        month = read_month(request.args.get("month"), previous_month(now))
    except BadInput as exc:
        return _page(error=text(exc.key), month_text=request.args.get("month", "")[:20]), 400
    fixed = current_user.role not in ("admin", "viewer")
    wanted = request.args.get("district", "").strip()[:10] or (current_user.district_code if fixed else "")
    with transaction(services().sessions) as s:
        choices = [(d.code, district_name(d)) for d in visible_districts(s)]
        if not wanted:  # the centre and viewers first choose a district
            return _page(month=month, choices=choices, month_text=be_month(month))
        district = district_for(s, wanted)
        if district is None:
            return bad_input("rp_no_district", 404)
        shown = [
            Shown.of("cpl-r001", cpl_r001(s, district.code, month, now)),
            Shown.of("cpl-r003", cpl_r003(s, district.code, month, now)),
        ]
        fy = fiscal_year_of(month)
        states = month_states(s, district.code, fy, now)
        name = district_name(district)
        code = district.code
    this = next(m for m in states if m.month == month)
    as_of = request.args.get("as_of", "").strip()[:40]
    return _page(
        month=month,
        month_text=be_month(month),
        choices=choices,
        district=code,
        name=name,
        shown=shown,
        fy=fy,
        states=states,
        this=this,
        ended=now >= month_bounds(month)[1],
        can_submit=may_submit(code),
        as_of=as_of,
        links={"as_of": as_of} if as_of else {},
    )


def _page(**values: object) -> str:
    values.setdefault("month", None)
    values.setdefault("choices", [])
    values.setdefault("district", "")
    values.setdefault("fixed", current_user.role not in ("admin", "viewer"))
    return render_template(
        "admin/reports.html",
        be_month=be_month,
        month_label=month_label,
        month_before=month_before,
        next_month=next_month,
        **values,
    )


# ---- the files ------------------------------------------------------------------------------------------


@bp.get("/reports/<district>/<month>/<report>.<fmt>")
@login_required
def report_file(district: str, month: str, report: str, fmt: str) -> ResponseReturnValue:
    if report not in REPORTS or fmt not in WRITERS:
        return bad_input("rp_no_report", 404)
    try:
        now = read_moment()
        chosen = read_month(month)
    except BadInput as exc:
        return bad_input(exc.key)
    with transaction(services().sessions) as s:
        row = district_for(s, district)
        if row is None:
            return bad_input("rp_no_district", 404)
        made = with_date_cells(REPORTS[report](s, row.code, chosen, now))
    data = report_xlsx(made) if fmt == "xlsx" else WRITERS[fmt](made)
    return Response(
        data,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{made.file_name(fmt)}"'},
    )


def with_date_cells(report: Report) -> Report:
    """The report with its days as dates, not the page's Thai text: a file's date column then holds real
    date cells in XLSX (they sort and filter as dates) and ISO days (2026-11-05) in CSV. In CPL_R001 that
    is the day the district received each complaint; CPL_R003 has no date column."""
    if report.code != "CPL_R001":
        return report
    at = R001_COLUMNS.index("received")
    rows = tuple(
        (*row[:at], item.received, *row[at + 1 :])
        for row, item in zip(report.rows, report.items, strict=True)
        if isinstance(item, BacklogItem)
    )
    return dataclasses.replace(report, rows=rows)


# ---- the XLSX, written directly -------------------------------------------------------------------------
#
# The file looks as `kpi.reports.to_xlsx` makes it for `rongtook report` (bold title and as-of line over the
# table, bold shaded headers with borders, frozen under them, widths by the longest text), with the days as
# date cells. openpyxl takes about 0.5 ms a cell for that (a style object per cell, its XML in pure Python):
# a second for a district's backlog of 2,000. Written here as the sheet's XML, it takes a few milliseconds.


def _xf(number: int = 0, font: int = 0, fill: int = 0, border: int = 0, align: str = "") -> str:
    """One cell style: number format, font, fill, border and alignment by their ids in the style sheet."""
    applied = "".join(
        f' apply{name}="1"'
        for name, on in (
            ("NumberFormat", number),
            ("Font", font),
            ("Fill", fill),
            ("Border", border),
            ("Alignment", align),
        )
        if on
    )
    inner = f"<alignment {align}/>" if align else ""
    ids = f'numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
    return f"<xf {ids}{applied}>{inner}</xf>"


TOP = 'vertical="top"'
CELL_STYLES = (  # by their index, the `s` of a cell
    _xf(),  # 0 plain
    _xf(font=1),  # 1 the title
    _xf(font=2),  # 2 the as-of line
    _xf(font=3, fill=2, border=1, align='horizontal="center" vertical="center" wrapText="1"'),  # 3 a header
    _xf(align=f'{TOP} wrapText="1"'),  # 4 a text
    _xf(align=TOP),  # 5 a number
    _xf(number=2, align=TOP),  # 6 a percentage, "0.00"
    _xf(number=164, align=TOP),  # 7 a day (the Thai day format)
)
THIN = "".join(
    f'<{side} style="thin"><color rgb="FF999999"/></{side}>' for side in ("left", "right", "top", "bottom")
)
REPORT_STYLES = (
    XML_HEAD
    + f'<styleSheet xmlns="{NS_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="{{}}"/></numFmts>'
    '<fonts count="4"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/></font><font><i/><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="3">'
    '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill></fills>'
    f'<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border>{THIN}<diagonal/>'
    '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    f'</cellStyleXfs><cellXfs count="{len(CELL_STYLES)}">{"".join(CELL_STYLES)}</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
HEADER_ROW = 4


def _width(text: str) -> int:
    return len(text) if text.isascii() else display_width(text)


def _shown(cell: object) -> str:
    """A cell as `kpi.reports` writes it in text (for the column widths)."""
    if cell is None:
        return ""
    return f"{cell:.2f}" if isinstance(cell, Decimal) else str(cell)


def _cell(ref: str, value: object, style: int) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f'<c r="{ref}" s="6"><v>{float(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="7"><v>{to_excel(value)}</v></c>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}" s="{style if style != 4 else 5}"><v>{value}</v></c>'
    words = escaped(str(value))
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{words}</t></is></c>'


def report_xlsx(report: Report) -> bytes:
    """The report as an XLSX file: one sheet named by its code, the days as date cells (`5 ต.ค. 2569`)."""
    letters = [get_column_letter(i) for i in range(1, len(report.headers) + 1)]
    last = letters[-1]
    widths = []
    for col, header in enumerate(report.headers):
        longest = max([_width(header), *(_width(_shown(row[col])) for row in report.rows)])
        widths.append(min(max(longest + 2, 8), 60))
    lines = [
        f'<row r="1">{_cell("A1", report.title, 1)}</row>',
        f'<row r="2">{_cell("A2", report.subtitle, 2)}</row>',
        f'<row r="{HEADER_ROW}">'
        + "".join(
            _cell(f"{letter}{HEADER_ROW}", h, 3) for letter, h in zip(letters, report.headers, strict=True)
        )
        + "</row>",
    ]
    for number, row in enumerate(report.rows, start=HEADER_ROW + 1):
        cells = "".join(
            _cell(f"{letter}{number}", value, 4) for letter, value in zip(letters, row, strict=False)
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    if not report.rows:
        nothing = _cell(f"A{HEADER_ROW + 1}", kpi_text("report_no_rows", "th"), 0)
        lines.append(f'<row r="{HEADER_ROW + 1}">{nothing}</row>')
    first = f"A{HEADER_ROW + 1}"
    sheet = (
        f'{XML_HEAD}<worksheet xmlns="{NS_MAIN}"><sheetViews><sheetView workbookViewId="0">'
        f'<pane ySplit="{HEADER_ROW}" topLeftCell="{first}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="{first}" sqref="{first}"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><cols>'
        + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        + "</cols><sheetData>"
        + "".join(lines)
        + f'</sheetData><mergeCells count="2"><mergeCell ref="A1:{last}1"/><mergeCell ref="A2:{last}2"/>'
        "</mergeCells></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, body in PARTS.items():
            book.writestr(name, body)
        book.writestr("xl/styles.xml", REPORT_STYLES.format(escaped(THAI_DAY_FORMAT)))
        book.writestr(
            "xl/workbook.xml",
            XML_HEAD + f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets>'
            f'<sheet name="{escaped(report.code)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


# ---- step 3: the summary submitted -------------------------------------------------------------------


@bp.post("/reports/<district>/<month>/submit")
@roles_required("admin", "head")
def report_submit(district: str, month: str) -> ResponseReturnValue:
    try:
        chosen = read_month(month)
    except BadInput as exc:
        return bad_input(exc.key)
    now = clock.now()
    with transaction(services().sessions) as s:
        row = district_for(s, district)
        if row is None:
            return bad_input("rp_no_district", 404)
        if not may_submit(row.code):  # a head of another district cannot see it either: 404 above
            return bad_input("forbidden", 403)
        code = row.code
        before = submission(s, code, chosen)
        try:
            with s.begin_nested():  # the same month submitted at the same instant elsewhere: theirs stands
                stored = submit_month(s, code, chosen, now, current_user.username)
        except IntegrityError:  # the savepoint is rolled back; nothing else was written
            flash(text("rp_submitted_meanwhile", month=month_label(chosen)))
            return redirect(url_for("admin.reports", district=code, month=be_month(chosen)))
        except SubmissionRefused as exc:  # refused before anything was written
            ended = now >= month_bounds(first_of(chosen))[1]
            flash(
                text("rp_refused", reason=str(exc))
                if ended
                else text("rp_not_ended", month=month_label(chosen))
            )
            return redirect(url_for("admin.reports", district=code, month=be_month(chosen)))
        at = stored.submitted_at
    due = report_due(chosen)
    verdict = text("rp_state_on_time" if on_time(chosen, at) else "rp_state_late")
    values = {"month": month_label(chosen), "verdict": verdict, "due": day_filter(due.date())}
    if before is not None:
        flash(text("rp_already_submitted", at=day_filter(at), **values))
    else:
        flash(text("rp_done_submit", **values))
    return redirect(url_for("admin.reports", district=code, month=be_month(chosen)))
