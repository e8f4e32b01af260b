"""The step 2 audit: the monthly 10 % draw (reproducible, stored, once), the findings, and the results."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kpi.audit import (
    AlreadyDrawn,
    AuditRefused,
    audit_results,
    default_seed,
    draw_month,
    draw_sample,
    mark,
    month_audit,
    resolved_in_month,
)
from kpi.facts import AuditResult
from models import AuditDraw, AuditItem
from models.db import transaction
from tests.audit_common import A, B, november
from tests.reports_common import bkk

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)
AFTER = bkk(2026, 12, 2, 9)


def test_population_is_the_month_of_resolution_in_bangkok(services):
    november(services)
    with transaction(services.sessions) as s:
        population = resolved_in_month(s, NOV)
    assert {d: len(ids) for d, ids in population.items()} == {A: 26, B: 3}


def test_25_resolved_draw_3_reproducibly_and_stored(services):
    november(services, in_a=24)  # 24 + the one at 23:30 on the 30th = 25
    seed = default_seed(NOV)
    with transaction(services.sessions) as s:
        ids = resolved_in_month(s, NOV)[A]
        draws = draw_month(s, NOV, AFTER)
        first = {d.district_code: sorted(i.complaint_id for i in d.items) for d in draws}
        s.rollback()  # drop the draw, as if it never happened
    assert len(ids) == 25
    assert {d.district_code: (d.population_count, d.drawn_count, d.seed) for d in draws} == {
        A: (25, 3, seed),
        B: (3, 1, seed),
    }
    assert first[A] == sorted(random.Random(seed).sample(sorted(ids), 3))  # anyone can redo it
    with transaction(services.sessions) as s:
        again = draw_month(s, NOV, AFTER)
    assert {d.district_code: sorted(i.complaint_id for i in d.items) for d in again} == first
    with transaction(services.sessions) as s:
        stored = s.scalars(select(AuditDraw).order_by(AuditDraw.district_code)).all()
        assert [(d.district_code, d.month, d.seed, d.drawn_count) for d in stored] == [
            (A, "2026-11", seed, 3),
            (B, "2026-11", seed, 1),
        ]
        assert s.scalar(select(func.count(AuditItem.id))) == 4


def test_the_default_seed_comes_from_the_month_and_a_given_seed_is_kept(services):
    november(services)
    assert default_seed(NOV) == default_seed(date(2026, 11, 20)) != default_seed(DEC)
    assert 0 <= default_seed(NOV) < 2**63
    with transaction(services.sessions) as s:
        draws = draw_month(s, NOV, AFTER, seed=42)
        ids = resolved_in_month(s, NOV)[A]
    a = next(d for d in draws if d.district_code == A)
    assert a.seed == 42
    assert sorted(i.complaint_id for i in a.items) == sorted(draw_sample(ids, 42))


def test_a_drawn_month_is_never_drawn_again(services):
    november(services)
    with transaction(services.sessions) as s:
        draw_month(s, NOV, AFTER)
    with transaction(services.sessions) as s, pytest.raises(AlreadyDrawn, match="already drawn"):
        draw_month(s, NOV, AFTER + timedelta(days=1), seed=7)
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count(AuditDraw.id))) == 2


def test_a_month_not_ended_is_not_drawn_and_an_empty_month_draws_nothing(services):
    november(services)
    with transaction(services.sessions) as s, pytest.raises(AuditRefused, match="has not ended"):
        draw_month(s, NOV, bkk(2026, 11, 30, 23, 59))
    with transaction(services.sessions) as s:
        assert draw_month(s, date(2026, 9, 1), AFTER) == []  # nothing resolved: no draw rows at all
        with pytest.raises(AuditRefused, match="seed"):
            draw_month(s, NOV, AFTER, seed=-1)


def drawn_codes(services, district: str) -> list[str]:  # type: ignore[no-untyped-def]
    from models import Complaint

    with transaction(services.sessions) as s:
        return list(
            s.scalars(
                select(Complaint.tracking_code)
                .join(AuditItem, AuditItem.complaint_id == Complaint.id)
                .join(AuditDraw, AuditItem.draw_id == AuditDraw.id)
                .where(AuditDraw.district_code == district)
                .order_by(Complaint.tracking_code)
            )
        )


def test_marks_give_the_results_and_two_of_three_costs_the_deduction(services):
    november(services, in_a=24, in_b=3)
    with transaction(services.sessions) as s:
        draw_month(s, NOV, AFTER)
    a_codes, b_codes = drawn_codes(services, A), drawn_codes(services, B)
    assert (len(a_codes), len(b_codes)) == (3, 1)
    with transaction(services.sessions) as s:
        mark(s, a_codes[0], "consistent", "ภาพก่อน/หลังตรงกับผลการแก้ไข", AFTER, "ผู้ตรวจ")
        mark(s, a_codes[1], "consistent", None, AFTER, "ผู้ตรวจ")
        mark(s, a_codes[2], "inconsistent", "ไม่มีภาพหลังแก้ไขที่ตรงกับจุดเกิดเหตุ", AFTER, "ผู้ตรวจ")
        item = mark(
            s, b_codes[0].lower().replace("-", ""), "inconsistent", None, AFTER, "ผู้ตรวจ"
        )  # typed loosely
        assert item.finding == "inconsistent" and item.marked_by == "ผู้ตรวจ"
    with transaction(services.sessions) as s:
        mark(s, b_codes[0], "consistent", "แก้ไขผลตรวจ", AFTER + timedelta(hours=1), "หัวหน้าผู้ตรวจ")  # corrected
    with transaction(services.sessions) as s:
        results = audit_results(s, 2570)
        months = {m.district: m for m in month_audit(s, NOV)}
    assert results == [
        AuditResult(district=A, month=NOV, drawn=3, consistent=2),
        AuditResult(district=B, month=NOV, drawn=1, consistent=1),
    ]
    assert (months[A].percent, months[A].costs()) == (Decimal("66.67"), True)
    assert (months[B].percent, months[B].costs()) == (Decimal("100.00"), False)
    assert (months[A].marked, months[A].population) == (3, 25)
    with transaction(services.sessions) as s:
        assert audit_results(s, 2569) == []
        assert audit_results(s, 2570, district=B) == [AuditResult(B, NOV, 1, 1)]


def test_marking_refuses_what_was_not_drawn_and_unknown_findings(services):
    november(services, in_a=5, in_b=0)
    with transaction(services.sessions) as s:
        draw_month(s, NOV, AFTER)
    drawn = drawn_codes(services, A)
    with transaction(services.sessions) as s:
        with pytest.raises(AuditRefused, match="was not drawn"):
            mark(s, "69-ZZZZZZ", "consistent", None, AFTER, None)
        with pytest.raises(AuditRefused, match="'consistent' or 'inconsistent'"):
            mark(s, drawn[0], "fine", None, AFTER, None)
        with pytest.raises(AuditRefused, match="not drawn for the audit in 2569-12"):
            mark(s, drawn[0], "consistent", None, AFTER, None, month=DEC)
    with transaction(services.sessions) as s:
        assert audit_results(s, 2570) == [AuditResult(A, NOV, 1, 0)]  # drawn, unmarked: not consistent
