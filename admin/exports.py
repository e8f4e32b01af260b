"""CSV and XLSX of the filtered complaint list, with headers in the page's language.

The same `Filters` and the same district scope as the page: a district user's export holds their
district only. CSV starts with a BOM so Excel opens the Thai text as UTF-8. Both are streams, and the
web process's memory does not grow with the rows: on PostgreSQL the CSV's rows are made by PostgreSQL
and passed on from COPY as they come (`_copied`); the XLSX's (and on SQLite the CSV's) come in batches
from a server-side cursor, only the columns written, each written as it comes and sent a hundred rows at
a time, the XLSX as its ZIP is written (`SheetWriter`).
Moments are Bangkok's wall clock: in XLSX real date cells (they sort and filter as dates), shown with
the Buddhist-Era year to Thai readers (`8 ธ.ค. 2569 09:00`); in CSV ISO text, `2026-12-08 09:00`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Response, abort, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import login_required
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from admin.views import CHANNELS, Filters, bp, lang, services, text
from models import Complaint
from models.clock import BANGKOK, clock
from models.complaints import ComplaintStatus
from models.db import transaction
from models.districts import District

COLUMNS = ("code", "received", "district", "category", "channel", "status", "description", "ack_due",
           "col_acknowledged", "first_progress_due", "col_resolved", "rating")  # fmt: skip
BATCH = 1000  # rows a fetch from the server-side cursor (the XLSX, and the CSV on SQLite)
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
    words = Words.read()
    if fmt == "csv":
        body = stream_with_context(_csv(headers, filters, words))
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="complaints-{stamp}.csv"'},
        )
    sheet = SheetWriter(
        text("complaints"),
        [XLSX_WIDTHS.get(column, 12) for column in COLUMNS],
        XLSX_MOMENT.get(lang(), XLSX_MOMENT["en"]),
    )
    return Response(
        stream_with_context(sheet.stream(headers, _rows(filters, words))),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="complaints-{stamp}.xlsx"'},
    )


class Words:
    """The words an export writes for codes (channels, statuses, the centre), looked up once, not per row."""

    def __init__(self, channels: dict[str, str], statuses: dict[str, str], centre: str) -> None:
        self.channels, self.statuses, self.centre = channels, statuses, centre

    @classmethod
    def read(cls) -> Words:
        return cls(
            {c: text(f"channel_{c}") for c in CHANNELS},
            {st.value: text(st.value) for st in ComplaintStatus},
            text("centre"),
        )


def _csv(headers: list[str], filters: Filters, words: Words) -> Iterator[str | bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    yield "\ufeff" + out.getvalue()
    out.seek(0)
    out.truncate()
    with transaction(services().sessions) as s:
        if s.get_bind().dialect.name == "postgresql":
            yield from _copied(s, filters, words)
            return
    for n, row in enumerate(_rows(filters, words), start=1):
        writer.writerow([f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime) else v for v in row])
        if n % 100 == 0:  # pieces of a hundred rows: fewer, larger writes to the socket
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


COPY_PIECE = 64 * 1024


def _copied(s: Session, filters: Filters, words: Words) -> Iterator[bytes]:
    """On PostgreSQL the CSV's rows are PostgreSQL's own: the list's statement, its columns written as the
    Python path writes them (Bangkok's wall clock, the words of the page's language, the district's name),
    given by COPY ... TO STDOUT as it reads them. Python only passes the bytes on: 20,000 complaints in
    about the time of the bare COPY, where making and writing each row in Python took seconds."""

    def moment(column: Any) -> Any:
        return func.to_char(func.timezone(str(BANGKOK), column), "YYYY-MM-DD HH24:MI")

    columns = (
        Complaint.tracking_code,
        moment(Complaint.created_at),
        func.coalesce(District.name_th, words.centre),
        func.nullif(Complaint.category, ""),
        case(words.channels, value=Complaint.channel, else_=Complaint.channel),
        case(words.statuses, value=Complaint.status, else_=Complaint.status),
        func.nullif(Complaint.description, ""),
        moment(Complaint.ack_due_at),
        moment(Complaint.acknowledged_at),
        moment(Complaint.first_progress_due_at),
        moment(Complaint.resolved_at),
        Complaint.rating,
    )
    stmt = (
        filters.statement(clock.now())
        .with_only_columns(*columns)
        .outerjoin(District, District.code == Complaint.district_code)
    )
    compiled = stmt.compile(dialect=s.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    raw = s.connection().connection.driver_connection
    pieces: list[bytes] = []
    size = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params) as copy,
    ):
        for block in copy:
            pieces.append(bytes(block))
            size += len(block)
            if size >= COPY_PIECE:
                yield b"".join(pieces)
                pieces.clear()
                size = 0
    yield b"".join(pieces)


# Only the columns written, not whole complaints: no objects to build, and no column not exported read.
EXPORTED = (
    Complaint.tracking_code,
    Complaint.created_at,
    Complaint.district_code,
    Complaint.category,
    Complaint.channel,
    Complaint.status,
    Complaint.description,
    Complaint.ack_due_at,
    Complaint.acknowledged_at,
    Complaint.first_progress_due_at,
    Complaint.resolved_at,
    Complaint.rating,
)


def _rows(filters: Filters, words: Words) -> Iterator[list[Any]]:
    with transaction(services().sessions) as s:
        names = {d.code: d.name_th for d in s.scalars(select(District))}
        stmt = filters.statement(clock.now()).with_only_columns(*EXPORTED)
        for row in s.execute(stmt.execution_options(yield_per=BATCH)):
            yield _row(row, names, words)


def _row(c: Any, names: dict[str, str], words: Words) -> list[Any]:
    return [
        c.tracking_code,
        _local(c.created_at),
        names.get(c.district_code or "", words.centre),
        c.category or "",
        words.channels.get(c.channel, c.channel),
        words.statuses.get(c.status, c.status),
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


# ---- XLSX, written as it streams ---------------------------------------------------------------------
#
# openpyxl, even write-only, spends about 0.3 ms a row here (its XML is written element by element, in pure
# Python without lxml): 6 s for 20,000 complaints. A sheet of plain rows needs little of what it does, so
# the export writes the few parts of the file itself: one sheet of inline strings, numbers and date cells
# (a style with the moment's number format), its column widths, the header row first. The ZIP is written
# as it goes to the response (sizes in data descriptors, as any streaming ZIP), a hundred rows a piece.

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
OOXML = "application/vnd.openxmlformats-officedocument"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PARTS = {
    "[Content_Types].xml": XML_HEAD
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OOXML}.spreadsheetml.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OOXML}.spreadsheetml.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{OOXML}.spreadsheetml.styles+xml"/></Types>',
    "_rels/.rels": XML_HEAD
    + f'<Relationships xmlns="{NS_PKG}"><Relationship Id="rId1" Type="{NS_REL}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/_rels/workbook.xml.rels": XML_HEAD
    + f'<Relationships xmlns="{NS_PKG}"><Relationship Id="rId1" Type="{NS_REL}/worksheet" '
    f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{NS_REL}/styles" Target="styles.xml"/>'
    "</Relationships>",
}
STYLES = (  # style 0: as Excel's default; style 1: a moment, number format 164
    XML_HEAD + f'<styleSheet xmlns="{NS_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="{{}}"/>'
    '</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2">'
    '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
# XML 1.0 has no place for most control characters (a pasted text may hold them): they are left out.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ROWS_A_PIECE = 100


def escaped(value: str) -> str:
    """Text for XML: markup characters escaped, characters XML has no place for left out."""
    return (
        NOT_XML.sub("", value)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


class _Pipe(io.RawIOBase):
    """Where the ZIP is written: what it holds so far, taken piece by piece for the response (no seek)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


class SheetWriter:
    """One sheet of rows as an XLSX file, written as the rows come."""

    def __init__(self, title: str, widths: list[float], moment_format: str) -> None:
        self.title = escaped(re.sub(r"[\[\]:*?/\\]", " ", title)[:31])
        self.widths = widths
        self.moment_format = escaped(moment_format)
        self.letters = [get_column_letter(i) for i in range(1, len(widths) + 1)]

    def stream(self, headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
        pipe = _Pipe()
        with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
            for name, body in PARTS.items():
                book.writestr(name, body)
            book.writestr("xl/styles.xml", STYLES.format(self.moment_format))
            book.writestr(
                "xl/workbook.xml",
                XML_HEAD + f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets>'
                f'<sheet name="{self.title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
            )
            yield pipe.take()
            with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
                cols = "".join(
                    f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                    for i, w in enumerate(self.widths, 1)
                )
                sheet.write(f'{XML_HEAD}<worksheet xmlns="{NS_MAIN}"><cols>{cols}</cols><sheetData>'.encode())
                batch = [self.row(1, headers)]
                for number, row in enumerate(rows, start=2):
                    batch.append(self.row(number, row))
                    if len(batch) >= ROWS_A_PIECE:
                        sheet.write("".join(batch).encode())
                        batch.clear()
                        yield pipe.take()
                sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())
        yield pipe.take()

    def row(self, number: int, values: list[Any]) -> str:
        cells = []
        for letter, value in zip(self.letters, values, strict=False):
            if value is None or value == "":
                continue
            ref = f"{letter}{number}"
            if isinstance(value, datetime):  # a day and its fraction since Excel's epoch, styled as a moment
                cells.append(f'<c r="{ref}" s="1"><v>{to_excel(value)}</v></c>')
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                words = escaped(str(value))
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{words}</t></is></c>')
        return f'<row r="{number}">{"".join(cells)}</row>'
