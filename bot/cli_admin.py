"""`rongtook officers …` and `rongtook holidays …`: the admin's commands before (and beside) the web."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from typing import Any

from bot.settings import Settings
from models.clock import clock


def add_parsers(sub: Any) -> None:
    officers = sub.add_parser("officers", help="district officers and their LINE link codes")
    o = officers.add_subparsers(dest="action", required=True)
    add = o.add_parser("add", help="register an officer and print a one-time LINE link code (24 h)")
    add.add_argument("--district", required=True, help="district code, e.g. 1001")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["officer", "head"], default="officer")
    listing = o.add_parser("list", help="officers, their district, role, and whether LINE is linked")
    listing.add_argument("--district")
    code = o.add_parser("code", help="a new link code for an officer (earlier unused codes stop working)")
    code.add_argument("officer_id", type=int)
    for name, text in (("deactivate", "stop an officer's LINE actions"), ("activate", "allow them again")):
        p = o.add_parser(name, help=text)
        p.add_argument("officer_id", type=int)

    holidays = sub.add_parser("holidays", help="special holidays and working days (RULES §1)")
    h = holidays.add_subparsers(dest="action", required=True)
    hadd = h.add_parser("add", help='declare a special holiday, e.g. 2027-01-04 "วันหยุดพิเศษ"')
    hadd.add_argument("day", type=_day)
    hadd.add_argument("name")
    hwork = h.add_parser("working", help="declare a day a working day for district offices")
    hwork.add_argument("day", type=_day)
    hwork.add_argument("name")
    hremove = h.add_parser("remove", help="drop a declaration: the public calendar decides again")
    hremove.add_argument("day", type=_day)
    hlist = h.add_parser("list", help="the year's holidays, with the admin's declarations marked")
    hlist.add_argument("--year", type=int, default=clock.now().year, help="CE or BE, e.g. 2027 or 2570")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2027-01-04") from None


def cmd_officers(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.services import Services
    from models import Officer
    from models.db import transaction
    from models.officer_links import add_officer, new_link_code, set_active
    from models.rich_menus import menu_for_officer

    now = clock.now()
    with transaction(Services.from_settings(settings).sessions) as session:
        try:
            if args.action == "add":
                officer = add_officer(session, args.district, args.name, args.role, now)
                code = new_link_code(session, officer, now)
                print(
                    f"officer {officer.id}: {officer.name} ({officer.role}, district {officer.district_code})"
                )
                print(f"link code: {code.code}  (the officer sends it to the bot from their LINE; 24 hours)")
                return 0
            if args.action == "code":
                officer = session.get(Officer, args.officer_id)
                if officer is None:
                    raise ValueError(f"no officer {args.officer_id}")
                print(f"link code: {new_link_code(session, officer, now).code}  (valid 24 hours)")
                return 0
            if args.action in ("activate", "deactivate"):
                officer = set_active(session, args.officer_id, args.action == "activate")
                menu_for_officer(session, officer, now)  # the LINE menu follows (made by the worker)
                print(f"officer {officer.id} {officer.name}: {'active' if officer.active else 'deactivated'}")
                return 0
        except ValueError as exc:
            print(f"rongtook: {exc}", file=sys.stderr)
            return 1
        query = select(Officer).order_by(Officer.district_code, Officer.id)
        if args.district:
            query = query.where(Officer.district_code == args.district)
        for o in session.scalars(query):
            state = "active" if o.active else "deactivated"
            linked = "LINE linked" if o.line_user_id else "-"
            print(f"{o.id}  {o.district_code}  {o.role}  {o.name}  {state}  {linked}")
    return 0


def cmd_holidays(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from handlers.use_cases import recompute_deadlines
    from models import CalendarOverride
    from models.db import transaction
    from models.thai_dates import ce_year
    from models.working_days import add_override, load_calendar, remove_override

    now = clock.now()
    with transaction(Services.from_settings(settings).sessions) as session:
        if args.action == "list":
            year = ce_year(args.year)
            calendar = load_calendar(session, years=[year])
            overrides = {row.day: row for row in session.query(CalendarOverride)}
            day = date(year, 1, 1)
            while day.year == year:
                name = calendar.holiday_name(day)
                mark = overrides.get(day)
                if name or mark:
                    label = name or f"working day: {mark.name}"  # type: ignore[union-attr]
                    tag = "  (admin)" if mark else ""
                    print(f"{day.isoformat()}  {day:%a}  {label}{tag}")
                day += timedelta(days=1)
            return 0
        if args.action == "remove":
            if not remove_override(session, args.day):
                print(f"{args.day}: no declaration to remove (public holidays come from the calendar)")
                return 1
            print(f"{args.day}: declaration removed")
        else:
            kind = "holiday" if args.action == "add" else "working"
            add_override(session, args.day, kind, args.name, now)
            print(f"{args.day}: {kind} ({args.name})")
        changed = recompute_deadlines(session)
        print(f"deadlines recomputed: {changed} open complaints changed")
    return 0
