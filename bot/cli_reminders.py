"""`rongtook reminders run`: one reminder sweep by hand, and the scheduler's job that sweeps each minute.

The command is for operators: it sweeps directly, without the scheduler's lease; reminders still go
out once because each is recorded under its own key. `--dry-run` shows what would be sent.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.reminder_notices import sweep
from models.clock import clock
from models.db import transaction
from models.deadlines import local_date
from models.working_days import load_calendar
from scheduler.leader import hold_lease
from scheduler.reminders import DEFAULT_REMINDERS, ReminderSettings, SweepReport

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(minutes=5)


def add_parser(sub: Any) -> None:
    """`reminders run [--at MOMENT] [--dry-run]` on the `rongtook` subparsers."""
    reminders = sub.add_parser("reminders", help="reminders to district officers (RULES §4)")
    actions = reminders.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="send what is due now (or at --at) through the outbox, once")
    run.add_argument(
        "--at",
        type=_moment,
        default=None,
        help="the moment to sweep for, ISO 8601 with a zone, e.g. 2026-12-08T09:00:00+07:00 (default: now)",
    )
    run.add_argument("--dry-run", action="store_true", help="print what would be sent; write nothing")


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 moment: {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {value}+07:00")
    return moment


def cmd_reminders(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services

    services = Services.from_settings(settings)
    now = clock.now()
    at = args.at or now
    try:
        with transaction(services.sessions) as session:
            cal = load_calendar(session, years=(local_date(at).year,))
            report = sweep(session, at, cal, dry_run=args.dry_run, now=now)
    finally:
        services.engine.dispose()
    print(format_report(report), end="")
    return 0


def format_report(report: SweepReport) -> str:
    """One line per recipient with counts per kind, then the totals."""
    lines = []
    for push in report.pushes:
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(push.counts.items()))
        lines.append(f"{push.to}  {push.officer_name} ({push.district_code} {push.role}): {counts}")
    verb = "would send" if report.dry_run else "sent"
    lines.append(
        f"{report.at.isoformat()}: {verb} {len(report.sent)} reminders in {len(report.pushes)} pushes"
        + (f"; {len(report.unreachable)} with no active officer on LINE" if report.unreachable else "")
        + (f"; {len(report.taken)} already sent by another sweep" if report.taken else "")
    )
    return "\n".join(lines) + "\n"


def sweep_job(
    sessions: sessionmaker[Session],
    now_fn: Callable[[], datetime],
    holder: str,
    *,
    ttl: timedelta = LEASE_TTL,
    settings: ReminderSettings = DEFAULT_REMINDERS,
) -> SweepReport | None:
    """The scheduler's job: sweep when this process holds the "scheduler" lease; None when another does."""
    now = now_fn()
    if not hold_lease(sessions, LEASE_NAME, holder, now, ttl):
        return None
    with transaction(sessions) as session:
        cal = load_calendar(session)
        return sweep(session, now, cal, settings=settings)
