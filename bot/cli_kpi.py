"""`rongtook kpi score`: each district's KPI score for a fiscal year, with every lost point explained.

Before the window closes a complaint whose deadline is still ahead (or that is open with every checkpoint
met so far) is pending, left out of that step's N; `--literal` scores "as if the window ended today"
instead, pending counting as not correct. Step 3 owes no monthly summary before the start date
(KPI_START_DATE, or a district's own date set on the admin settings page).

`rongtook kpi rebuild-facts`: every complaint's kept KPI facts (`models.kpi_facts`) recomputed from the
event log, in one transaction; `rongtook release` does it once when they have never been built.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time
from time import monotonic  # a duration, not a date
from typing import Any

from bot.settings import Settings
from models.clock import BANGKOK, clock


def add_parser(sub: Any) -> None:
    kpi = sub.add_parser("kpi", help="KPI scores computed from the complaint records")
    k = kpi.add_subparsers(dest="action", required=True)
    score = k.add_parser("score", help="score districts for a fiscal year (BE), e.g. --fy 2570")
    score.add_argument("--fy", type=int, required=True, help="fiscal year in the Buddhist Era, e.g. 2570")
    score.add_argument(
        "--district", action="append", help="a district code; repeat for several (default: all)"
    )
    score.add_argument("--as-of", type=_as_of, help="score as at the end of this day (default: now)")
    score.add_argument("--scheme", default="kpi32", help="a scheme name in kpi/schemes or a TOML file")
    score.add_argument("--format", choices=["table", "json", "csv"], default="table")
    score.add_argument(
        "--explain", action="store_true", help="list each failing (and each pending) complaint and its reason"
    )
    score.add_argument(
        "--literal",
        action="store_true",
        help="as if the window ended today: a step not yet due is not correct (default: pending, not in N)",
    )
    score.add_argument(
        "--workers",
        type=_workers,
        help="processes scoring districts at once on PostgreSQL (default: one per CPU)",
    )
    k.add_parser(
        "rebuild-facts",
        help="recompute every complaint's kept KPI facts from the event log (the log stays the truth)",
    )


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of processes (1 or more)")
    return int(text)


def _as_of(text: str) -> datetime:
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)
        return datetime.combine(date.fromisoformat(text), time(23, 59, 59, 999999), tzinfo=BANGKOK)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2027-03-31") from None


def cmd_kpi(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services

    if args.action == "rebuild-facts":
        return _rebuild_facts(Services.from_settings(settings))
    return _score(settings, args)


def _rebuild_facts(services: Any) -> int:
    from models import kpi_facts
    from models.db import transaction

    started = monotonic()
    with transaction(services.sessions) as session:  # one transaction: the scorer never sees half a build
        written = kpi_facts.rebuild(session)
    print(f"kept KPI facts rebuilt: {written} complaints in {monotonic() - started:.1f} s")
    return 0


def _score(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from kpi.database_scoring import score_database
    from kpi.output import explain, to_csv, to_json, to_table
    from kpi.schemes import SchemeError, load_kpi32

    try:
        scheme = load_kpi32(args.scheme)
    except (SchemeError, OSError) as exc:
        print(f"rongtook: scheme {args.scheme}: {exc}", file=sys.stderr)
        return 1
    as_of = (args.as_of or clock.now()).astimezone(UTC)
    sessions = Services.from_settings(settings).sessions
    try:
        results = score_database(
            sessions,
            scheme,
            args.fy,
            as_of,
            args.district,
            workers=args.workers,
            literal=args.literal,
            kpi_start_on=settings.kpi_start_date,
        )
    except ValueError as exc:
        print(f"rongtook: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(
            json.dumps(
                to_json(results, args.fy, scheme, as_of, failures=args.explain), ensure_ascii=False, indent=2
            )
        )
        return 0
    if args.format == "csv":
        sys.stdout.write(to_csv(results, args.fy, scheme, as_of))
    else:
        print(to_table(results, args.fy, scheme, as_of))
    if args.explain:
        print(explain(results, args.fy, scheme, as_of))
    return 0
