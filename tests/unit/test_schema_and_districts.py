"""District boundaries: known places fall in their district; bad boundary files are refused with why."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.districts import BANGKOK_DISTRICTS, BoundaryFileError, DistrictLocator, read_boundaries
from tests.conftest import SHARED_GEOJSON


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        (13.7500, 100.4913, "1001"),  # Grand Palace: Phra Nakhon
        (13.8040, 100.5530, "1030"),  # Chatuchak Park
        (13.7462, 100.5347, "1007"),  # Siam Paragon: Pathum Wan
        (13.7437, 100.4889, "1016"),  # Wat Arun: Bangkok Yai
        (13.9126, 100.6068, "1036"),  # Don Mueang Airport
        (13.6900, 100.7501, None),  # Suvarnabhumi: outside Bangkok
    ],
)
def test_known_places_fall_in_their_district(lat, lon, code):
    boundaries = read_boundaries(SHARED_GEOJSON)
    locator = DistrictLocator([(b.code, b.geometry) for b in boundaries])
    assert locator.locate(lat, lon) == code


def test_district_list_matches_the_boundary_file():
    from_file = {(b.code, b.name_th, b.name_en) for b in read_boundaries(SHARED_GEOJSON)}
    assert set(BANGKOK_DISTRICTS) == from_file


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"type":"FeatureCollection"}',
        '{"features":[{"properties":{"code":"1"}}]}',
        '{"features":[]}',
    ],
)
def test_bad_boundary_files_are_refused_with_a_reason(tmp_path: Path, content: str):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(BoundaryFileError, match=str(path)):
        read_boundaries(path)
