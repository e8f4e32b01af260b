"""The admin's district LINE groups page (/admin/settings/groups, issue 18 point 2): give a group link code,
see the linked groups, unlink one.

Admins only, as every settings page; the same functions as `rongtook groups`. A code is shown in the
answer to the POST that made it (no-store), with what to do with it: invite the bot to the district's
LINE group and send the code there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import request
from flask_login import current_user
from sqlalchemy.orm import Session

from admin.settings_pages import Done, Params, Refused, SettingsPage, _district, _district_choices
from admin.views import services, text
from models.clock import clock
from models.db import transaction
from models.district_groups import UNLINKED, active_group, all_groups, group_left, new_group_code


@dataclass(frozen=True)
class IssuedGroupCode:
    code: str
    district_name: str
    expires_at: datetime


def _load(s: Session) -> Params:
    return {"groups": all_groups(s), **_district_choices(s)}


def _change() -> Done:
    now = clock.now()
    action = request.form.get("action", "")
    if action not in ("code", "unlink"):
        raise Refused("set_bad_action")
    with transaction(services().sessions) as s:
        if action == "code":
            district = _district(s, request.form.get("district", "").strip())
            row = new_group_code(s, district.code, current_user.username, now)
            issued = IssuedGroupCode(row.code, district.name_th, row.expires_at)
            return Done(
                text("gr_done_code", district=district.name_th), f"code {district.code}", {"issued": issued}
            )
        group_id = request.form.get("group_id", "").strip()[:64]
        group = active_group(s, group_id) if group_id else None
        if group is None:
            raise Refused("gr_unknown_group")
        group_left(s, group.group_id, now, UNLINKED)
        return Done(text("gr_done_unlink"), f"unlink {group.group_id}")


GROUPS_PAGE = SettingsPage("groups", _load, _change).register()
