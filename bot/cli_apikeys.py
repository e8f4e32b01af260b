"""`rongtook apikeys`: the keys of the systems that file complaints through Open311 (docs/open311.md).

`add` prints the key once: only its SHA-256 is kept, so a lost key is revoked and a new one issued.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings
from models.clock import BANGKOK, clock


def add_parser(sub: Any) -> None:
    keys = sub.add_parser("apikeys", help="Open311 API keys: issue, list, revoke, set a rate limit")
    actions = keys.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="issue a key for a named client (printed once)")
    add.add_argument("name", help="the client's name, e.g. city-website (2-60 letters, digits, . _ -)")
    add.add_argument("--limit", type=int, default=None, help="requests filed a minute (default 60)")
    actions.add_parser("list", help="every key: name, prefix, limit, created, last used, revoked")
    revoke = actions.add_parser("revoke", help="stop a key at once (its complaints stay)")
    revoke.add_argument("name")
    limit = actions.add_parser("limit", help="set how many requests a key may file a minute")
    limit.add_argument("name")
    limit.add_argument("per_minute", type=int, metavar="N")


def _when(moment: Any) -> str:
    return moment.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M") if moment else "-"


def cmd_apikeys(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models.api_keys import (
        DEFAULT_POSTS_PER_MINUTE,
        ApiKeyError,
        all_keys,
        issue_key,
        revoke_key,
        set_limit,
    )
    from models.db import transaction

    services = Services.from_settings(settings)
    now = clock.now()
    try:
        with transaction(services.sessions) as session:
            if args.action == "add":
                limit = DEFAULT_POSTS_PER_MINUTE if args.limit is None else args.limit
                row, secret = issue_key(session, args.name, now, limit)
                print(f"key for {row.name} ({row.posts_per_minute} requests a minute), shown only this once:")
                print(secret)
            elif args.action == "list":
                rows = all_keys(session)
                for row in rows:
                    state = f"revoked {_when(row.revoked_at)}" if row.revoked_at else "active"
                    print(
                        f"{row.name}  {row.key_prefix}…  {row.posts_per_minute}/min"
                        f"  created {_when(row.created_at)}  last used {_when(row.last_used_at)}  {state}"
                    )
                print(f"{len(rows)} key(s)")
            elif args.action == "revoke":
                row = revoke_key(session, args.name, now)
                print(f"revoked {row.name} ({_when(row.revoked_at)})")
            else:
                row = set_limit(session, args.name, args.per_minute)
                print(f"{row.name} may file {row.posts_per_minute} requests a minute")
    except ApiKeyError as exc:
        print(f"rongtook: {exc}", file=sys.stderr)
        return 1
    finally:
        services.engine.dispose()
    return 0
