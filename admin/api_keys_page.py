"""The admin's Open311 API keys page (/admin/settings/api_keys): issue, list, limit and revoke keys.

Admins only, as every settings page. It calls the same functions as `rongtook apikeys`. A new key is
shown once, in the answer to the POST that made it (no-store; never flashed: the session cookie is
signed, not encrypted); only its SHA-256 is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from sqlalchemy.orm import Session

from admin.settings_pages import Done, Params, Refused, SettingsPage
from admin.views import services, text
from models.api_keys import (
    DEFAULT_POSTS_PER_MINUTE,
    KEY_NAME,
    ApiKey,
    all_keys,
    issue_key,
    key_by_name,
    revoke_key,
    set_limit,
)
from models.clock import clock
from models.db import transaction

MAX_LIMIT = 100_000  # models.api_keys takes 1 to 100,000 requests a minute


@dataclass(frozen=True)
class IssuedKey:
    """A key just made: shown this once."""

    name: str
    secret: str


def _load(s: Session) -> Params:
    return {"keys": all_keys(s), "default_limit": DEFAULT_POSTS_PER_MINUTE, "max_limit": MAX_LIMIT}


def _limit(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return DEFAULT_POSTS_PER_MINUTE
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise Refused("ak_bad_limit", n=MAX_LIMIT)
    return int(raw)


def _key(s: Session, raw: str) -> ApiKey:
    key = s.get(ApiKey, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if key is None:
        raise Refused("ak_unknown_key")
    return key


def _change() -> Done:
    now = clock.now()
    action = request.form.get("action", "")
    if action not in ("add", "limit", "revoke"):
        raise Refused("set_bad_action")
    with transaction(services().sessions) as s:
        if action == "add":
            name = request.form.get("name", "").strip()
            if not KEY_NAME.match(name):
                raise Refused("ak_bad_name")
            if key_by_name(s, name) is not None:
                raise Refused("ak_name_taken", name=name)
            row, secret = issue_key(s, name, now, _limit(request.form.get("limit", "")))
            return Done(
                text("ak_done_add", name=row.name), f"add {row.name}", {"issued": IssuedKey(row.name, secret)}
            )
        key = _key(s, request.form.get("key_id", ""))
        if action == "limit":
            set_limit(s, key.name, _limit(request.form.get("limit", "")))
            return Done(text("ak_done_limit", name=key.name, n=key.posts_per_minute), f"limit {key.name}")
        if key.revoked_at is not None:
            raise Refused("ak_already_revoked", name=key.name)
        revoke_key(s, key.name, now)
        return Done(text("ak_done_revoke", name=key.name), f"revoke {key.name}")


API_KEYS_PAGE = SettingsPage("api_keys", _load, _change).register()
