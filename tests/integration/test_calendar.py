"""The working-day calendar, Thai dates, and the admin overrides stored in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from models.db import transaction
from models.migrate import downgrade, upgrade
from models.working_days import WorkingCalendar, add_override, load_calendar, remove_override

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(years=[2026, 2027])


# --- the database (every backend) ---


def test_migration_creates_the_overrides_table(services: Services) -> None:
    table = inspect(services.engine)
    assert "calendar_overrides" in table.get_table_names()
    columns = {c["name"] for c in table.get_columns("calendar_overrides")}
    assert columns == {"day", "kind", "name", "created_at"}
    assert table.get_pk_constraint("calendar_overrides")["constrained_columns"] == ["day"]
    # The kind is checked by the database too, not only by `add_override`.
    with pytest.raises(IntegrityError), services.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO calendar_overrides (day, kind, name, created_at) VALUES (:d, 'other', '', :t)"),
            {"d": date(2026, 1, 5), "t": NOW.replace(tzinfo=None)},
        )


def test_migration_0002_downgrades_and_upgrades_again(services: Services) -> None:
    try:
        downgrade(services.engine, "0001")
        assert "calendar_overrides" not in inspect(services.engine).get_table_names()
    finally:
        upgrade(services.engine)  # the PostgreSQL schema is shared by the whole run: leave it at head
    assert "calendar_overrides" in inspect(services.engine).get_table_names()


def test_load_calendar_applies_stored_overrides(services: Services) -> None:
    with transaction(services.sessions) as session:
        add_override(session, date(2026, 12, 8), "holiday", "Special holiday (cabinet)", NOW)
        add_override(session, date(2026, 11, 28), "working", "Make-up working Saturday", NOW)
        add_override(session, date(2027, 1, 4), "working", "crosses into next year", NOW)
    with transaction(services.sessions) as session:
        cal = load_calendar(session, [2026])
    assert cal.extra_holidays == {date(2026, 12, 8): "Special holiday (cabinet)"}
    assert cal.extra_working_days == {date(2026, 11, 28), date(2027, 1, 4)}
    assert cal.next_working_day(date(2026, 12, 4)) == date(2026, 12, 9)
    assert cal.next_working_day(date(2026, 11, 27)) == date(2026, 11, 28)
    assert cal.is_working_day(date(2026, 12, 10)) is False  # the package still counts


def test_overrides_replace_and_remove(services: Services) -> None:
    with transaction(services.sessions) as session:
        add_override(session, date(2026, 12, 8), "holiday", "first", NOW)
    with transaction(services.sessions) as session:
        add_override(session, date(2026, 12, 8), "working", "changed mind", NOW)
    with transaction(services.sessions) as session:
        cal = load_calendar(session, [2026])
        assert cal.extra_holidays == {} and cal.extra_working_days == {date(2026, 12, 8)}
        assert remove_override(session, date(2026, 12, 8)) is True
        assert remove_override(session, date(2026, 12, 8)) is False
    with transaction(services.sessions) as session:
        cal = load_calendar(session, [2026])
        assert cal.extra_holidays == {} and cal.extra_working_days == set()
        with pytest.raises(ValueError):
            add_override(session, date(2026, 12, 9), "vacation", "not a kind", NOW)
