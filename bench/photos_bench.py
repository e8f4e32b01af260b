"""Benchmark of the reused-photo detector (issue 17 point 4): `make bench-photos`.

PostgreSQL only (`--database-url`, else BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local test
database); a throwaway schema, migrated, dropped at the end (`--keep` keeps it). It

1. cuts the distinct images (bench/photo_set.py: non-overlapping crops of the photographs in Debian's
   mate-backgrounds and plasma-workspace-wallpapers; `make bench-photos` installs them) and keeps two
   of every three as the store: each saved with `models.photos.save_photo` (which fingerprints it) on a
   complaint of its own; the third is kept back as "genuinely new" photos;
2. makes each change of bench/photo_set.py to every stored image, saves the copy as an officer's photo
   and asks `models.photo_checks.check_photo` about it: recall per change = the copies whose original is
   among the matches, PASS/FAIL against the issue's targets;
3. checks every new photo against the whole store: the false-flag rate (target ≤ 1 %);
4. measures the distance of every pair of distinct images (each one's ten windows against the other's
   stored window) and derives the false-flag rate per upload against 1,000,000 stored fingerprints
   from it: the pairs measured at or under MATCH_DISTANCE, and a normal fit of the distribution's
   tail where too few pairs are that close to count;
5. fills the schema with `--stored` (1,000,000) fingerprints of realistic distribution — real
   fingerprints of random windows of every wallpaper the packages ship, their 16-bit chunks recombined
   so that each row is new while each indexed column keeps the real values' spread — then times
   `check_photo` (the whole lookup, as an officer waits for it) for `--queries` copies and new photos:
   p95 < 50 ms, printed beside the floor, a bare scan of every fingerprint computing the same distance
   in SQL; and counts how many new photos meet a "match" among the million.

Exit status 0; 1 with `--strict` when a target is missed; 2 when the run could not be made.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from PIL import Image
from sqlalchemy import text

from bench.pg_schema import schema_of, throwaway_schema
from bench.photo_set import CHANGES, PACKAGES, Distinct, distinct_images, jpeg, random_windows, source_photos
from bench.runs import DEFAULT_PG, loadavg
from models.clock import clock
from models.complaints import Complaint, Photo
from models.db import make_session_factory, transaction
from models.migrate import upgrade
from models.photo_checks import PhotoMatch, check_photo
from models.photo_fingerprints import (
    MATCH_DISTANCE,
    MATCH_PHASH,
    Fingerprint,
    Window,
    chunks,
    read_photo,
    signed,
)
from models.photos import save_photo

TARGET_LOOKUP_P95_MS = 50.0
TARGET_NEW_FLAGGED = 0.01
MILLION = 1_000_000


@dataclass
class Options:
    database_url: str = (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    )
    stored: int = MILLION
    queries: int = 200
    floor_queries: int = 20
    windows: int = 3000
    seed: int = 1
    keep: bool = False
    json: bool = False
    strict: bool = False
    images: int = 0  # 0: every distinct image


@dataclass
class Recall:
    change: str
    caught: int
    total: int
    target: float | None

    @property
    def rate(self) -> float:
        return self.caught / self.total if self.total else 0.0

    @property
    def passed(self) -> bool:
        return self.target is None or self.rate >= self.target


@dataclass
class Report:
    images: int = 0
    parents: int = 0
    stored: int = 0
    new: int = 0
    recall: list[Recall] = field(default_factory=list)
    new_flagged: int = 0
    pairs: dict[str, Any] = field(default_factory=dict)
    million: dict[str, Any] = field(default_factory=dict)
    fingerprint_ms: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="photos_bench", description=__doc__.splitlines()[0])
    o = Options()
    p.add_argument("--database-url", default=o.database_url, help="PostgreSQL (default %(default)s)")
    p.add_argument(
        "--stored", type=int, default=o.stored, help="fingerprints in the store (default 1,000,000)"
    )
    p.add_argument("--queries", type=int, default=o.queries, help="lookups timed at that size")
    p.add_argument("--floor-queries", type=int, default=o.floor_queries, help="bare scans timed")
    p.add_argument("--windows", type=int, default=o.windows, help="real windows behind the million")
    p.add_argument("--images", type=int, default=0, help="use only this many distinct images (quick runs)")
    p.add_argument("--seed", type=int, default=o.seed)
    p.add_argument("--keep", action="store_true", help="keep the schema")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = p.parse_args(argv)
    opts = Options(
        a.database_url,
        a.stored,
        a.queries,
        a.floor_queries,
        a.windows,
        a.seed,
        a.keep,
        a.json,
        a.strict,
        a.images,
    )
    if not source_photos():
        print(f"photos_bench: the photographs are not installed: apt-get install {' '.join(PACKAGES)}")
        return 2
    if not opts.database_url.startswith(("postgresql", "postgres")):
        print("photos_bench: PostgreSQL only (--database-url)")
        return 2
    try:
        report = run(opts)
    except (psycopg.OperationalError, OSError) as exc:
        print(f"photos_bench: could not run: {exc}")
        return 2
    print(show(report, opts))
    if opts.json:
        print(json.dumps(as_json(report), default=_plain))
    return 1 if opts.strict and not all(ok for _, _, ok in verdicts(report)) else 0


def _plain(value: Any) -> Any:
    """numpy's numbers as JSON's."""
    return value.item() if hasattr(value, "item") else str(value)


def run(opts: Options) -> Report:
    report = Report()
    rng = random.Random(opts.seed)
    started = time.monotonic()
    images = distinct_images()
    if opts.images:
        images = images[: opts.images]
    report.images = len(images)
    report.parents = len({d.parent for d in images})
    stored = [d for d in images if d.index % 3 != 2]
    new = [d for d in images if d.index % 3 == 2]
    report.stored, report.new = len(stored), len(new)
    print(
        f"{len(images)} distinct images from {report.parents} photographs: "
        f"{len(stored)} stored, {len(new)} new"
    )
    with (
        tempfile.TemporaryDirectory(prefix="photos-bench-") as tmp,
        throwaway_schema(opts.database_url, "photos_bench", keep=opts.keep) as engine,
    ):
        upgrade(engine)
        sessions = make_session_factory(engine)
        photo_dir = Path(tmp)
        now = clock.now()
        fp_times: list[float] = []
        originals: dict[int, int] = {}  # distinct index → photo id
        with transaction(sessions) as session:
            probe = _complaint(session, "probe", "bench-probe", now, None)
            for d in stored:
                complaint = _complaint(
                    session, f"s{d.index}", f"category {d.index}", now - timedelta(days=30), d.index
                )
                t0 = time.perf_counter()
                photo = save_photo(session, photo_dir, jpeg(d.image), "image/jpeg", now - timedelta(days=30))
                fp_times.append(time.perf_counter() - t0)
                photo.complaint_id = complaint.id
                originals[d.index] = photo.id
            probe_id = probe.id
        report.seconds["store"] = time.monotonic() - started

        def ask(image: Image.Image) -> list[PhotoMatch]:
            with sessions() as session:
                t0 = time.perf_counter()
                photo = save_photo(session, photo_dir, jpeg(image), "image/jpeg", now)
                fp_times.append(time.perf_counter() - t0)
                matches = check_photo(session, photo, session.get(Complaint, probe_id))
                session.rollback()  # the store stays as it was
            return matches

        t0 = time.monotonic()
        for name, (change, target) in CHANGES.items():
            caught = 0
            for d in stored:
                matches = ask(change(d.image, rng))
                caught += any(m.photo_id == originals[d.index] for m in matches)
            report.recall.append(Recall(name, caught, len(stored), target))
            print(f"  {name}: {caught}/{len(stored)}", flush=True)
        report.new_flagged = sum(1 for d in new if ask(d.image))
        report.seconds["recall"] = time.monotonic() - t0
        report.fingerprint_ms = {
            "p50": percentile(fp_times, 50) * 1000,
            "p95": percentile(fp_times, 95) * 1000,
        }

        t0 = time.monotonic()
        prints = [read_photo(jpeg(d.image)).fingerprint for d in images]
        report.pairs = pair_distances(images, prints)
        report.seconds["pairs"] = time.monotonic() - t0

        t0 = time.monotonic()
        report.million = million(engine, sessions, opts, rng, stored, new, originals, probe_id, photo_dir)
        report.seconds["million"] = time.monotonic() - t0
        report.million["schema"] = schema_of(engine)
    return report


def _complaint(session: Any, code: str, category: str, at: Any, index: int | None) -> Complaint:
    # Far apart (about 1.1 km steps), so no two stored photos are "the same spot".
    lat = 13.5 + (index or 0) * 0.01
    complaint = Complaint(
        tracking_code=f"BENCH-{code}", category=category, latitude=lat, longitude=100.5, created_at=at
    )
    session.add(complaint)
    session.flush()
    return complaint


def bit_matrix(windows: Sequence[Window]) -> np.ndarray:
    """Windows as rows of two uint64 (pHash, dHash)."""
    return np.array([[w.phash, w.dhash] for w in windows], dtype=np.uint64)


def pair_distances(images: list[Distinct], prints: list[Fingerprint | None]) -> dict[str, Any]:
    """Every ordered pair of distinct images, as check_photo sees it: one's ten windows against the
    other's stored window. The pairs that count as a match are counted; and, since a few hundred
    thousand pairs cannot show a rate of one in a hundred million, the rate is also estimated from the
    two hashes' distances taken apart (each measured down to one in a few million), as if they were
    independent, summed over the ten windows (a union bound: neighbouring windows agree, so fewer)."""
    keep = [i for i, f in enumerate(prints) if f is not None]
    centres = bit_matrix([prints[i].centre for i in keep])  # type: ignore[union-attr]
    parents = np.array([images[i].parent for i in keep])
    matched, same, phash_counts, dhash_counts = [], [], [], []
    for row, i in enumerate(keep):
        wins = bit_matrix(prints[i].windows)  # type: ignore[union-attr]
        dp = np.bitwise_count(wins[:, None, 0] ^ centres[None, :, 0]).astype(np.int64)
        dd = np.bitwise_count(wins[:, None, 1] ^ centres[None, :, 1]).astype(np.int64)
        hit = ((dp <= MATCH_PHASH) & (dp + dd <= MATCH_DISTANCE)).any(axis=0)
        mask = np.arange(len(keep)) != row
        other = mask & (parents != parents[row])
        matched.append(hit[mask])
        same.append(parents[mask] == parents[row])
        phash_counts.append(np.bincount(dp[:, other].ravel(), minlength=65))
        dhash_counts.append(np.bincount(dd[:, other].ravel(), minlength=65))
    hits = np.concatenate(matched)
    same_parent = np.concatenate(same)
    p_hist = np.sum(phash_counts, axis=0) / np.sum(phash_counts)
    d_cdf = np.cumsum(np.sum(dhash_counts, axis=0) / np.sum(dhash_counts))
    per_window = sum(p_hist[k] * d_cdf[MATCH_DISTANCE - k] for k in range(MATCH_PHASH + 1))
    estimated = min(1.0, len(prints[keep[0]].windows) * per_window)  # type: ignore[union-attr]
    out: dict[str, Any] = {
        "phash_at_or_under": float(p_hist[: MATCH_PHASH + 1].sum()),
        "estimated_rate": estimated,
        "per_upload_at_million": 1 - (1 - estimated) ** MILLION,
    }
    for name, mask in (("other photographs", ~same_parent), ("same photograph", same_parent)):
        close = int(hits[mask].sum())
        n = int(mask.sum())
        out[name] = {
            "pairs": n,
            "matches": close,
            "measured_rate": close / n,
            "upper95_rate": UPPER95.get(close, close * 1.5 + 3) / n,
            "per_upload_at_million_measured": 1 - (1 - close / n) ** MILLION,
        }
    return out


# The 95 % upper bound of a Poisson count seen k times (exact for small k).
UPPER95 = {0: 3.0, 1: 4.74, 2: 6.30, 3: 7.75, 4: 9.15, 5: 10.51}


def million(
    engine: Any,
    sessions: Any,
    opts: Options,
    rng: random.Random,
    stored: list[Distinct],
    new: list[Distinct],
    originals: dict[int, int],
    probe_id: int,
    photo_dir: Path,
) -> dict[str, Any]:
    """Fill the store to `opts.stored` fingerprints, then time the lookup and its floor."""
    t0 = time.monotonic()
    real = [read_photo(jpeg(w, 85)).fingerprint for w in random_windows(opts.windows, opts.seed)]
    centres = [f.centre for f in real if f is not None]
    made_s = time.monotonic() - t0
    have = len(stored)
    todo = max(0, opts.stored - have)
    t0 = time.monotonic()
    with transaction(sessions) as session:
        pool = [_complaint(session, f"m{i}", f"m {i % 40}", clock.now(), 10_000 + i).id for i in range(2000)]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        columns = (
            "complaint_id, path, content_type, size_bytes, sha256, created_at, fp_phash, fp_dhash, "
            "fp_chunk0, fp_chunk1, fp_chunk2, fp_chunk3, fingerprint_version"
        )
        when = clock.now() - timedelta(days=60)
        phashes, dhashes = synthetic(centres, todo, opts.seed)
        owners = np.random.default_rng(opts.seed).integers(0, len(pool), size=todo)
        with cur.copy(f"COPY photos ({columns}) FROM STDIN") as copy:
            for n in range(todo):
                phash, dhash = int(phashes[n]), int(dhashes[n])
                copy.write_row(
                    (
                        pool[owners[n]],
                        "bench/none.jpg",
                        "image/jpeg",
                        1,
                        f"{n:064x}",
                        when,
                        signed(phash),
                        signed(dhash),
                        *chunks(phash),
                        1,
                    )
                )
        raw.commit()
        # As autovacuum leaves an insert-mostly table: the visibility map set, so the lookup's
        # index-only scans need not visit the rows.
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("VACUUM ANALYZE photos")
    finally:
        raw.close()
    fill_s = time.monotonic() - t0
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM photos WHERE fp_phash IS NOT NULL")).scalar_one()
    print(
        f"  store: {total} fingerprints ({made_s:.0f} s for {len(centres)} real windows, "
        f"{fill_s:.0f} s to fill)"
    )

    # The timed lookups: copies of stored photos (changed at random) and new photos, alternated.
    names = list(CHANGES)
    lookups: list[float] = []
    floors: list[float] = []
    hits = found = 0
    new_flagged = 0
    queries = []
    for q in range(opts.queries):
        if q % 2 == 0:
            d = rng.choice(stored)
            change = CHANGES[names[q // 2 % len(names)]][0]
            queries.append((d, change(d.image, rng)))
        else:
            queries.append((None, new[q // 2 % len(new)].image))
    for q, (d, image) in enumerate(queries):
        with sessions() as session:
            photo = save_photo(session, photo_dir, jpeg(image), "image/jpeg", clock.now())
            session.flush()
            complaint = session.get(Complaint, probe_id)
            session.expire_all()  # nothing cached: each lookup reads the database
            photo = session.get(Photo, photo.id)
            complaint = session.get(Complaint, probe_id)
            t0 = time.perf_counter()
            matches = check_photo(session, photo, complaint)
            lookups.append(time.perf_counter() - t0)
            if q < opts.floor_queries:
                floors.append(_floor(session, photo))
            session.rollback()
        if d is None:
            new_flagged += bool(matches)
        else:
            hits += 1
            found += any(m.photo_id == originals[d.index] for m in matches)
    # Every new photo against the million, untimed: how many meet a "match" there.
    flagged_all = 0
    for d in new:
        with sessions() as session:
            photo = save_photo(session, photo_dir, jpeg(d.image), "image/jpeg", clock.now())
            flagged_all += bool(check_photo(session, photo, session.get(Complaint, probe_id)))
            session.rollback()
    return {
        "fingerprints": int(total),
        "real_windows": len(centres),
        "fill_s": fill_s,
        "lookup_p50_ms": percentile(lookups, 50) * 1000,
        "lookup_p95_ms": percentile(lookups, 95) * 1000,
        "lookup_max_ms": max(lookups) * 1000,
        "floor_p50_ms": percentile(floors, 50) * 1000,
        "floor_p95_ms": percentile(floors, 95) * 1000,
        "lookups": len(lookups),
        "floors": len(floors),
        "copies_found": found,
        "copies": hits,
        "new_flagged": flagged_all,
        "new": len(new),
    }


NOISE = 0.1  # each bit of a million-row fingerprint flipped with this chance: new values, the same habits


def synthetic(centres: list[Window], count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` fingerprints made of real ones: each 16-bit chunk of the pHash from a different real
    window, the dHash from another, then every bit flipped with chance NOISE."""
    gen = np.random.default_rng(seed)
    source = bit_matrix(centres)
    phash = np.zeros(count, dtype=np.uint64)
    for i in range(4):
        mask = np.uint64(0xFFFF << (48 - 16 * i))
        phash |= source[gen.integers(0, len(source), size=count), 0] & mask
    dhash = source[gen.integers(0, len(source), size=count), 1].copy()
    for column in (phash, dhash):
        flips = np.packbits(gen.random((count, 64)) < NOISE, axis=1).view(">u8").ravel().astype(np.uint64)
        column ^= flips
    return phash, dhash


FLOOR_WINDOW = (
    "CASE WHEN bit_count((fp_phash # %s::bigint)::bit(64)) <= {p} "
    "THEN bit_count((fp_phash # %s::bigint)::bit(64)) + bit_count((fp_dhash # %s::bigint)::bit(64)) END"
)


def _floor(session: Any, photo: Photo) -> float:
    """A bare scan: every stored fingerprint, the same smallest distance over the ten windows, in SQL."""
    from models.photo_checks import windows_of

    windows = windows_of(photo)
    params: list[int] = []
    for w in windows:
        params += [signed(w.phash), signed(w.phash), signed(w.dhash)]
    least = ", ".join(FLOOR_WINDOW.format(p=MATCH_PHASH) for _ in windows)
    sql = (
        f"SELECT id FROM photos WHERE complaint_id IS NOT NULL AND fp_phash IS NOT NULL "
        f"AND LEAST({least}) <= {MATCH_DISTANCE}"
    )
    raw = session.connection().connection.driver_connection
    t0 = time.perf_counter()
    raw.execute(sql, params).fetchall()
    return time.perf_counter() - t0


def verdicts(r: Report) -> list[tuple[str, str, bool]]:
    out = []
    for rec in r.recall:
        target = "measured" if rec.target is None else f"≥ {rec.target:.0%}"
        out.append(
            (f"recall, {rec.change} ({target})", f"{rec.rate:.1%} ({rec.caught}/{rec.total})", rec.passed)
        )
    flagged = r.new_flagged / r.new if r.new else 0.0
    out.append(
        (
            f"new photos flagged, against the {r.stored} stored (≤ 1 %)",
            f"{flagged:.2%} ({r.new_flagged}/{r.new})",
            flagged <= TARGET_NEW_FLAGGED,
        )
    )
    m = r.million
    if m:
        at_million = m["new_flagged"] / m["new"] if m["new"] else 0.0
        out.append(
            (
                f"new photos flagged, against {m['fingerprints']:,} stored (≤ 1 %)",
                f"{at_million:.2%} ({m['new_flagged']}/{m['new']})",
                at_million <= TARGET_NEW_FLAGGED,
            )
        )
        est = r.pairs["per_upload_at_million"]
        out.append(
            (
                "false flags per upload at 1,000,000, estimated from the pair distances (≤ 1 %)",
                f"{est:.2%}",
                est <= 0.01,
            )
        )
        out.append(
            (
                f"lookup p95 at {m['fingerprints']:,} (< {TARGET_LOOKUP_P95_MS:.0f} ms)",
                f"{m['lookup_p95_ms']:.1f} ms (floor, a bare scan: {m['floor_p95_ms']:.0f} ms)",
                m["lookup_p95_ms"] < TARGET_LOOKUP_P95_MS,
            )
        )
    return out


def show(r: Report, opts: Options) -> str:
    lines = [
        "",
        f"Reused-photo detector — {r.images} distinct images from {r.parents} photographs "
        f"({r.stored} stored, {r.new} new), MATCH_DISTANCE {MATCH_DISTANCE} of 128 bits, load {loadavg()}",
        f"fingerprint (save_photo, 320×240 JPEG): p50 {r.fingerprint_ms.get('p50', 0):.1f} ms, "
        f"p95 {r.fingerprint_ms.get('p95', 0):.1f} ms",
        "",
    ]
    for name, measured, ok in verdicts(r):
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {name}: {measured}")
    lines.append("")
    for name in ("other photographs", "same photograph"):
        s = r.pairs.get(name)
        if s:
            lines.append(
                f"pairs of images from {name}: {s['pairs']:,}; counted as a match: {s['matches']} "
                f"(rate {s['measured_rate']:.1e}, 95 % bound {s['upper95_rate']:.1e}; at that rate "
                f"{s['per_upload_at_million_measured']:.1%} of uploads would be flagged at 1,000,000)"
            )
    if r.pairs:
        lines.append(
            f"estimated from each hash's own distances (pHash ≤ {MATCH_PHASH} in "
            f"{r.pairs['phash_at_or_under']:.1e} of window pairs): {r.pairs['estimated_rate']:.1e} a pair "
            f"→ {r.pairs['per_upload_at_million']:.2%} of uploads flagged at 1,000,000"
        )
    m = r.million
    if m:
        lines.append(
            f"at {m['fingerprints']:,}: lookup p50 {m['lookup_p50_ms']:.1f} ms, "
            f"p95 {m['lookup_p95_ms']:.1f} ms, max {m['lookup_max_ms']:.1f} ms ({m['lookups']} lookups); "
            f"floor p50 {m['floor_p50_ms']:.0f} ms, "
            f"p95 {m['floor_p95_ms']:.0f} ms ({m['floors']} scans); changed copies found there: "
            f"{m['copies_found']}/{m['copies']}"
        )
    lines.append("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in r.seconds.items()))
    return "\n".join(lines)


def as_json(r: Report) -> dict[str, Any]:
    return {
        "images": r.images,
        "stored": r.stored,
        "new": r.new,
        "recall": {x.change: x.rate for x in r.recall},
        "new_flagged": r.new_flagged,
        "pairs": r.pairs,
        "million": r.million,
        "fingerprint_ms": r.fingerprint_ms,
        "verdicts": [{"name": n, "measured": m, "passed": ok} for n, m, ok in verdicts(r)],
    }


if __name__ == "__main__":
    sys.exit(main())
