"""CSV and XLSX of the filtered complaint list, with headers in the page's language.

The same `Filters` and the same district scope as the page: a district user's export holds their
district only. CSV starts with a BOM so Excel opens the Thai text as UTF-8; rows are streamed.
Moments are Bangkok's wall clock: in XLSX real date cells (they sort and filter as dates), shown with
the Buddhist-Era year to Thai readers (`8 ธ.ค. 2569 09:00`); in CSV ISO text, `2026-12-08 09:00`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Response, abort, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import login_required
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from admin.views import Filters, bp, lang, services, text
from models import Complaint
from models.clock import BANGKOK, clock
from models.db import transaction
from models.districts import District

COLUMNS = ("code", "received", "district", "category", "channel", "status", "description", "ack_due",
           "col_acknowledged", "first_progress_due", "col_resolved", "rating")  # fmt: skip
BATCH = 1000
# How a moment cell reads: Thai month and Buddhist-Era year (Excel's Thai calendar, LCID 041E, calendar
# 07, Western digits) for Thai readers; `8 Dec 2026 09:00` for others. The value is the same date.
XLSX_THAI_CALENDAR = "[$-107041E]"
XLSX_MOMENT = {"th": f"{XLSX_THAI_CALENDAR}d mmm yyyy hh:mm", "en": "d mmm yyyy hh:mm"}
XLSX_WIDTHS = {"code": 12, "received": 20, "district": 18, "category": 16, "description": 60, "ack_due": 20,
               "col_acknowledged": 20, "first_progress_due": 20, "col_resolved": 20}  # fmt: skip


@bp.get("/complaints/export.<fmt>")
@login_required
def export(fmt: str) -> ResponseReturnValue:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = Filters.read(request.args)
    if filters.bad_days:
        return render_template("admin/message.html", message=text("bad_date", value=filters.bad_days[0])), 400
    stamp = clock.now().astimezone(BANGKOK).strftime("%Y%m%d-%H%M")
    headers = [text(c) for c in COLUMNS]
    if fmt == "csv":
        body = stream_with_context(_csv(headers, filters))
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="complaints-{stamp}.csv"'},
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(text("complaints"))
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = XLSX_WIDTHS.get(column, 12)
    sheet.append(headers)
    moment = XLSX_MOMENT.get(lang(), XLSX_MOMENT["en"])
    for row in _rows(filters):
        sheet.append([_xlsx_cell(sheet, value, moment) for value in row])
    data = io.BytesIO()
    book.save(data)
    return Response(
        data.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="complaints-{stamp}.xlsx"'},
    )


def _csv(headers: list[str], filters: Filters) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    yield "\ufeff" + out.getvalue()
    for row in _rows(filters):
        out.seek(0)
        out.truncate()
        writer.writerow([f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime) else v for v in row])
        yield out.getvalue()


def _rows(filters: Filters) -> Iterator[list[Any]]:
    with transaction(services().sessions) as s:
        names = {d.code: d.name_th for d in s.scalars(select(District))}
        stmt = filters.statement(clock.now()).execution_options(yield_per=BATCH)
        for c in s.scalars(stmt):
            yield _row(c, names)


def _row(c: Complaint, names: dict[str, str]) -> list[Any]:
    return [
        c.tracking_code,
        _local(c.created_at),
        names.get(c.district_code or "", text("centre")),
        c.category or "",
        text(f"channel_{c.channel}"),
        text(c.status),
        c.description,
        _local(c.ack_due_at),
        _local(c.acknowledged_at),
        _local(c.first_progress_due_at),
        _local(c.resolved_at),
        c.rating or "",
    ]


def _local(moment: datetime | None) -> datetime | str:
    """A moment as Bangkok's wall clock without its zone (a spreadsheet has none); "" for none."""
    if moment is None:
        return ""
    return moment.astimezone(BANGKOK).replace(tzinfo=None, microsecond=0)


def _xlsx_cell(sheet: Any, value: Any, number_format: str) -> Any:
    if not isinstance(value, datetime):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell
