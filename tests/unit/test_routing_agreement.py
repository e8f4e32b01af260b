"""District routing against the real Traffy Fondue sample (bench/routing_bench.py), and name normalisation.

No timing assertions: speed is reported by `make bench-routing`, not tested.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.routing_bench import (
    DEFAULT_CSV,
    DEFAULT_GEOJSON,
    TARGET_AGREEMENT_PCT,
    TraffyRow,
    build_locator,
    district_codes_by_name,
    load_rows,
    main,
    normalise_district_name,
    parse_coords,
    route_rows,
)
from models.districts import DistrictBoundary, read_boundaries
from tests.conftest import SHARED_GEOJSON, require_or_skip

TRAFFY_ROWS = 1317


def _require_shared_data() -> None:
    for path in (DEFAULT_GEOJSON, DEFAULT_CSV):
        if not path.is_file():
            require_or_skip(f"shared data file missing: {path}")


@pytest.fixture(scope="module")
def boundaries() -> list[DistrictBoundary]:
    _require_shared_data()
    return read_boundaries(DEFAULT_GEOJSON)


def test_default_paths_are_the_shared_data_beside_the_repository() -> None:
    assert DEFAULT_GEOJSON == SHARED_GEOJSON
    assert DEFAULT_CSV.parent == SHARED_GEOJSON.parent


def test_traffy_rows_route_to_the_same_district(boundaries: list[DistrictBoundary]) -> None:
    rows = load_rows(DEFAULT_CSV)
    assert len(rows) == TRAFFY_ROWS

    result = route_rows(rows, build_locator(boundaries), boundaries)

    assert result.rows == TRAFFY_ROWS
    assert result.bad_coords == 0
    assert result.unknown_names == {}, "every Traffy district name should match a district after normalising"
    assert result.agree + result.outside + result.disagree == TRAFFY_ROWS
    assert result.agreement_pct >= TARGET_AGREEMENT_PCT, (
        f"{result.agree}/{result.rows} = {result.agreement_pct:.2f} %; first disagreements: "
        f"{result.disagreements[:5]}"
    )


def test_every_traffy_district_name_is_known(boundaries: list[DistrictBoundary]) -> None:
    codes = district_codes_by_name(boundaries)
    assert len(codes) == 50
    names = {row.district for row in load_rows(DEFAULT_CSV)}
    assert {name for name in names if normalise_district_name(name) not in codes} == set()


def test_main_json_and_strict_exit(
    boundaries: list[DistrictBoundary], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--json", "--strict", "--lookups", "10", "--naive-lookups", "10"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["rows"] == TRAFFY_ROWS
    assert report["passed"] is True
    assert report["naive_mismatches"] == 0


def test_main_reports_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--csv", str(tmp_path / "nope.csv"), "--geojson", str(tmp_path / "nope.geojson")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("บางรัก", "บางรัก"),
        ("เขตบางรัก", "บางรัก"),
        ("เขต บางรัก", "บางรัก"),
        ("  บางรัก\n", "บางรัก"),
        ("บาง\u200bรัก", "บางรัก"),  # zero-width space
        ("\ufeffเขตบางรัก", "บางรัก"),  # BOM
        ("ราษฏร์บูรณะ", "ราษฎร์บูรณะ"),  # ฏ for ฎ, as in the BMA source layer
        ("เขตราษฏร์บูรณะ", "ราษฎร์บูรณะ"),
        ("ป้อมปราบ ศัตรูพ่าย", "ป้อมปราบศัตรูพ่าย"),
        ("ก\u0e4d\u0e32", "ก\u0e33"),  # sara am typed as nikhahit + sara aa
        ("เขต", "เขต"),  # the prefix alone is not stripped to nothing
    ],
)
def test_normalise_district_name(raw: str, expected: str) -> None:
    assert normalise_district_name(raw) == expected


def test_normalise_is_idempotent_on_official_names(boundaries: list[DistrictBoundary]) -> None:
    for b in boundaries:
        assert normalise_district_name(b.name_th) == b.name_th
        assert normalise_district_name(f"เขต{b.name_th}") == b.name_th


@pytest.mark.parametrize(
    ("coords", "expected"),
    [
        ("100.59817,13.70565", (13.70565, 100.59817)),
        (" 100.5 , 13.7 ", (13.7, 100.5)),
        ("", None),
        ("100.5", None),
        ("100.5,13.7,0", None),
        ("abc,13.7", None),
        ("nan,13.7", None),
    ],
)
def test_parse_coords(coords: str, expected: tuple[float, float] | None) -> None:
    assert parse_coords(coords) == expected


def test_rows_outside_and_unknown_names_are_counted(boundaries: list[DistrictBoundary]) -> None:
    rows = [
        TraffyRow("a", "100.49125,13.75000", "เขตพระนคร", 13.75000, 100.49125),  # Grand Palace
        TraffyRow("b", "100.75,13.69", "บางพลี", 13.69, 100.75),  # Suvarnabhumi, outside Bangkok
        TraffyRow("c", "x", "พระนคร", None, None),
        TraffyRow("d", "100.49125,13.75000", "ไม่มีเขตนี้", 13.75000, 100.49125),
    ]
    result = route_rows(rows, build_locator(boundaries), boundaries)
    assert (result.agree, result.outside, result.bad_coords, result.disagree) == (1, 1, 1, 1)
    assert result.unknown_names == {"ไม่มีเขตนี้": 1}
    assert result.disagreements[0].ticket_id == "d"
