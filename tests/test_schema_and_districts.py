"""Migrations, the release step and district loading (every backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from bot.setup import release
from models import Base, District
from models.db import transaction
from models.district_list import BANGKOK_DISTRICTS
from models.districts import BoundaryFileError, DistrictLocator, read_boundaries
from tests.conftest import SHARED_GEOJSON, make_settings


def test_migrations_create_exactly_the_models_schema(services):
    with services.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_release_is_safe_to_run_again(services):
    first = release(services)
    second = release(services)
    assert (first.districts_added, first.boundaries_loaded) == (0, 50)  # the fixture already added the names
    assert (second.districts_added, second.boundaries_loaded) == (0, 50)
    with transaction(services.sessions) as session:
        assert session.scalar(select(func.count(District.code))) == 50
        assert session.scalar(select(func.count(District.code)).where(District.boundary.is_not(None))) == 50


def test_without_a_boundary_file_the_50_districts_exist_by_name(db_url, tmp_path, monkeypatch):
    import bot.settings

    monkeypatch.setattr(bot.settings, "DEFAULT_BOUNDARIES", tmp_path / "missing.geojson")
    from bot.services import Services

    services = Services.from_settings(make_settings(db_url, tmp_path))
    assert services.settings.districts_geojson is None
    report = release(services)
    assert report.boundaries_loaded == 0
    with transaction(services.sessions) as session:
        names = {d.code: d.name_th for d in session.scalars(select(District))}
        assert DistrictLocator.from_session(session).enabled is False
    assert len(names) == 50 and names["1030"] == "จตุจักร" and names["1001"] == "พระนคร"
    services.engine.dispose()


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


def test_districts_import_command_loads_any_file_with_the_same_properties(db_url, tmp_path):
    from tests.test_settings import run_cli

    small = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "1001", "name_th": "พระนคร", "name_en": "Phra Nakhon"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[100.0, 13.0], [101.0, 13.0], [101.0, 14.0], [100.0, 13.0]]],
                },
            }
        ],
    }
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps(small, ensure_ascii=False))
    result = run_cli(
        tmp_path, "districts", "import", str(path), DATABASE_URL=db_url, PHOTO_DIR=str(tmp_path / "p")
    )
    assert result.returncode == 0, result.stderr
    assert "loaded 1 district boundaries" in result.stdout
    bad = run_cli(
        tmp_path,
        "districts",
        "import",
        str(tmp_path / "nope.geojson"),
        DATABASE_URL=db_url,
        PHOTO_DIR=str(tmp_path / "p"),
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
