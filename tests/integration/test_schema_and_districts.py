"""Migrations, the release step and district loading (every backend)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from bot.setup import release
from models import Base, District
from models.db import transaction
from models.districts import DistrictLocator
from tests.conftest import make_settings


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
