"""Smoke test of `make bench-category` on a small part of the Traffy sample: it trains, measures both
rankings on the held-out part and prints its verdicts. No accuracy or timing assertions: on 300 rows the
figures mean little (run the benchmark itself for them)."""

from __future__ import annotations

import json

from bench import category_bench
from bench.category_bench import DEFAULT_CSV


def test_the_bench_prints_both_rankings_and_the_verdicts(capsys, tmp_path):
    assert category_bench.main(["--rows", "300", "--json"]) == 0
    out = capsys.readouterr().out
    assert f"{DEFAULT_CSV}: 300 rows; split seed 2570" in out
    assert "model (quick reply order)" in out and "keyword guess (floor)" in out
    for target in ("top-1 ≥ 85 %", "top-3 ≥ 95 %", "ahead of the keyword guess", "suggestion costs < 5 ms"):
        assert f"PASS  {target}" in out or f"FAIL  {target}" in out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["rows"] == 300 and figures["held_out"] == round(
        (figures["training"] + figures["held_out"]) * 0.2
    )
    assert 0 <= figures["keyword_top1"] <= figures["keyword_top3"] <= 1
    assert 0 <= figures["model_top1"] <= figures["model_top3"] <= 1
    assert 0 < figures["median_ms"] <= figures["p95_ms"]


def test_a_csv_it_cannot_use_exits_2_with_the_reason(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert category_bench.main(["--csv", str(bad)]) == 2
    assert "missing column(s) type, comment" in capsys.readouterr().err
