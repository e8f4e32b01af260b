"""`rongtook users`: the staff accounts of the admin web (the first admin, and others for scripts)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings
from models.clock import clock
from models.staff import ROLES


def add_parser(sub: Any) -> None:
    users = sub.add_parser("users", help="staff accounts of the admin web (/admin/)")
    u = users.add_subparsers(dest="action", required=True)
    first = u.add_parser("create-admin", help="make an admin account (the centre); the password from stdin")
    first.add_argument("username")
    first.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from stdin"
    )
    add = u.add_parser("add", help="make an account; the password from stdin")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--district", help="the district code of a head or officer, e.g. 1030")
    add.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from stdin"
    )
    u.add_parser("list", help="every account, its role and district")


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.services import Services
    from models.db import transaction
    from models.staff import StaffError, StaffUser, add_user

    sessions = Services.from_settings(settings).sessions
    if args.action == "list":
        with transaction(sessions) as session:
            for user in session.scalars(select(StaffUser).order_by(StaffUser.username)):
                state = "" if user.active else "  (switched off)"
                print(f"{user.username:<24} {user.role:<8} {user.district_code or '-':<6}{state}")
        return 0
    password = sys.stdin.readline().rstrip("\r\n")
    role = "admin" if args.action == "create-admin" else args.role
    district = None if args.action == "create-admin" else args.district
    try:
        with transaction(sessions) as session:
            user = add_user(session, args.username, password, role, district, clock.now())
            print(f"{user.username}: {user.role}{' of ' + user.district_code if user.district_code else ''}")
    except StaffError as exc:
        print(f"rongtook: {exc}", file=sys.stderr)
        return 1
    return 0
