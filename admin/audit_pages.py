"""The step 2 audit page: each month's 10 % draw of resolved complaints, and the auditor's findings.

`kpi.audit` does the work (as `rongtook audit draw/mark/show`): the draw is made once per month and
never redone, a finding can be corrected. Only the centre (admin) draws and marks; heads and
officers read their own district's draw, viewers every district's. A forged POST by anyone else
is 403; a code that was not drawn that month is refused in words and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin import report_pages as pages
from admin.report_pages import BadInput, bad_input, local_day, month_label, read_month
from admin.views import bp, day_filter, district_name, roles_required, services, text, visible_districts
from kpi.audit import (
    DEFAULT_AUDIT,
    MAX_SEED,
    AlreadyDrawn,
    AuditRefused,
    draw_month,
    drawn_items,
    draws_of,
    mark,
    month_audit,
)
from kpi.submissions import be_month, first_of, month_bounds, next_month
from models import ComplaintEvent
from models.audits import AuditFinding
from models.clock import clock
from models.db import transaction
from models.photo_flags import flagged_closures
from models.tracking_codes import normalise_code

FINDINGS = tuple(f.value for f in AuditFinding)
MAX_NOTE = 2000
MAX_CODE = 30


@dataclass(frozen=True)
class DistrictAudit:
    """One district's draw for the month, as the page shows it."""

    district: str
    name: str
    population: int
    drawn: int
    marked: int
    consistent: int
    percent: Decimal | None
    costs: bool
    seed: int


@dataclass(frozen=True)
class DrawnItem:
    district: str
    code: str
    resolved_on: date | None  # the month's resolution (Bangkok date)
    finding: str | None
    note: str | None
    marked_at: datetime | None
    marked_by: str | None


def _resolved_on(s: Session, ids: list[int], month: date) -> dict[int, date]:
    """Each complaint's last resolution within `month`: the one that put it in the draw."""
    if not ids:
        return {}
    start, end = month_bounds(month)
    rows = s.execute(
        select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.at))
        .where(
            ComplaintEvent.complaint_id.in_(ids),
            ComplaintEvent.kind == "resolved",
            ComplaintEvent.at >= start,
            ComplaintEvent.at < end,
        )
        .group_by(ComplaintEvent.complaint_id)
    )
    return {complaint_id: local_day(at) for complaint_id, at in rows}


@bp.get("/audit")
@login_required
def audit() -> ResponseReturnValue:
    try:
        now = pages.read_moment()
        month = read_month(request.args.get("month"), pages.previous_month(now))
    except BadInput as exc:
        return _page(error=text(exc.key), month_text=request.args.get("month", "")[:20]), 400
    own = None if current_user.role in ("admin", "viewer") else current_user.district_code
    with transaction(services().sessions) as s:
        drawn_at = next((d.drawn_at for d in draws_of(s, month)), None)
        ordered = visible_districts(s)  # the page language's order, as every list of districts
        names = {d.code: district_name(d) for d in ordered}
        rank = {d.code: i for i, d in enumerate(ordered)}
        districts = [
            DistrictAudit(
                r.district,
                names.get(r.district, r.name_th),
                r.population,
                r.drawn,
                r.marked,
                r.consistent,
                r.percent,
                r.costs(),
                r.seed,
            )
            for r in sorted(month_audit(s, month), key=lambda r: rank.get(r.district, len(rank)))
            if current_user.may_see(r.district)
        ]
        if current_user.role in ("admin", "viewer"):
            found = drawn_items(s, month)
        else:  # a district account without a district sees nothing, never everything
            found = drawn_items(s, month, own) if own else []
        resolved = _resolved_on(s, [item.complaint_id for _, _, item in found], month)
        items = [
            DrawnItem(
                district,
                code,
                resolved.get(item.complaint_id),
                item.finding,
                item.note,
                item.marked_at,
                item.marked_by,
            )
            for district, code, item in found
            if current_user.may_see(district)
        ]
        # The month's closures kept with a flagged "after" photo, for review beside the draw (which they
        # do not change: RULES §6).
        start, end = month_bounds(month)
        if current_user.role in ("admin", "viewer"):
            closures = flagged_closures(s, start, end)
        else:  # as the draw: a district account without a district sees nothing
            closures = flagged_closures(s, start, end, own) if own else []
        flagged = [f for f in closures if current_user.may_see(f.district)]
    drawn_codes = {item.code for item in items}
    return _page(
        month=month,
        month_text=be_month(month),
        drawn_at=drawn_at,
        ended=now >= month_bounds(month)[1],
        districts=districts,
        items=items,
        names=names,
        flagged=flagged,
        drawn_codes=drawn_codes,
    )


def _page(**values: object) -> str:
    values.setdefault("month", None)
    values.setdefault("districts", [])
    values.setdefault("items", [])
    values.setdefault("flagged", [])
    values.setdefault("drawn_codes", set())
    return render_template(
        "admin/audit.html",
        be_month=be_month,
        month_label=month_label,
        month_before=pages.month_before,
        next_month=next_month,
        findings=FINDINGS,
        threshold=DEFAULT_AUDIT.consistent_percent,
        deduction=DEFAULT_AUDIT.deduction,
        is_admin=current_user.role == "admin",
        **values,
    )


def _back(month: date, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("admin.audit", month=be_month(month), _anchor=anchor))


@bp.post("/audit/draw")
@roles_required("admin")
def audit_draw() -> ResponseReturnValue:
    try:
        month = read_month(request.form.get("month", ""))
        seed = _seed(request.form.get("seed", ""))
    except BadInput as exc:
        return bad_input(exc.key)
    now = clock.now()
    label = month_label(month)
    with transaction(services().sessions) as s:
        try:
            draws = draw_month(s, month, now, seed=seed)
        except AlreadyDrawn:  # refused before anything was written
            earlier = draws_of(s, month)
            at = day_filter(earlier[0].drawn_at) if earlier else "–"
            flash(text("au_already_drawn", month=label, at=at))
            return _back(month)
        except AuditRefused as exc:
            if now < month_bounds(first_of(month))[1]:
                flash(text("au_not_ended", month=label))
            else:
                flash(text("au_refused", reason=str(exc)))
            return _back(month)
        count = sum(d.drawn_count for d in draws)
    if not draws:
        flash(text("au_nothing_to_draw", month=label))
    else:
        flash(text("au_done_draw", month=label, count=count, districts=len(draws)))
    return _back(month)


def _seed(raw: str) -> int | None:
    """A seed announced after the month ended (reproducible, not predictable); blank: the default."""
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_SEED:
        raise BadInput("au_bad_seed")
    return int(raw)


@bp.post("/audit/mark")
@roles_required("admin")
def audit_mark() -> ResponseReturnValue:
    form = request.form
    code, finding, note = form.get("code", "").strip(), form.get("finding", ""), form.get("note", "").strip()
    try:
        month = read_month(form.get("month", ""))
        if not code or len(code) > MAX_CODE:
            raise BadInput("au_missing_code")
        if finding not in FINDINGS:
            raise BadInput("au_bad_finding")
        if len(note) > MAX_NOTE:
            raise BadInput("au_note_too_long")
    except BadInput as exc:
        return bad_input(exc.key)
    tracking = normalise_code(code) or code
    with transaction(services().sessions) as s:
        try:
            mark(s, tracking, finding, note or None, clock.now(), current_user.username, month)
        except AuditRefused:  # not drawn that month (or no such code): nothing written
            flash(text("au_not_drawn_code", code=tracking, month=month_label(month)))
            return _back(month)
    flash(text("au_done_mark", code=tracking, finding=text(f"au_{finding}")))
    return _back(month, f"item-{tracking}")
