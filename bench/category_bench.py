"""Benchmark of the category suggested from the text (issue 18 point 5): `make bench-category`.

1. reads the Traffy sample (CATEGORY_TRAINING_CSV, else ../shared/data/traffy_sample.csv; `--csv`) and
   draws the fixed split of models/category_model.py: rows without a type (or a text) dropped, the row
   indices shuffled by `random.Random(2570)`, the first 20 % held out;
2. trains the model on the other 80 % (`models.category_model.train`, timed);
3. on the held-out rows, asks what the citizen's quick reply would offer — `guess_categories` over the
   starting categories (`seed_choices()`) with the model, and without it (the keyword guess, the floor) —
   and counts top-1 and top-3 accuracy: a suggestion is right when it is one of the row's Traffy types;
4. times the suggestion with the model (the whole `guess_categories` call the dialog makes) for every
   held-out text after a warm-up: each text three times, its time the middle one, then the median and
   p95 over the texts. Two clocks: the CPU time of the thread (what a suggestion costs; the target is
   checked on it) and the wall time (which also counts the waits for a CPU when other processes share
   the machine: printed beside it, with the load average).

Targets (PASS/FAIL): top-1 ≥ 85 %, top-3 ≥ 95 %, both ahead of the keyword guess, cost p95 < 5 ms.
Exit status 0; 1 with `--strict` when a target is missed; 2 when the CSV cannot be used.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.runs import loadavg
from handlers.categories import Choice, guess_categories, seed_choices
from models.category_model import (
    HELD_OUT,
    SPLIT_SEED,
    CategoryDataError,
    CategoryModel,
    LabelledText,
    read_csv,
    split,
    train,
)

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "traffy_sample.csv"
TOP1_TARGET, TOP3_TARGET, MS_TARGET = 0.85, 0.95, 5.0
WARMUP = 20


@dataclass(frozen=True)
class Report:
    csv: str
    rows: int
    training: int
    held_out: int
    train_s: float
    model_top1: float
    model_top3: float
    keyword_top1: float
    keyword_top3: float
    median_ms: float  # CPU time of the thread
    p95_ms: float
    wall_median_ms: float
    wall_p95_ms: float
    keyword_median_ms: float
    load: float | None


def accuracy(rank: Callable[[str], list[Choice]], rows: list[LabelledText]) -> tuple[float, float]:
    """(top-1, top-3) of a ranking on the rows: right when a suggestion is one of the row's types."""
    top1 = top3 = 0
    for row in rows:
        names = [c.name_th for c in rank(row.text)[:3]]
        top1 += names[0] in row.types
        top3 += any(n in row.types for n in names)
    return top1 / len(rows), top3 / len(rows)


def timings_ms(rank: Callable[[str], list[Choice]], texts: list[str]) -> tuple[list[float], list[float]]:
    """Each text's (CPU, wall) time in ms, each the middle of three runs, after a warm-up."""
    for text in texts[:WARMUP]:
        rank(text)
    cpu, wall = [], []
    for text in texts:
        cpu_runs, wall_runs = [], []
        for _ in range(3):
            started, started_cpu = time.perf_counter(), time.thread_time()
            rank(text)
            cpu_runs.append((time.thread_time() - started_cpu) * 1000)
            wall_runs.append((time.perf_counter() - started) * 1000)
        cpu.append(sorted(cpu_runs)[1])
        wall.append(sorted(wall_runs)[1])
    return cpu, wall


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def run(csv_path: Path, rows_limit: int = 0) -> Report:
    rows = read_csv(csv_path)
    if rows_limit:
        rows = rows[:rows_limit]
    training, held_out = split(rows)
    if not held_out:
        raise CategoryDataError(f"{csv_path}: too few labelled rows to hold any out")
    started = time.monotonic()
    model: CategoryModel = train(training)
    train_s = time.monotonic() - started
    offered = seed_choices()

    def with_model(text: str) -> list[Choice]:
        return guess_categories(text, offered, model=model)

    def keywords(text: str) -> list[Choice]:
        return guess_categories(text, offered)

    m1, m3 = accuracy(with_model, held_out)
    k1, k3 = accuracy(keywords, held_out)
    texts = [r.text for r in held_out]
    cpu, wall = timings_ms(with_model, texts)
    return Report(
        csv=str(csv_path),
        rows=len(rows),
        training=len(training),
        held_out=len(held_out),
        train_s=train_s,
        model_top1=m1,
        model_top3=m3,
        keyword_top1=k1,
        keyword_top3=k3,
        median_ms=statistics.median(cpu),
        p95_ms=percentile(cpu, 95),
        wall_median_ms=statistics.median(wall),
        wall_p95_ms=percentile(wall, 95),
        keyword_median_ms=statistics.median(timings_ms(keywords, texts)[0]),
        load=loadavg(),
    )


def verdicts(r: Report) -> list[tuple[str, str, bool]]:
    return [
        ("top-1 ≥ 85 %", f"{r.model_top1:.1%}", r.model_top1 >= TOP1_TARGET),
        ("top-3 ≥ 95 %", f"{r.model_top3:.1%}", r.model_top3 >= TOP3_TARGET),
        (
            "ahead of the keyword guess",
            f"top-1 {r.model_top1:.1%} vs {r.keyword_top1:.1%}, "
            f"top-3 {r.model_top3:.1%} vs {r.keyword_top3:.1%}",
            r.model_top1 > r.keyword_top1 and r.model_top3 > r.keyword_top3,
        ),
        (
            "suggestion costs < 5 ms (p95, CPU)",
            f"median {r.median_ms:.2f} ms, p95 {r.p95_ms:.2f} ms "
            f"(wall clock: median {r.wall_median_ms:.2f} ms, p95 {r.wall_p95_ms:.2f} ms at load {r.load})",
            r.p95_ms < MS_TARGET,
        ),
    ]


def show(r: Report) -> str:
    lines = [
        "",
        f"Category suggested from the text — {r.csv}: {r.rows} rows; split seed {SPLIT_SEED}, "
        f"{HELD_OUT:.0%} held out: {r.training} to train, {r.held_out} held out; load {r.load}",
        f"trained in {r.train_s:.1f} s (word tokens by pythainlp newmm + character 2–4-grams, TF-IDF, "
        "one linear SVM per Traffy type)",
        "",
        f"{'held out':<30}{'top-1':>8}{'top-3':>8}{'CPU median':>13}",
        f"{'model (quick reply order)':<30}{r.model_top1:>8.1%}{r.model_top3:>8.1%}{r.median_ms:>10.2f} ms",
        f"{'keyword guess (floor)':<30}{r.keyword_top1:>8.1%}{r.keyword_top3:>8.1%}"
        f"{r.keyword_median_ms:>10.2f} ms",
        "",
    ]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {name}: {measured}" for name, measured, ok in verdicts(r)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="category_bench", description=__doc__.splitlines()[0])
    default_csv = Path(os.environ.get("CATEGORY_TRAINING_CSV") or DEFAULT_CSV)
    p.add_argument("--csv", type=Path, default=default_csv, help="labelled texts (default %(default)s)")
    p.add_argument("--rows", type=int, default=0, help="use only the first N rows of the CSV (quick runs)")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = p.parse_args(argv)
    try:
        report = run(a.csv, a.rows)
    except CategoryDataError as exc:
        print(f"category_bench: {exc}", file=sys.stderr)
        return 2
    print(show(report))
    if a.json:
        print(json.dumps(asdict(report)))
    return 1 if a.strict and not all(ok for _, _, ok in verdicts(report)) else 0


if __name__ == "__main__":
    sys.exit(main())
