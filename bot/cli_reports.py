"""`rongtook report …` (monthly reports and submissions) and `rongtook audit …` (the step 2 audit draw).

    rongtook report submit --district 1001 --month 2569-11 [--at ISO] [--by NAME]
    rongtook report submissions --fy 2570 [--district 1001]
    rongtook report cpl-r001 --district 1001 --month 2569-11 [--format xlsx|csv] [--output FILE] [--as-of ISO]
    rongtook report cpl-r003 --district 1001 --month 2569-11 [--format xlsx|csv] [--output FILE] [--as-of ISO]
    rongtook audit draw --month 2569-11 [--seed N] [--at ISO]
    rongtook audit mark CODE consistent|inconsistent [--note TEXT] [--by NAME] [--month 2569-11] [--at ISO]
    rongtook audit show --month 2569-11 [--items]

Months are given in BE (2569-11) or CE (2026-11). Also runnable alone: `python -m bot.cli_reports …`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings
from models.clock import clock

FORMATS = ("xlsx", "csv")


def add_parsers(sub: Any) -> None:
    """`report` and `audit` on the `rongtook` subparsers."""
    report = sub.add_parser(
        "report", help="monthly reports CPL_R001/CPL_R003 and summary submissions (step 3)"
    )
    r = report.add_subparsers(dest="action", required=True)
    submit = r.add_parser("submit", help="record that a district submitted its monthly summary")
    submit.add_argument("--district", required=True, help="district code, e.g. 1001")
    submit.add_argument("--month", required=True, type=_month, help="the month reported, e.g. 2569-11")
    submit.add_argument("--at", type=_moment, default=None, help="when it was submitted (default: now)")
    submit.add_argument("--by", default=None, help="who submitted it")
    listing = r.add_parser("submissions", help="a fiscal year's summaries: on time, late or missing")
    listing.add_argument("--fy", required=True, type=int, help="fiscal year (BE), e.g. 2570")
    listing.add_argument("--district")
    for name, text in (
        ("cpl-r001", "the backlog at the end of the month: open complaints, their age and missed deadlines"),
        ("cpl-r003", "the month's performance: received, on time, resolved, checkpoints, pending"),
    ):
        p = r.add_parser(name, help=text)
        p.add_argument("--district", required=True)
        p.add_argument("--month", required=True, type=_month, help="e.g. 2569-11 (BE) or 2026-11 (CE)")
        p.add_argument("--format", choices=FORMATS, default="xlsx")
        p.add_argument("--output", default=None, help="file to write, '-' for stdout (default: CPL_R00x_…)")
        p.add_argument("--as-of", type=_moment, default=None, help="read the facts up to this moment")

    audit = sub.add_parser("audit", help="the monthly 10 %% audit of resolved complaints (step 2)")
    a = audit.add_subparsers(dest="action", required=True)
    draw = a.add_parser("draw", help="draw the month's sample for every district (once per month)")
    draw.add_argument("--month", required=True, type=_month)
    draw.add_argument("--seed", type=int, default=None, help="default: from sha256 of the month")
    draw.add_argument(
        "--at", type=_moment, default=None, help="the moment of the draw, ISO 8601 (default: now)"
    )
    mark = a.add_parser("mark", help="record the auditor's finding on a drawn complaint")
    mark.add_argument("code", help="tracking code")
    mark.add_argument("finding", choices=["consistent", "inconsistent"])
    mark.add_argument("--note", default=None)
    mark.add_argument("--by", default=None, help="the auditor")
    mark.add_argument("--month", type=_month, default=None, help="the draw's month, if drawn in two")
    mark.add_argument("--at", type=_moment, default=None, help="the moment of the finding (default: now)")
    show = a.add_parser("show", help="per district: drawn, consistent %%, and whether it costs points")
    show.add_argument("--month", required=True, type=_month)
    show.add_argument("--items", action="store_true", help="list each drawn complaint and its finding")


def _month(text: str) -> date:
    from kpi.submissions import parse_month

    try:
        return parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 moment: {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {value}+07:00")
    return moment


def _fail(message: str) -> int:
    print(f"rongtook: {message}", file=sys.stderr)
    return 1


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from kpi.submissions import SubmissionRefused

    services = Services.from_settings(settings)
    try:
        if args.action == "submit":
            return _submit(services, args)
        if args.action == "submissions":
            return _submissions(services, args)
        return _write_report(services, args)
    except (SubmissionRefused, ValueError) as exc:
        return _fail(str(exc))
    finally:
        services.engine.dispose()


def _submit(services: Any, args: argparse.Namespace) -> int:
    from kpi.submissions import be_month, on_time, report_due, submission, submit_month
    from models.db import transaction
    from models.thai_dates import thai_date

    at = args.at or clock.now()
    with transaction(services.sessions) as session:
        before = submission(session, args.district, args.month)
        row = submit_month(session, args.district, args.month, at, args.by)
    due = report_due(args.month)
    verdict = "on time" if on_time(args.month, row.submitted_at) else "LATE"
    when = row.submitted_at.astimezone(due.tzinfo)
    if before is not None:
        print(
            f"district {args.district}, {be_month(args.month)}: already submitted at {when.isoformat()} "
            f"({verdict}); the first submission stands"
        )
        return 0
    print(
        f"district {args.district}, {be_month(args.month)}: submitted at {when.isoformat()}"
        f"{' by ' + row.submitted_by if row.submitted_by else ''} — {verdict} "
        f"(due by the end of {thai_date(due.date())})"
    )
    return 0


def _submissions(services: Any, args: argparse.Namespace) -> int:
    from kpi.submissions import be_month, on_time, report_due, submissions
    from models.db import transaction

    now = clock.now()
    with transaction(services.sessions) as session:
        rows = submissions(session, args.district, args.fy)
    for row in rows:
        due = report_due(row.month)
        if row.submitted_at is None:
            state = "missing" if now > due else "not yet due"
            print(f"{row.district}  {be_month(row.month)}  -  {state}")
            continue
        verdict = "on time" if on_time(row.month, row.submitted_at) else "late"
        when = row.submitted_at.astimezone(due.tzinfo).isoformat()
        print(f"{row.district}  {be_month(row.month)}  {when}  {verdict}")
    return 0


def _write_report(services: Any, args: argparse.Namespace) -> int:
    from kpi.reports import WRITERS, cpl_r001, cpl_r003
    from models.db import transaction

    as_of = args.as_of or clock.now()
    with transaction(services.sessions) as session:
        if args.action == "cpl-r001":
            report = cpl_r001(session, args.district, args.month, as_of)
        else:
            report = cpl_r003(session, args.district, args.month, as_of)
    data = WRITERS[args.format](report)
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    path = Path(args.output) if args.output else Path.cwd() / report.file_name(args.format)
    path.write_bytes(data)
    print(f"{report.code} {report.district} {report.month:%Y-%m}: {len(report.rows)} rows → {path}")
    return 0


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from kpi.audit import AuditRefused

    services = Services.from_settings(settings)
    try:
        if args.action == "draw":
            return _draw(services, args)
        if args.action == "mark":
            return _mark(services, args)
        return _show(services, args)
    except AuditRefused as exc:
        return _fail(str(exc))
    finally:
        services.engine.dispose()


def _draw(services: Any, args: argparse.Namespace) -> int:
    from kpi.audit import draw_month, drawn_items
    from kpi.submissions import be_month
    from models.db import transaction

    with transaction(services.sessions) as session:
        draws = draw_month(session, args.month, args.at or clock.now(), seed=args.seed)
        items = drawn_items(session, args.month)
    if not draws:
        print(f"{be_month(args.month)}: no complaint was resolved in the month; nothing drawn")
        return 0
    codes: dict[str, list[str]] = {}
    for district, code, _item in items:
        codes.setdefault(district, []).append(code)
    print(f"{be_month(args.month)}: seed {draws[0].seed}")
    for draw in draws:
        print(
            f"{draw.district_code}  drew {draw.drawn_count} of {draw.population_count}: "
            + " ".join(codes.get(draw.district_code, []))
        )
    return 0


def _mark(services: Any, args: argparse.Namespace) -> int:
    from kpi.audit import mark
    from models.db import transaction

    with transaction(services.sessions) as session:
        item = mark(session, args.code, args.finding, args.note, args.at or clock.now(), args.by, args.month)
        month = item.draw.month
    print(f"{args.code} ({month}): {args.finding}" + (f" — {args.note}" if args.note else ""))
    return 0


def _show(services: Any, args: argparse.Namespace) -> int:
    from kpi.audit import DEFAULT_AUDIT, drawn_items, month_audit
    from kpi.submissions import be_month
    from models.db import transaction

    with transaction(services.sessions) as session:
        rows = month_audit(session, args.month)
        items = drawn_items(session, args.month) if args.items else []
    if not rows:
        print(f"{be_month(args.month)}: not drawn (or nothing resolved in it)")
        return 0
    print(
        f"{be_month(args.month)}: seed {rows[0].seed}; below {DEFAULT_AUDIT.consistent_percent} % "
        f"consistent costs {DEFAULT_AUDIT.deduction} (unmarked counts as not consistent)"
    )
    for row in rows:
        pct = "-" if row.percent is None else f"{row.percent} %"
        cost = f"costs {DEFAULT_AUDIT.deduction}" if row.costs() else "ok"
        print(
            f"{row.district}  {row.name_th}  drawn {row.drawn} of {row.population}, marked {row.marked}, "
            f"consistent {row.consistent} ({pct})  {cost}"
        )
    for district, code, item in items:
        note = f"  {item.note}" if item.note else ""
        print(f"  {district}  {code}  {item.finding or 'unmarked'}{note}")
    return 0


COMMANDS = {"report": cmd_report, "audit": cmd_audit}


def main(argv: list[str] | None = None) -> int:
    """These commands alone, with `rongtook`'s error handling (until they are wired into `bot.cli`)."""
    import logging

    from sqlalchemy.exc import OperationalError

    from bot.settings import ConfigError, settings_from_env

    parser = argparse.ArgumentParser(prog="rongtook", description="Rongtook monthly reports and audit")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](settings_from_env(), args)
    except ConfigError as exc:
        print(f"rongtook: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(
            f"rongtook: cannot reach the database (DATABASE_URL): {str(exc.orig).splitlines()[0]}",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
