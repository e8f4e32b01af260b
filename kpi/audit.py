"""Step 2's audit (RULES §6): each month, 10 % (rounded up) of each district's resolved complaints, drawn.

The draw is reproducible and stored. For month M and district D:

- the population is every complaint with a "resolved" event in M (Bangkok dates) recorded by D
  (the event's district), sorted by complaint id; a complaint resolved twice in M counts once, one
  resolved in M and again (after a reopening) in M+1 is in both months' populations;
- the sample is `random.Random(seed).sample(ids, ceil(n × 10 / 100))`, with the month's seed stored
  on every district's draw; the default seed is the first 63 bits of sha256("2026-11") (the month in
  CE), so anyone can redo it. A seed known in advance is predictable: for a real audit, pass one
  announced after the month has ended (a lottery number, say) with `--seed`.
- a district with no complaint resolved in M gets no draw row (nothing to audit, no deduction).

A month is drawn once: a second draw is refused (AlreadyDrawn), as is a month that has not ended.
The auditor marks each drawn complaint consistent or inconsistent with its evidence; a month with
fewer than 80 % consistent (unmarked ones are not consistent) costs step 2 0.05 points. The share
drawn, its rounding, the pass mark and the deduction are the KPI scheme's [audit] (kpi32.toml).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kpi.facts import AuditResult
from kpi.reports import percent
from kpi.schemes import AuditSettings, shipped_kpi32
from kpi.submissions import be_month, first_of, fiscal_months, month_bounds, month_key, parse_month
from kpi.wording import Refusal
from models import AuditDraw, AuditFinding, AuditItem, Complaint, ComplaintEvent, District
from models.tracking_codes import normalise_code

MAX_SEED = 2**63 - 1  # the column is a signed 64-bit integer

# sample_percent (of the month's resolved complaints) and its rounding, pass_percent (fewer consistent
# than this costs the deduction), deduction (step 2 points lost for such a month): kpi32.toml [audit].
DEFAULT_AUDIT: AuditSettings = shipped_kpi32().audit


class AuditRefused(Refusal):
    """Why an audit action cannot be done; the message says it for the operator."""


class AlreadyDrawn(AuditRefused):
    pass


def default_seed(month: date) -> int:
    """The first 63 bits of sha256 of the month's CE key ("2026-11"): the same seed whoever draws."""
    digest = hashlib.sha256(month_key(first_of(month)).encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def sample_size(population: int, settings: AuditSettings = DEFAULT_AUDIT) -> int:
    """population × percent / 100, rounded up (as the scheme says), exactly (no float rounding)."""
    return settings.sample_size(population)


def draw_sample(ids: list[int], seed: int, settings: AuditSettings = DEFAULT_AUDIT) -> list[int]:
    """The drawn complaint ids, in the order drawn: `random.Random(seed).sample(sorted ids, k)`."""
    ordered = sorted(ids)
    return random.Random(seed).sample(ordered, sample_size(len(ordered), settings))


def resolved_in_month(session: Session, month: date) -> dict[str, list[int]]:
    """District → sorted ids of the complaints it resolved in `month` (Bangkok), read by event time."""
    start, end = month_bounds(first_of(month))
    rows = session.execute(
        select(ComplaintEvent.district_code, ComplaintEvent.complaint_id)
        .where(
            ComplaintEvent.kind == "resolved",
            ComplaintEvent.at >= start,
            ComplaintEvent.at < end,
            ComplaintEvent.district_code.is_not(None),
        )
        .distinct()
    )
    found: dict[str, list[int]] = {}
    for district, complaint_id in rows:
        found.setdefault(district, []).append(complaint_id)
    return {d: sorted(ids) for d, ids in sorted(found.items())}


def draws_of(session: Session, month: date) -> list[AuditDraw]:
    return list(
        session.scalars(
            select(AuditDraw)
            .where(AuditDraw.month == month_key(first_of(month)))
            .order_by(AuditDraw.district_code)
        )
    )


def draw_month(
    session: Session,
    month: date,
    at: datetime,
    seed: int | None = None,
    settings: AuditSettings = DEFAULT_AUDIT,
) -> list[AuditDraw]:
    """Draw and store `month`'s sample for every district that resolved complaints in it.

    Refused for a month not ended at `at` (its population is not final) and for a month already drawn.
    Returns the new draws (districts in code order); each draw's items are the drawn complaints.
    """
    month = first_of(month)
    if at.tzinfo is None:
        raise ValueError(f"a timezone-aware moment is required, got {at!r}")
    if at < month_bounds(month)[1]:
        raise AuditRefused("refused_audit_month_open", month=be_month(month), at=at.isoformat())
    seed = default_seed(month) if seed is None else seed
    if not 0 <= seed <= MAX_SEED:
        raise AuditRefused("refused_audit_seed", maximum=MAX_SEED)
    existing = draws_of(session, month)
    if existing:
        raise _already(month, existing[0])
    draws = []
    try:
        with session.begin_nested():  # a draw made at the same time by someone else: refused, not a crash
            for district, ids in resolved_in_month(session, month).items():
                chosen = draw_sample(ids, seed, settings)
                draw = AuditDraw(
                    district_code=district,
                    month=month_key(month),
                    seed=seed,
                    drawn_at=at,
                    drawn_count=len(chosen),
                    population_count=len(ids),
                )
                draw.items = [AuditItem(complaint_id=i) for i in sorted(chosen)]
                session.add(draw)
                draws.append(draw)
            session.flush()
    except IntegrityError:
        raise AuditRefused("refused_audit_drawn_meanwhile", month=be_month(month)) from None
    return draws


def _already(month: date, draw: AuditDraw) -> AlreadyDrawn:
    return AlreadyDrawn(
        "refused_audit_already_drawn",
        month=be_month(month),
        ce_month=month_key(month),
        at=draw.drawn_at.isoformat(),
        seed=draw.seed,
    )


def mark(
    session: Session,
    code: str,
    finding: str,
    note: str | None,
    at: datetime,
    by: str | None,
    month: date | None = None,
) -> AuditItem:
    """Record the auditor's finding on the drawn complaint with tracking code `code`.

    A complaint drawn in two months (resolved, reopened, resolved again) is marked in the latest
    draw unless `month` says which. Marking again replaces the finding (the auditor's correction).
    """
    try:
        value = AuditFinding(finding).value
    except ValueError:
        raise AuditRefused("refused_audit_finding", finding=finding) from None
    tracking = normalise_code(code) or code.strip()
    query = (
        select(AuditItem)
        .join(AuditDraw, AuditItem.draw_id == AuditDraw.id)
        .join(Complaint, AuditItem.complaint_id == Complaint.id)
        .where(Complaint.tracking_code == tracking)
        .order_by(AuditDraw.month.desc())
    )
    if month is not None:
        query = query.where(AuditDraw.month == month_key(first_of(month)))
    item = session.scalars(query).first()
    if item is None:
        if month is None:
            raise AuditRefused("refused_audit_not_drawn", code=tracking)
        raise AuditRefused("refused_audit_not_drawn_in", code=tracking, month=be_month(first_of(month)))
    item.finding, item.note, item.marked_at, item.marked_by = value, (note or None), at, by
    session.flush()
    return item


def audit_results(session: Session, fy: int, district: str | None = None) -> list[AuditResult]:
    """Each (district, month) drawn in fiscal year `fy` (by month of resolution): drawn and consistent counts.

    Aggregated in SQL. Drawn but unmarked complaints are not consistent. Months with nothing drawn
    (no complaint resolved) have no row: they cost nothing. Sorted by district, then month.
    """
    keys = [month_key(m) for m in fiscal_months(fy)]
    consistent = func.coalesce(
        func.sum(case((AuditItem.finding == AuditFinding.CONSISTENT.value, 1), else_=0)), 0
    )
    query = (
        select(AuditDraw.district_code, AuditDraw.month, AuditDraw.drawn_count, consistent)
        .outerjoin(AuditItem, AuditItem.draw_id == AuditDraw.id)
        .where(AuditDraw.month.in_(keys), AuditDraw.drawn_count > 0)
        .group_by(AuditDraw.id, AuditDraw.district_code, AuditDraw.month, AuditDraw.drawn_count)
        .order_by(AuditDraw.district_code, AuditDraw.month)
    )
    if district is not None:
        query = query.where(AuditDraw.district_code == district)
    return [
        AuditResult(district=d, month=parse_month(m), drawn=drawn, consistent=int(ok))
        for d, m, drawn, ok in session.execute(query)
    ]


def costs_deduction(drawn: int, consistent: int, settings: AuditSettings = DEFAULT_AUDIT) -> bool:
    """Fewer than 80 % of the drawn consistent (exactly: 2 of 3 is 66.67 % → True); the scheme's `passed`."""
    return not settings.passed(drawn, consistent)


@dataclass(frozen=True)
class MonthAudit:
    """One district's audit of one month, for `rongtook audit show`."""

    district: str
    name_th: str
    seed: int
    population: int
    drawn: int
    marked: int
    consistent: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.consistent, self.drawn)

    def costs(self, settings: AuditSettings = DEFAULT_AUDIT) -> bool:
        return costs_deduction(self.drawn, self.consistent, settings)


def month_audit(session: Session, month: date) -> list[MonthAudit]:
    """Per district drawn in `month`: population, drawn, marked, consistent."""
    marked = func.count(AuditItem.finding)
    consistent = func.coalesce(
        func.sum(case((AuditItem.finding == AuditFinding.CONSISTENT.value, 1), else_=0)), 0
    )
    rows = session.execute(
        select(
            AuditDraw.district_code,
            District.name_th,
            AuditDraw.seed,
            AuditDraw.population_count,
            AuditDraw.drawn_count,
            marked,
            consistent,
        )
        .join(District, District.code == AuditDraw.district_code)
        .outerjoin(AuditItem, AuditItem.draw_id == AuditDraw.id)
        .where(AuditDraw.month == month_key(first_of(month)))
        .group_by(
            AuditDraw.id,
            AuditDraw.district_code,
            District.name_th,
            AuditDraw.seed,
            AuditDraw.population_count,
            AuditDraw.drawn_count,
        )
        .order_by(AuditDraw.district_code)
    )
    return [
        MonthAudit(d, name, seed, pop, drawn, int(m), int(ok)) for d, name, seed, pop, drawn, m, ok in rows
    ]


def drawn_items(
    session: Session, month: date, district: str | None = None
) -> list[tuple[str, str, AuditItem]]:
    """(district, tracking code, item) of every complaint drawn in `month`, by district then code."""
    query = (
        select(AuditDraw.district_code, Complaint.tracking_code, AuditItem)
        .join(AuditDraw, AuditItem.draw_id == AuditDraw.id)
        .join(Complaint, AuditItem.complaint_id == Complaint.id)
        .where(AuditDraw.month == month_key(first_of(month)))
        .order_by(AuditDraw.district_code, Complaint.tracking_code)
    )
    if district is not None:
        query = query.where(AuditDraw.district_code == district)
    return [(d, code, item) for d, code, item in session.execute(query)]
