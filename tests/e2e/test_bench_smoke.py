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


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_worker_benchmark_answers_every_event_once_in_order_and_files_every_complaint(database: str) -> None:
    from bench import worker_bench

    if database == "postgresql" and not PG_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    opts = worker_bench.Options(
        users=3,
        line_delay_ms=20,
        threads=4,
        processes=2,
        web_workers=1,
        web_threads=2,
        senders=2,
        database_url=PG_URL if database == "postgresql" else None,
    )
    report = worker_bench.run_benchmark(opts, log=None)
    assert report.database == {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[database]
    assert report.accepted == report.events == 3 * len(worker_bench.SCRIPT)
    assert (report.lost, report.doubled, report.out_of_order, report.failed_rows) == (0, 0, 0, 0)
    assert report.replies + report.pushes >= report.events  # every event answered
    assert report.complaints == report.complaints_expected == 4 * worker_bench.COMPLAINTS_PER_USER
    assert 0 < report.p50_s <= report.p99_s
    assert report.floor_calls > report.events and report.floor_events_per_s > 0
    assert report.rss_peak_mb > 0 and report.worker_cpu_s > 0
    text = worker_bench.format_report(report)
    assert "events handled per second" in text and ("PASS" in text or "FAIL" in text)


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_open311_benchmark_files_and_lists_on_generated_complaints(database: str) -> None:
    from bench import open311_bench

    if database == "postgresql" and not PG_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    opts = open311_bench.Options(
        count=2000,
        days=200,  # dense enough that a 90-day page of one district is not empty
        rate=10.0,
        seconds=1.0,
        senders=2,
        gets=10,
        floor_posts=5,
        workers=1,
        threads=2,
        database_url=PG_URL if database == "postgresql" else None,
    )
    report = open311_bench.run_benchmark(opts)
    assert report.database == {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[database]
    assert report.complaints == 2000 and report.generation["complaints"] == 2000
    assert (report.post.requests, report.post.ok, report.post.errors) == (10, 10, 0)
    assert (report.get.requests, report.get.ok, report.get.errors) == (10, 10, 0)
    assert report.rows_per_page > 0
    assert report.post_floor.ok == 5 and report.get_floor.ok == 10
    # The warm-up: WARMUP on one connection, then WARMUP_PER_SENDER on each of the 2 senders.
    warm = open311_bench.WARMUP + 2 * open311_bench.WARMUP_PER_SENDER
    assert report.stored_matches and report.posted_ok == warm + 10
    text = open311_bench.format_report(report)
    assert "floor" in text and ("PASS" in text or "FAIL" in text)
    assert open311_bench.report_json(report).startswith("{")
