"""Smoke test of the webhook benchmark: both servers answer, nothing fails, the inbox holds every event.

No timing assertions: the figures depend on the machine. Run the benchmark itself with `make bench-webhook`.
"""

from __future__ import annotations

import pytest

from bench.webhook_bench import Options, format_report, report_json, run_benchmark
from tests.conftest import PG_URL, require_or_skip


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_benchmark_runs_against_both_servers_and_stores_every_event(database: str) -> None:
    if database == "postgresql" and not PG_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    opts = Options(
        seconds=1.0,
        rate=50.0,
        clients=2,
        max_seconds=1.0,
        workers=1,
        threads=2,
        senders=4,
        warmup=10,
        database_url=PG_URL if database == "postgresql" else None,
    )
    report = run_benchmark(opts)
    assert report.environment["database"] == {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[database]

    assert {(r.server, r.mode) for r in report.results} == {
        ("rongtook", "fixed"),
        ("floor", "fixed"),
        ("rongtook", "max"),
        ("floor", "max"),
    }
    for result in report.results:
        assert result.ok > 0, result
        assert result.errors == 0, result
    assert report.result("rongtook", "fixed").ok == 50
    assert report.inbox_rows == report.rongtook_ok_total > 0
    assert report.stored_matches
    assert "PASS" in format_report(report) or "FAIL" in format_report(report)
    assert report_json(report).startswith("{")
