"""Smoke test of the staff pages' benchmark (`make bench-admin`) on a few hundred generated complaints:
signed in through the form, every page answered right and is printed beside its floor, the exports came
whole and their memory was sampled.

No timing assertions: the figures depend on the machine. PostgreSQL only, as the benchmark is.
"""

from __future__ import annotations

import json

import pytest

from bench import admin_bench
from tests.conftest import PG_URL, require_or_skip


@pytest.mark.slow
@pytest.mark.postgresql
def test_admin_benchmark_measures_and_prints_every_page_beside_its_floor() -> None:
    if not PG_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    opts = admin_bench.Options(
        count=300,
        days=120,
        requests=2,
        warmup=1,
        export_requests=1,
        export_rows=200,
        workers=1,
        threads=2,
        database_url=PG_URL,
    )
    report = admin_bench.run_benchmark(opts)
    assert report.complaints == 300
    assert [r.key for r in report.pages] == list(admin_bench.PAGES)
    for r in report.pages:
        assert (r.page.requests, r.page.ok, r.page.errors) == (2, 2, 0), r
        assert r.floor.ok == 2 and r.floor.p95_ms > 0 and r.first_ms > 0, r
    assert [e.fmt for e in report.exports] == ["csv", "xlsx"]
    for e in report.exports:
        assert e.time.ok == 1 and e.rows == report.choices["district_rows"] and e.megabytes > 0, e
    assert [m.fmt for m in report.memory] == ["csv", "xlsx"]
    for m in report.memory:
        assert m.status == 200 and m.rows >= 200 and m.rss_start_mb > 0, m

    text = admin_bench.format_report(report)
    for line in (
        "GET /admin/ (dashboard)",
        "count by status",
        "q=<tracking code>",
        "GET /admin/kpi (KPI overview)",
        "its CPL_R001 XLSX",
        "COPY of the same rows as CSV",
        "memory of the serving web worker",
    ):
        assert line in text, line
    assert text.count("PASS") + text.count("FAIL") == len(report.verdicts) == len(admin_bench.PAGES) + 4
    assert json.loads(admin_bench.report_json(report))["complaints"] == 300


def test_the_options_of_a_quick_run() -> None:
    opts = admin_bench.parse_args(
        ["--count", "20000", "--requests", "5", "--reuse", "bench_admin_1m", "--pages", "dashboard,list"]
    )
    assert (opts.count, opts.requests, opts.reuse, opts.pages) == (
        20000,
        5,
        "bench_admin_1m",
        ("dashboard", "list"),
    )
    with pytest.raises(SystemExit):
        admin_bench.parse_args(["--count", "0"])
    with pytest.raises(SystemExit):
        admin_bench.parse_args(["--pages", "nowhere"])
