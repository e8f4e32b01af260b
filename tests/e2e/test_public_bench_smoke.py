"""Smoke test of the public site's benchmark (`make bench-public`) on a few hundred generated complaints:
every figure is measured and printed beside its floor, every answer was right, the CSV came whole.

No timing assertions: the figures depend on the machine. PostgreSQL only, as the benchmark is.
"""

from __future__ import annotations

import pytest

from bench import public_bench
from tests.conftest import PG_URL, require_or_skip


@pytest.mark.slow
@pytest.mark.postgresql
def test_public_benchmark_measures_and_prints_every_figure_beside_its_floor() -> None:
    if not PG_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    opts = public_bench.Options(
        complaints=300, days=120, requests=5, warmup=2, workers=1, threads=2, database_url=PG_URL
    )
    report = public_bench.run_benchmark(opts)
    assert report.complaints == 300
    for measured in (report.league, report.page, report.map):
        assert (measured.requests, measured.ok, measured.errors) == (5, 5, 0), measured
    for floor in (report.league_floor, report.page_floor, report.map_floor):
        assert floor.ok == 5 and floor.p95_ms > 0, floor
    assert report.league_built_s > 0 and report.league_rows > 0
    assert sum(kind.requests for kind in report.map_kinds.values()) == 5
    csv = report.csv
    assert csv.status == 200 and csv.rows == csv.floor_rows == 300
    assert csv.megabytes > 0 and len(csv.growth_by_quarter_mb) == 4

    text = public_bench.format_report(report)
    for line in (
        "GET /districts",
        "floor: counts GROUP BY district",
        "GET /c/<code>",
        "floor: row by code, district, events",
        "GET /map/data",
        "floor: count(*) in the box and period",
        "GET /open-data/complaints.csv",
        "floor: COPY",
        "kpi.league.LeagueCache",
        f"at most {public_bench.CACHE_SECONDS} s",
    ):
        assert line in text, line
    assert text.count("PASS") + text.count("FAIL") == len(report.verdicts) == 4
    assert public_bench.report_json(report).startswith("{")


def test_the_options_of_a_quick_run() -> None:
    opts = public_bench.parse_args(
        ["--complaints", "20000", "--requests", "50", "--database-url", "postgresql://x/y"]
    )
    assert (opts.complaints, opts.requests, opts.database_url) == (20000, 50, "postgresql://x/y")
    with pytest.raises(SystemExit):
        public_bench.parse_args(["--complaints", "0"])
