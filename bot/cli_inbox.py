"""`rongtook inbox`: the events the worker gave up on, with why, and running them again after a fix."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings
from models.clock import BANGKOK, clock


def add_parser(sub: Any) -> None:
    inbox = sub.add_parser("inbox", help="events that failed for good, and running them again")
    actions = inbox.add_subparsers(dest="action", required=True)
    failed = actions.add_parser("failed", help="list failed events with their reasons, newest first")
    failed.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    retry = actions.add_parser("retry", help="put failed events back in the queue (after a fix)")
    retry.add_argument("ids", nargs="+", type=int, metavar="ID", help="inbox row ids, from `inbox failed`")


def cmd_inbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models import InboxEvent
    from models.db import transaction
    from models.queue_ops import failed_rows, retry_failed

    services = Services.from_settings(settings)
    with transaction(services.sessions) as session:
        if args.action == "failed":
            rows = failed_rows(session, InboxEvent, max(1, args.limit))
            for row in rows:
                when = row.received_at.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M")
                reason = (row.last_error or "").splitlines()[0][:200] if row.last_error else "-"
                print(f"{row.id}  {when}  {row.event_type}  {row.chat_key}  tries {row.attempts}  {reason}")
            print(f"{len(rows)} failed event(s)")
            return 0
        found = retry_failed(session, InboxEvent, args.ids, clock.now())
    missing = sorted(set(args.ids) - set(found))
    if found:
        print(f"queued again: {', '.join(map(str, found))}")
    if missing:
        print(f"rongtook: not failed events: {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    return 0
