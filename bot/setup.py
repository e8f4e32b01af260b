"""The release step: migrate the database, load the districts, upload the rich menus. Safe to run again."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.rich_menus import Outcome, release_gateway, upload_menus
from bot.services import Services
from models import kpi_facts
from models.categories import ensure_categories
from models.clock import clock
from models.db import transaction
from models.districts import ensure_districts, import_boundaries, read_boundaries
from models.migrate import upgrade
from models.sections import ensure_sections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReleaseReport:
    districts_added: int
    boundaries_loaded: int
    # One per rich menu (bot/rich_menus.py): unchanged, uploaded, or failed and why (release goes on).
    rich_menus: tuple[Outcome, ...] = ()


def release(services: Services) -> ReleaseReport:
    upgrade(services.engine)
    path = services.settings.districts_geojson
    boundaries = read_boundaries(path) if path else []
    with transaction(services.sessions) as session:
        added = ensure_districts(session)
        ensure_sections(session, clock.now())
        ensure_categories(session, clock.now())
        loaded = import_boundaries(session, boundaries) if boundaries else 0
    with transaction(services.sessions) as session:
        if not kpi_facts.is_complete(session):  # first release with them: built once, then kept by events
            log.info("kept KPI facts: %d complaints built from the event log", kpi_facts.rebuild(session))
    if path:
        log.info("districts: %d added, %d boundaries loaded from %s", added, loaded, path)
    else:
        log.warning("districts: no boundary file (DISTRICTS_GEOJSON); routing by location is off")
    with release_gateway(services) as gateway:  # LINE refusing a menu fails that menu, never the release
        menus = tuple(upload_menus(services, gateway))
    return ReleaseReport(districts_added=added, boundaries_loaded=loaded, rich_menus=menus)
