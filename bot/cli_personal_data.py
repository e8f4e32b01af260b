"""`rongtook personal-data retention [--dry-run]`: erase the personal data kept past RETENTION_DAYS.

The hourly housekeeping job does the same (bot/jobs.py); the command is for operators: `--dry-run`
lists who would go (a citizen by their row id, never their LINE id or name; a reporter without LINE by
the complaint's tracking code), with their last activity, and changes nothing.
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime
from typing import Any

from bot.settings import Settings
from models.clock import BANGKOK, clock
from scheduler.retention import RetentionRun

log = logging.getLogger(__name__)


def add_parser(sub: Any) -> None:
    data = sub.add_parser("personal-data", help="personal data: retention (PDPA)")
    actions = data.add_subparsers(dest="action", required=True)
    retention = actions.add_parser(
        "retention", help="erase the personal data of citizens and reporters inactive for RETENTION_DAYS"
    )
    retention.add_argument("--dry-run", action="store_true", help="list who would go; change nothing")


def cmd_personal_data(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models.db import transaction
    from scheduler.retention import erase_in_batches, run

    services = Services.from_settings(settings)
    now = clock.now()
    try:
        if args.dry_run:
            with transaction(services.sessions) as session:
                result = run(session, now, settings.retention_days, dry_run=True)
        else:  # everyone due, in short transactions
            result = erase_in_batches(services.sessions, now, settings.retention_days)
    finally:
        services.engine.dispose()
    print(format_run(result, settings.retention_days), end="")
    return 0


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(BANGKOK):%Y-%m-%d %H:%M}"


def format_run(result: RetentionRun, days: int) -> str:
    """One line per citizen and reporter due, then the counts."""
    plan = result.plan
    lines = [f"retention {days} days: no activity since {_local(plan.cutoff)} (Bangkok time)"]
    for c in plan.citizens:
        lines.append(
            f"citizen {c.citizen_id}  last activity {_local(c.last_activity)}  complaints {c.complaints}"
        )
    for r in plan.reporters:
        lines.append(f"reporter of {r.tracking_code}  last activity {_local(r.last_activity)}")
    if result.dry_run:
        lines.append(
            f"would erase {len(plan.citizens)} citizen(s) and the contact of {len(plan.reporters)} "
            "reporter(s); nothing changed (dry run)"
        )
    else:
        lines.append(
            f"erased {result.citizens_erased} citizen(s) and the contact of "
            f"{result.reporters_erased} reporter(s)"
        )
    return "\n".join(lines) + "\n"
