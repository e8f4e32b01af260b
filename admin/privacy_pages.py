"""The admins' personal-data pages (issue 17, points 7 and 9).

    GET  /admin/privacy/access                      who looked at personal fields: by user, complaint, days
    GET  /admin/privacy/access.csv                  the same rows as CSV
    GET  /admin/privacy/requests                    copy and erasure requests received by phone or letter
    POST /admin/privacy/requests                    record one (who: a phone number or a tracking code)
    POST /admin/privacy/requests/<id>/erase         carry out an erasure (a confirmation box must be ticked)
    POST /admin/privacy/requests/<id>/copy          carry out a copy: the file to hand over (ZIP or JSON)

Admins only: the record of who looked is itself about staff, and a request reaches every district's
complaints. Erasure goes through `handlers.use_cases.erase_citizen` for a LINE citizen and
`models.personal_data.erase_reporter` for each complaint of a reporter from another channel; either is
idempotent, so a request carried out twice erases nothing more and says so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.intake_pages import normalise_phone
from admin.views import Filters, bp, day_filter, roles_required, services, text, typed_day
from handlers import use_cases
from handlers.notices import Links
from handlers.use_cases import Acting, Actor
from models import Complaint
from models.access_records import DATA_REQUEST, Viewer, ViewFilter, fields_shown, record_view, views
from models.clock import BANGKOK, clock
from models.data_requests import (
    CHANNELS,
    COPY,
    ERASE,
    KINDS,
    MAX_NOTE,
    DataRequest,
    Subject,
    all_requests,
    citizen_of,
    covered,
    mark_carried_out,
    record_request,
    reporter_copy,
    subject_by_code,
    subject_by_phone,
)
from models.db import transaction
from models.personal_data import citizen_export_zip, erase_reporter
from models.tracking_codes import normalise_code

PAGE_SIZE = 100
CSV_BATCH = 1000
CSV_COLUMNS = ("pd_at", "pd_user", "pd_role", "pd_code", "pd_fields", "pd_page")


# ---- who looked ---------------------------------------------------------------------------------


def _view_filter() -> tuple[ViewFilter, str | None]:
    """The page's filters from the query string, and the first day that could not be read (or None)."""
    dates = Filters.read(request.args)  # the complaint list's reading of `from` and `to`
    raw_code = request.args.get("code", "").strip()[:40]
    code = normalise_code(raw_code) if raw_code else ""
    chosen = ViewFilter(
        username=request.args.get("user", "").strip().lower()[:40],
        tracking_code=code or (raw_code and "?"),  # a code that is not one matches nothing
        date_from=dates.date_from,
        date_to=dates.date_to,
    )
    return chosen, dates.bad_days[0] if dates.bad_days else None


def _fields_words(fields: str) -> str:
    return ", ".join(text(f"pd_field_{name}") for name in fields.split(",") if name)


@bp.get("/privacy/access")
@roles_required("admin")
def privacy_access() -> ResponseReturnValue:
    chosen, bad_day = _view_filter()
    page_raw = request.args.get("page", "1")
    page = int(page_raw) if page_raw.isdigit() and 0 < int(page_raw) < 100_000 else 1
    rows: list[Any] = []
    if bad_day is None:
        with transaction(services().sessions) as s:
            found = views(s, chosen, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
            rows = [
                {
                    "at": v.at,
                    "username": v.username,
                    "role": v.role,
                    "code": code,
                    "fields": _fields_words(v.fields),
                    "page": text(f"pd_page_{v.page}"),
                }
                for v, code in found
            ]
    query = {k: v for k, v in request.args.items() if k in ("user", "code", "from", "to") and v}
    return render_template(
        "admin/access_records.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        query=query,
        error=text("bad_date", value=bad_day) if bad_day else None,
    ), (400 if bad_day else 200)


@bp.get("/privacy/access.csv")
@roles_required("admin")
def privacy_access_csv() -> ResponseReturnValue:
    chosen, bad_day = _view_filter()
    if bad_day:
        return render_template("admin/message.html", message=text("bad_date", value=bad_day)), 400
    stamp = clock.now().astimezone(BANGKOK).strftime("%Y%m%d-%H%M")
    headers = [text(c) for c in CSV_COLUMNS]
    return Response(
        stream_with_context(_csv(headers, chosen)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="personal-data-views-{stamp}.csv"'},
    )


def _csv(headers: list[str], chosen: ViewFilter) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    yield "\ufeff" + out.getvalue()  # a BOM: Excel opens the Thai as UTF-8 (as admin/exports.py)
    with transaction(services().sessions) as s:
        stmt = chosen.statement().execution_options(yield_per=CSV_BATCH)
        for v, code in s.execute(stmt):
            out.seek(0)
            out.truncate()
            local = v.at.astimezone(BANGKOK)
            writer.writerow([f"{local:%Y-%m-%d %H:%M:%S}", v.username, v.role, code, v.fields, v.page])
            yield out.getvalue()


# ---- requests received by phone or letter -------------------------------------------------------


def _today() -> date:
    return clock.now().astimezone(BANGKOK).date()


def _requests_page(s: Session, form: dict[str, str], error: str | None) -> dict[str, Any]:
    rows = all_requests(s)
    ids = {i for r in rows for i in (r.complaint_ids or [])}
    codes = (
        {
            i: code
            for i, code in s.execute(
                select(Complaint.id, Complaint.tracking_code).where(Complaint.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    today = _today()
    listed = []
    for r in rows:
        if r.carried_out_at is not None:
            state, late = (
                text("pd_done_by", when=day_filter(r.carried_out_at), who=r.carried_out_by or ""),
                False,
            )
        elif r.overdue(today):
            state, late = text("pd_overdue", n=(today - r.due_on).days), True
        else:
            state, late = text("pd_open", n=(r.due_on - today).days), False
        listed.append(
            {
                "id": r.id,
                "kind": r.kind,
                "channel": r.channel,
                "subject": text("pd_subject_line", id=r.citizen_id)
                if r.citizen_id is not None
                else text("pd_subject_reporter"),
                "codes": [codes[i] for i in (r.complaint_ids or []) if i in codes],
                "received_on": r.received_on,
                "due_on": r.due_on,
                "state": state,
                "late": late,
                "done": r.carried_out_at is not None,
                "note": r.note,
                "recorded_by": r.recorded_by,
            }
        )
    return {
        "requests": listed,
        "form": form,
        "error": error,
        "kinds": KINDS,
        "channels": CHANNELS,
        "today": today,
    }


@bp.get("/privacy/requests")
@roles_required("admin")
def privacy_requests() -> ResponseReturnValue:
    with transaction(services().sessions) as s:
        params = _requests_page(s, {}, None)
    return render_template("admin/data_requests.html", **params)


class _Refused(Exception):
    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.message = text(key, **values)


def _subject(s: Session, raw: str) -> Subject:
    if not raw:
        raise _Refused("pd_bad_who")
    code = normalise_code(raw)
    found = subject_by_code(s, code) if code else None
    if found is None and (phone := normalise_phone(raw)):
        found = subject_by_phone(s, phone)
    if found is None:
        raise _Refused("pd_not_found", value=raw)
    return found


@bp.post("/privacy/requests")
@roles_required("admin")
def privacy_request_add() -> ResponseReturnValue:
    form = {
        k: str(request.form.get(k, ""))[:MAX_NOTE] for k in ("kind", "channel", "who", "received", "note")
    }
    with transaction(services().sessions) as s:
        try:
            if form["kind"] not in KINDS:
                raise _Refused("pd_bad_kind")
            if form["channel"] not in CHANNELS:
                raise _Refused("pd_bad_channel")
            subject = _subject(s, form["who"].strip()[:40])
            try:
                received = typed_day(form["received"])
            except ValueError:
                raise _Refused("pd_bad_received", value=form["received"][:40]) from None
            if received > _today():
                raise _Refused("pd_future_received")
            row = record_request(
                s,
                form["kind"],
                form["channel"],
                received,
                subject,
                form["note"].strip(),
                current_user.username,
                clock.now(),
            )
        except _Refused as refused:
            # Nothing was written: every check comes before the request is recorded.
            current_app.logger.info("privacy %s: request refused (%s)", current_user.username, refused)
            return render_template(
                "admin/data_requests.html", **_requests_page(s, form, refused.message)
            ), 400
        due = day_filter(row.due_on)
        current_app.logger.info(
            "privacy %s: recorded %s request %s, due %s", current_user.username, row.kind, row.id, row.due_on
        )
    flash(text("pd_recorded", due=due))
    return redirect(url_for("admin.privacy_requests"), 303)


def _request(s: Session, request_id: int) -> DataRequest | None:
    return s.get(DataRequest, request_id)


def _back(key: str, **values: object) -> Response:
    flash(text(key, **values))
    return redirect(url_for("admin.privacy_requests"), 303)


@bp.post("/privacy/requests/<int:request_id>/erase")
@roles_required("admin")
def privacy_request_erase(request_id: int) -> ResponseReturnValue:
    if request.form.get("confirm") != "1":
        return _back("pd_confirm_needed")
    now = clock.now()
    settings = services().settings
    with transaction(services().sessions) as s:
        row = _request(s, request_id)
        if row is None:
            return _back("pd_unknown_request")
        if row.kind != ERASE:
            return _back("pd_not_erase")
        erased: set[int] = set()
        citizen = citizen_of(s, row)
        if citizen is not None:
            actor = Actor("admin", None, None, current_user.username)
            links = Links(settings.secret_key.encode(), settings.public_base_url)
            erased.update(use_cases.erase_citizen(Acting(s, actor, now, links), citizen).complaint_ids)
        for complaint in covered(s, row):
            if complaint.citizen_id is None:
                erased.update(erase_reporter(s, complaint, now).complaint_ids)
        mark_carried_out(row, current_user.username, now)
    current_app.logger.info(
        "privacy %s: erasure request %s carried out (%d complaints)",
        current_user.username,
        request_id,
        len(erased),
    )
    return _back("pd_erased", n=len(erased)) if erased else _back("pd_already_erased")


@bp.post("/privacy/requests/<int:request_id>/copy")
@roles_required("admin")
def privacy_request_copy(request_id: int) -> ResponseReturnValue:
    now = clock.now()
    with transaction(services().sessions) as s:
        row = _request(s, request_id)
        if row is None:
            return _back("pd_unknown_request")
        if row.kind != COPY:
            return _back("pd_not_copy")
        citizen = citizen_of(s, row)
        complaints = covered(s, row)
        line_name = citizen.display_name if citizen is not None else None
        shown = {field for c in complaints for field in fields_shown(c, line_name)}
        viewer = Viewer(current_user.id, current_user.username, current_user.role)
        record_view(s, viewer, [c.id for c in complaints], shown, DATA_REQUEST, now)  # staff see it too
        if citizen is not None:
            body, mimetype, suffix = (
                citizen_export_zip(s, citizen, services().settings.photo_dir),
                "application/zip",
                "zip",
            )
        else:
            body, mimetype, suffix = reporter_copy(s, complaints), "application/json", "json"
        mark_carried_out(row, current_user.username, now)
    current_app.logger.info("privacy %s: copy request %s handed over", current_user.username, request_id)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="personal-data-{request_id}.{suffix}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: not kept in a browser's cache
    return response
