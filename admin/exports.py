"""CSV and XLSX of the filtered complaint list, with Thai headers and Buddhist-Era dates.

The same `Filters` and the same district scope as the page: a district user's export holds their
district only. CSV starts with a BOM so Excel opens the Thai text as UTF-8; rows are streamed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Response, abort, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import login_required
from openpyxl import Workbook
from sqlalchemy import select

from admin.views import Filters, bp, day_filter, services, text
from models import Complaint
from models.clock import BANGKOK, clock
from models.db import transaction
from models.districts import District

COLUMNS = ("code", "received", "district", "category", "status", "description", "ack_due",
           "col_acknowledged", "first_progress_due", "col_resolved", "rating")  # fmt: skip
BATCH = 1000


@bp.get("/complaints/export.<fmt>")
@login_required
def export(fmt: str) -> ResponseReturnValue:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = Filters.read(request.args)
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
    sheet.append(headers)
    for row in _rows(filters):
        sheet.append(row)
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
        writer.writerow(row)
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
        day_filter(c.created_at),
        names.get(c.district_code or "", text("centre")),
        c.category or "",
        text(c.status),
        c.description,
        day_filter(c.ack_due_at) if c.ack_due_at else "",
        day_filter(c.acknowledged_at) if c.acknowledged_at else "",
        day_filter(c.first_progress_due_at) if c.first_progress_due_at else "",
        day_filter(c.resolved_at) if c.resolved_at else "",
        c.rating or "",
    ]
