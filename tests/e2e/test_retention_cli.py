"""`rongtook personal-data retention [--dry-run]` as a process, on a database with citizens and reporters
on either side of the two-year boundary (tests/integration/test_retention.py builds them)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import Citizen, Complaint
from models.clock import BANGKOK
from models.db import transaction
from tests.e2e.test_settings import run_cli
from tests.integration.test_retention import DAYS, NOW, _world


def _line_ids(services) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as s:
        return {c.id: c.line_user_id for c in s.scalars(select(Citizen))}


def test_the_dry_run_lists_who_would_go_then_the_run_erases_them_once(services, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    with transaction(services.sessions) as s:
        code = s.get(Complaint, ids["reporter_gone"]).tracking_code
    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(tmp_path / "p"), "RONGTOOK_CLOCK_START": NOW.isoformat()}
    before = _line_ids(services)

    dry = run_cli(tmp_path, "personal-data", "retention", "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    cutoff = (NOW - timedelta(days=DAYS)).astimezone(BANGKOK)
    assert lines[0] == f"retention 730 days: no activity since {cutoff:%Y-%m-%d %H:%M} (Bangkok time)"
    assert f"citizen {ids['gone']}  last activity {cutoff:%Y-%m-%d %H:%M}  complaints 1" in lines
    assert any(
        line.startswith(f"citizen {ids['silent']}  ") and line.endswith("complaints 0") for line in lines
    )
    assert f"reporter of {code}  last activity {cutoff:%Y-%m-%d %H:%M}" in lines
    assert lines[-1] == "would erase 2 citizen(s) and the contact of 1 reporter(s); nothing changed (dry run)"
    assert not any(f"citizen {ids[k]} " in dry.stdout for k in ("short", "open", "wrote", "talking"))
    assert "U" + "a" * 32 not in dry.stdout and "คุณa" not in dry.stdout  # pseudonymous ids only
    assert _line_ids(services) == before

    real = run_cli(tmp_path, "personal-data", "retention", **env)
    assert real.returncode == 0, real.stderr
    assert real.stdout.splitlines()[-1] == "erased 2 citizen(s) and the contact of 1 reporter(s)"
    after = _line_ids(services)
    assert after[ids["gone"]].startswith("erased-") and after[ids["silent"]].startswith("erased-")
    assert after[ids["short"]] == before[ids["short"]]

    again = run_cli(tmp_path, "personal-data", "retention", **env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "erased 0 citizen(s) and the contact of 0 reporter(s)"
    assert _line_ids(services) == after


def test_a_bad_retention_setting_stops_the_command_in_one_line(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(tmp_path, "personal-data", "retention", DATABASE_URL=db_url, RETENTION_DAYS="2y")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "rongtook: setting RETENTION_DAYS: '2y' is not a whole number from 30 to 36600"
    )
    assert "Traceback" not in result.stdout + result.stderr
