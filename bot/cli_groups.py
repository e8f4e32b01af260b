"""`rongtook groups`: district LINE groups (issue 18 point 2) — a one-time code to link a group, the
linked groups, and unlinking one.

An admin gives the code to the district; someone in the district's LINE group invites the bot and types
the code there. The same is on the web under ตั้งค่า → กลุ่ม LINE ของเขต.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings
from models.clock import BANGKOK, clock


def add_parser(sub: Any) -> None:
    groups = sub.add_parser("groups", help="district LINE groups: give a link code, list, unlink")
    actions = groups.add_subparsers(dest="action", required=True)
    code = actions.add_parser("code", help="a one-time code (24 h) that links a LINE group to a district")
    code.add_argument("district", help="the district's code, e.g. 1030")
    actions.add_parser("list", help="every group the bot was linked in: district, since, active or left")
    unlink = actions.add_parser("unlink", help="stop sending a group its district's cards and reminders")
    unlink.add_argument("group_id", help="LINE's group id (C…), as `groups list` prints it")


def _when(moment: Any) -> str:
    return moment.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M") if moment else "-"


def cmd_groups(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models import District
    from models.db import transaction
    from models.district_groups import UNLINKED, all_groups, group_left, new_group_code

    services = Services.from_settings(settings)
    now = clock.now()
    try:
        with transaction(services.sessions) as session:
            if args.action == "code":
                try:
                    row = new_group_code(session, args.district.strip(), "cli", now)
                except ValueError as exc:
                    print(f"rongtook: {exc}", file=sys.stderr)
                    return 1
                district = session.get(District, row.district_code)
                print(
                    f"group link code for {district.name_th if district else row.district_code}: {row.code}"
                )
                print(f"valid until {_when(row.expires_at)} (Bangkok), once.")
                print("Invite the bot to the district's LINE group and send the code there.")
            elif args.action == "list":
                groups = all_groups(session)
                names = dict(session.query(District.code, District.name_th).all())
                for g in groups:
                    state = "active" if g.active else f"{g.left_reason or 'left'} {_when(g.left_at)}"
                    name = names.get(g.district_code, "")
                    print(f"{g.group_id}  {g.district_code} {name}  linked {_when(g.linked_at)}  {state}")
                print(f"{len(groups)} group(s)")
            else:
                group = group_left(session, args.group_id.strip(), now, UNLINKED)
                if group is None:
                    print(f"rongtook: no linked group {args.group_id}", file=sys.stderr)
                    return 1
                print(f"unlinked {group.group_id} from district {group.district_code}")
    finally:
        services.engine.dispose()
    return 0
