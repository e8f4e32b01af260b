"""Routing benchmark: district point-in-polygon routing against real Traffy Fondue complaints.

Run with `make bench-routing` (or `python -m bench.routing_bench --help`). It

1. reads the district boundaries (`models.districts.read_boundaries`) and builds the `DistrictLocator`
   (STRtree), timing the build;
2. reads the Traffy sample CSV with the stdlib `csv` module (`coords` is "lon,lat", `district` is the
   district name as Traffy gives it), routes every row and compares our district with Traffy's,
   after normalising the names (see `normalise_district_name`);
3. measures lookups per second of the locator over a fixed number of lookups (all rows repeated to at
   least `--lookups`), beside the floor: a naive scan, `polygon.contains(point)` over every district,
   measured over fewer lookups (`--naive-lookups`);
4. prints the figures and PASS/FAIL against the target (agreement >= 97 %). The exit status is 0 unless
   `--strict` is given and a target is missed (2 when an input file cannot be read).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import Point

from models.districts import BoundaryFileError, DistrictBoundary, DistrictLocator, read_boundaries

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_GEOJSON = SHARED_DATA / "bangkok_districts.geojson"
DEFAULT_CSV = SHARED_DATA / "traffy_sample.csv"

TARGET_AGREEMENT_PCT = 97.0
DEFAULT_LOOKUPS = 100_000
DEFAULT_NAIVE_LOOKUPS = 2_000
MAX_LISTED_DISAGREEMENTS = 20

# --------------------------------------------------------------------------- district names

DISTRICT_PREFIX = "เขต"  # "district" (khet); Traffy's `district` column may or may not carry it
# Zero-width space/joiners, word joiner and BOM: invisible, and sometimes pasted into Thai text.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_WHITESPACE = re.compile(r"\s+")
# Known misspellings -> the official DOPA spelling used in `name_th` (after the other normalisation).
# ราษฏร์บูรณะ (ฏ instead of ฎ) is how the BMA source layer spelt 1024 (see shared/data/SOURCES.md).
DISTRICT_ALIASES: dict[str, str] = {
    "ราษฏร์บูรณะ": "ราษฎร์บูรณะ",
}


def normalise_district_name(name: str) -> str:
    """A district name in the form of `name_th` in the boundary file: official spelling, no "เขต".

    NFC; sara am written as nikhahit + sara aa (U+0E4D U+0E32) becomes U+0E33; invisible characters and
    all whitespace go; a leading "เขต" goes; known misspellings are corrected.
    """
    text = unicodedata.normalize("NFC", name)
    text = text.replace("\u0e4d\u0e32", "\u0e33")
    text = _INVISIBLE.sub("", text)
    text = _WHITESPACE.sub("", text)
    if text.startswith(DISTRICT_PREFIX) and len(text) > len(DISTRICT_PREFIX):
        text = text[len(DISTRICT_PREFIX) :]
    return DISTRICT_ALIASES.get(text, text)


def district_codes_by_name(boundaries: Sequence[DistrictBoundary]) -> dict[str, str]:
    """Normalised Thai name -> district code."""
    return {normalise_district_name(b.name_th): b.code for b in boundaries}


# --------------------------------------------------------------------------- rows and routing


@dataclass(frozen=True)
class TraffyRow:
    ticket_id: str
    coords: str  # as in the file: "lon,lat"
    district: str  # as in the file
    latitude: float | None  # None when `coords` does not parse
    longitude: float | None


def parse_coords(coords: str) -> tuple[float, float] | None:
    """(latitude, longitude) from Traffy's "lon,lat", or None if it does not parse or is not finite."""
    parts = coords.split(",")
    if len(parts) != 2:
        return None
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return lat, lon


def load_rows(path: Path) -> list[TraffyRow]:
    """All rows of a Traffy export (UTF-8, with or without a BOM), read with the stdlib `csv` module."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for record in csv.DictReader(fh):
            coords = record.get("coords") or ""
            point = parse_coords(coords)
            rows.append(
                TraffyRow(
                    ticket_id=record.get("ticket_id") or "",
                    coords=coords,
                    district=record.get("district") or "",
                    latitude=point[0] if point else None,
                    longitude=point[1] if point else None,
                )
            )
    return rows


def build_locator(boundaries: Sequence[DistrictBoundary]) -> DistrictLocator:
    return DistrictLocator([(b.code, b.geometry) for b in boundaries])


@dataclass
class Disagreement:
    ticket_id: str
    coords: str
    traffy_district: str
    our_district: str


@dataclass
class RoutingResult:
    rows: int = 0
    agree: int = 0
    outside: int = 0  # coords parse but fall outside every district
    bad_coords: int = 0  # coords do not parse
    disagree: int = 0  # routed to a district other than Traffy's
    unknown_names: dict[str, int] = field(default_factory=dict)  # Traffy names matching no district
    disagreements: list[Disagreement] = field(default_factory=list)  # every one, in file order

    @property
    def agreement_pct(self) -> float:
        return 100.0 * self.agree / self.rows if self.rows else 0.0


def route_rows(
    rows: Sequence[TraffyRow], locator: DistrictLocator, boundaries: Sequence[DistrictBoundary]
) -> RoutingResult:
    """Route every row and compare with Traffy's district (by normalised name)."""
    codes = district_codes_by_name(boundaries)
    names = {b.code: b.name_th for b in boundaries}
    result = RoutingResult(rows=len(rows))
    for row in rows:
        if row.latitude is None or row.longitude is None:
            result.bad_coords += 1
            continue
        ours = locator.locate(row.latitude, row.longitude)
        if ours is None:
            result.outside += 1
            continue
        theirs = codes.get(normalise_district_name(row.district))
        if theirs is None:
            result.unknown_names[row.district] = result.unknown_names.get(row.district, 0) + 1
        if ours == theirs:
            result.agree += 1
        else:
            result.disagree += 1
            result.disagreements.append(Disagreement(row.ticket_id, row.coords, row.district, names[ours]))
    return result


def naive_locate(boundaries: Sequence[DistrictBoundary], latitude: float, longitude: float) -> str | None:
    """The floor: `polygon.contains(point)` over every district, no index."""
    point = Point(longitude, latitude)
    for b in boundaries:
        if b.geometry.contains(point):
            return b.code
    return None


# --------------------------------------------------------------------------- timing


@dataclass
class Speed:
    lookups: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.lookups / self.seconds if self.lookups and self.seconds > 0 else 0.0


def repeated_points(rows: Sequence[TraffyRow], at_least: int) -> list[tuple[float, float]]:
    """The rows' (lat, lon), whole passes repeated until there are at least `at_least` of them."""
    points = [(r.latitude, r.longitude) for r in rows if r.latitude is not None and r.longitude is not None]
    if not points or at_least <= 0:
        return []
    return points * math.ceil(at_least / len(points))


def time_lookups(
    locate: Callable[[float, float], str | None], points: Sequence[tuple[float, float]]
) -> Speed:
    start = time.perf_counter()
    for lat, lon in points:
        locate(lat, lon)
    return Speed(len(points), time.perf_counter() - start)


# --------------------------------------------------------------------------- main


@dataclass
class Report:
    csv: str
    geojson: str
    districts: int
    read_seconds: float
    build_seconds: float
    rows: int
    agree: int
    agreement_pct: float
    outside: int
    bad_coords: int
    disagree: int
    unknown_names: dict[str, int]
    disagreements: list[dict[str, str]]
    lookups: int
    lookups_per_second: float
    naive_lookups: int
    naive_lookups_per_second: float
    speedup: float
    naive_mismatches: int  # points where the naive scan and the locator give different districts
    target_agreement_pct: float
    passed: bool


def run(csv_path: Path, geojson_path: Path, lookups: int, naive_lookups: int) -> Report:
    start = time.perf_counter()
    boundaries = read_boundaries(geojson_path)
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    locator = build_locator(boundaries)
    build_seconds = time.perf_counter() - start

    rows = load_rows(csv_path)
    result = route_rows(rows, locator, boundaries)

    points = repeated_points(rows, lookups)
    if points:
        locator.locate(*points[0])  # warm-up
    fast = time_lookups(locator.locate, points)
    naive_points = points[:naive_lookups]
    # The locator prepares its polygons in place; the floor scans untouched ones, as naive code would.
    plain = read_boundaries(geojson_path)
    naive = time_lookups(lambda lat, lon: naive_locate(plain, lat, lon), naive_points)
    mismatches = sum(
        1
        for lat, lon in naive_points[: len(rows)]
        if naive_locate(boundaries, lat, lon) != locator.locate(lat, lon)
    )
    speedup = fast.per_second / naive.per_second if naive.per_second > 0 else 0.0
    return Report(
        csv=str(csv_path),
        geojson=str(geojson_path),
        districts=len(boundaries),
        read_seconds=read_seconds,
        build_seconds=build_seconds,
        rows=result.rows,
        agree=result.agree,
        agreement_pct=result.agreement_pct,
        outside=result.outside,
        bad_coords=result.bad_coords,
        disagree=result.disagree,
        unknown_names=result.unknown_names,
        disagreements=[asdict(d) for d in result.disagreements],
        lookups=fast.lookups,
        lookups_per_second=fast.per_second,
        naive_lookups=naive.lookups,
        naive_lookups_per_second=naive.per_second,
        speedup=speedup,
        naive_mismatches=mismatches,
        target_agreement_pct=TARGET_AGREEMENT_PCT,
        passed=result.rows > 0 and result.agreement_pct >= TARGET_AGREEMENT_PCT,
    )


def print_report(report: Report) -> None:
    def line(label: str, value: str) -> None:
        print(f"  {label:<34} {value}")

    print("Routing benchmark: DistrictLocator (STRtree) against Traffy Fondue's districts")
    line("boundaries", f"{report.geojson} ({report.districts} districts)")
    line("complaints", report.csv)
    line("read boundaries", f"{report.read_seconds * 1000:.1f} ms")
    line("build locator (STRtree)", f"{report.build_seconds * 1000:.2f} ms")
    print()
    line("rows", f"{report.rows:,}")
    line("same district as Traffy", f"{report.agree:,} ({report.agreement_pct:.2f} %)")
    line("outside every district", f"{report.outside:,}")
    if report.bad_coords:
        line("coords that do not parse", f"{report.bad_coords:,}")
    line("different district", f"{report.disagree:,}")
    if report.unknown_names:
        unknown = ", ".join(f"{name!r} x{count}" for name, count in sorted(report.unknown_names.items()))
        line("Traffy names matching no district", unknown)
    if report.disagreements:
        shown = report.disagreements[:MAX_LISTED_DISAGREEMENTS]
        print(f"\n  Disagreements ({len(shown)} of {len(report.disagreements)}):")
        print(f"    {'ticket_id':<12} {'coords (lon,lat)':<20} {'Traffy':<20} ours")
        for d in shown:
            print(
                f"    {d['ticket_id']:<12} {d['coords']:<20} {d['traffy_district']:<20} {d['our_district']}"
            )
    print()
    line("locator lookups/s", f"{report.lookups_per_second:,.0f} (over {report.lookups:,} lookups)")
    line(
        "floor: naive contains() scan, /s",
        f"{report.naive_lookups_per_second:,.0f} (over {report.naive_lookups:,} lookups)",
    )
    line("speed-up", f"{report.speedup:,.1f}x")
    if 0 < report.speedup < 1:
        print("  NOTE: the locator is slower than the naive scan it is meant to beat")
    if report.naive_mismatches:
        line("naive scan vs locator mismatches", f"{report.naive_mismatches}")
    print()
    verdict = "PASS" if report.passed else "FAIL"
    print(
        f"{verdict}: agreement {report.agreement_pct:.2f} % (target >= {report.target_agreement_pct:.0f} %)"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.routing_bench",
        description="Route real Traffy Fondue complaints to districts; agreement and lookups per second.",
    )
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="Traffy CSV (default: %(default)s)")
    parser.add_argument(
        "--geojson", type=Path, default=DEFAULT_GEOJSON, help="district boundaries (default: %(default)s)"
    )
    parser.add_argument(
        "--lookups", type=int, default=DEFAULT_LOOKUPS, help="locator lookups to time, at least (%(default)s)"
    )
    parser.add_argument(
        "--naive-lookups", type=int, default=DEFAULT_NAIVE_LOOKUPS, help="naive-scan lookups (%(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args.csv, args.geojson, max(args.lookups, 1), max(args.naive_lookups, 1))
    except (OSError, BoundaryFileError, csv.Error, UnicodeDecodeError) as exc:
        print(f"routing_bench: cannot read the input: {exc}", file=sys.stderr)
        return 2
    if args.json:
        data: dict[str, Any] = asdict(report)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return 1 if args.strict and not report.passed else 0


if __name__ == "__main__":
    sys.exit(main())
