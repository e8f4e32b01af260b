"""The audit tests' November world, shared by tests/integration/test_audit.py and tests/e2e/test_audit.py."""

from __future__ import annotations

from datetime import timedelta

from models.db import transaction
from tests.reports_common import add_complaint, bkk

A, B = "1001", "1002"


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
