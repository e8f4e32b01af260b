"""`/open-data`: the public fields of every complaint as CSV (UTF-8 with BOM, for Excel) and GeoJSON.

Both are streamed a batch of rows at a time (`models.open_data`), so a download of a million complaints
holds no more memory than one of a hundred. `from` and `to` (YYYY-MM-DD, Bangkok days) narrow it to the
complaints received in that period.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from bot.public_pages import public_texts, reader_language
from bot.services import Services
from models.db import transaction
from models.open_data import FIELDS, TEXT_COLUMNS, PublicRow, public_rows

log = logging.getLogger(__name__)
bp = Blueprint("open_data", __name__, template_folder="templates")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


class BadPeriod(ValueError):
    pass


@bp.get("/open-data")
def index() -> ResponseReturnValue:
    lang = reader_language()
    t = public_texts(lang)
    services: Services = current_app.extensions["rongtook"]
    fields = [(name, t(f"field_{name}")) for name in FIELDS]
    return render_template(
        "public/open_data.html", lang=lang, t=t, fields=fields, licence=services.settings.open_data_licence
    )


@bp.get("/open-data/complaints.csv")
def complaints_csv() -> ResponseReturnValue:
    return _download("csv")


@bp.get("/open-data/complaints.geojson")
def complaints_geojson() -> ResponseReturnValue:
    return _download("geojson")


def _download(kind: str) -> ResponseReturnValue:
    lang = reader_language()
    try:
        since, until = _day("from"), _day("to")
        if since and until and since > until:
            raise BadPeriod(public_texts(lang)("open_data_bad_order"))
    except BadPeriod as exc:
        log.info("open data: refused %s", request.query_string[:200])
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    services: Services = current_app.extensions["rongtook"]
    settings = services.settings
    coarse = settings.public_coarse_categories

    def rows() -> Iterator[list[PublicRow]]:
        with transaction(services.read_sessions) as session:
            yield from public_rows(session, since=since, until=until, coarse=coarse)

    body = _csv(rows()) if kind == "csv" else _geojson(rows(), settings.open_data_licence)
    name = "rongtook-complaints" + (f"-{since or ''}-{until or ''}" if since or until else "")
    mimetype = "text/csv" if kind == "csv" else "application/geo+json"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["X-License"] = settings.open_data_licence
    return response


def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(
            public_texts(reader_language())("open_data_bad_date", name=name, value=text[:20])
        ) from None


def _csv(batches: Iterator[list[PublicRow]]) -> Iterator[str]:
    """A batch of rows (models.open_data.BATCH) per piece of the answer; the formula check only on the
    text columns: the others are timestamps, numbers (a negative one is no formula) and codes the app
    writes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    yield "\ufeff" + _take(out)  # the BOM: Excel then reads the Thai as UTF-8
    texts = TEXT_COLUMNS
    for batch in batches:
        for row in batch:
            for value in row[texts]:
                if value is not None and value.startswith(FORMULA_STARTS):
                    row = _neutralised(row)  # rare: a name an admin typed that starts like a formula
                    break
            writer.writerow(row)
        yield _take(out)


def _neutralised(row: PublicRow) -> PublicRow:
    return tuple(_cell(value) for value in row[TEXT_COLUMNS]) + row[TEXT_COLUMNS.stop :]


def _take(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def _cell(value: Any) -> Any:
    """A text a spreadsheet would take for a formula is kept as text (its first character quoted)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _geojson(batches: Iterator[list[PublicRow]], licence: str) -> Iterator[str]:
    yield '{"type":"FeatureCollection","license":' + json.dumps(licence, ensure_ascii=False) + ',"features":['
    first = True
    for batch in batches:
        chunk: list[str] = []
        for row in batch:
            properties = dict(zip(FIELDS, row, strict=True))
            latitude, longitude = properties["latitude"], properties["longitude"]
            geometry = None if latitude is None else {"type": "Point", "coordinates": [longitude, latitude]}
            feature = {"type": "Feature", "geometry": geometry, "properties": properties}
            chunk.append(("" if first else ",") + json.dumps(feature, ensure_ascii=False))
            first = False
        yield "".join(chunk)
    yield "]}"
