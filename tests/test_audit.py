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
    costs_deduction,
    default_seed,
    draw_month,
    draw_sample,
    mark,
    month_audit,
    resolved_in_month,
    sample_size,
)
from kpi.facts import AuditResult
from models import AuditDraw, AuditItem
from models.db import transaction
from tests.test_reports import add_complaint, bkk, run_rongtook

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)
A, B = "1001", "1002"
AFTER = bkk(2026, 12, 2, 9)


def resolved(session, n: int, district: str, at) -> str:  # type: ignore[no-untyped-def]
    """A complaint acknowledged at once and resolved at `at`; returns its tracking code."""
    routed = at - timedelta(days=3)
    c = add_complaint(
        session, n, district, routed, [("acknowledged", routed), ("progress", routed), ("resolved", at)]
    )
    return c.tracking_code


def november(services, in_a: int = 25, in_b: int = 3) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """`in_a` complaints resolved in November in 1001, `in_b` in 1002, and some that are not November's."""
    codes: dict[str, list[str]] = {A: [], B: []}
    with transaction(services.sessions) as s:
        for i in range(in_a):
            codes[A].append(resolved(s, 100 + i, A, bkk(2026, 11, 5 + i % 20, 11)))
        for i in range(in_b):
            codes[B].append(resolved(s, 200 + i, B, bkk(2026, 11, 10 + i, 11)))
        resolved(s, 300, A, bkk(2026, 11, 30, 23, 30))  # still November in Bangkok (16:30 UTC)
        resolved(s, 301, A, bkk(2026, 12, 1, 0, 30))  # December in Bangkok, though November 30th in UTC
        resolved(s, 302, A, bkk(2026, 10, 31, 23, 0))  # October
        add_complaint(s, 303, A, bkk(2026, 11, 10))  # open
    return codes


def test_ceil_ten_percent():
    assert [sample_size(n) for n in (0, 1, 9, 10, 11, 25, 30, 31)] == [0, 1, 1, 1, 2, 3, 3, 4]


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


def test_unmarked_counts_as_not_consistent():
    assert costs_deduction(3, 2) is True  # 66.67 %
    assert costs_deduction(5, 4) is False  # exactly 80 %
    assert costs_deduction(10, 7) is True
    assert costs_deduction(0, 0) is False


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


def test_audit_commands(services, db_url, tmp_path):
    november(services, in_a=24, in_b=3)
    services.engine.dispose()
    at = "--at=2026-12-02T09:00:00+07:00"
    done = run_rongtook(tmp_path, db_url, "audit", "draw", "--month", "2569-11", "--seed", "2569", at)
    assert done.returncode == 0, done.stderr
    assert "seed 2569" in done.stdout
    a_line = next(line for line in done.stdout.splitlines() if line.startswith(A))
    assert "drew 3 of 25" in a_line
    codes = a_line.split(": ", 1)[1].split()
    assert len(codes) == 3

    again = run_rongtook(tmp_path, db_url, "audit", "draw", "--month", "2026-11", at)
    assert again.returncode == 1 and "already drawn" in again.stderr and "Traceback" not in again.stderr

    for code, finding in zip(codes, ["consistent", "consistent", "inconsistent"], strict=True):
        done = run_rongtook(
            tmp_path, db_url, "audit", "mark", code, finding, "--note", "ตรวจแล้ว", "--by", "ผู้ตรวจ"
        )
        assert done.returncode == 0, done.stderr
    done = run_rongtook(tmp_path, db_url, "audit", "mark", "69-ZZZZZZ", "consistent")
    assert done.returncode == 1 and "was not drawn" in done.stderr

    done = run_rongtook(tmp_path, db_url, "audit", "show", "--month", "2569-11", "--items")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    a = next(line for line in lines if line.startswith(f"{A}  "))
    assert "drawn 3 of 25, marked 3, consistent 2 (66.67 %)  costs 0.05" in a
    b = next(line for line in lines if line.startswith(f"{B}  "))
    assert "marked 0, consistent 0 (0.00 %)  costs 0.05" in b
    assert sum("unmarked" in line for line in lines) == 2  # the header line and 1002's one item
    assert sum("inconsistent  ตรวจแล้ว" in line for line in lines) == 1
