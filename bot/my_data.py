"""`/my-data/<token>`: a citizen's copy of their data, from the link sent in their own LINE chat.

GET shows a page with a download button and spends nothing: LINE and chat apps open links to preview
them, and a one-time link spent by a preview would be no link at all. POST spends the link (once,
within 24 hours; models/personal_data.py) and answers the ZIP, built from the database at that moment.
A link that is tampered with, unknown, used, replaced by a newer one, or expired gets a polite page in
Thai and English with no data (404 for a link the bot never made, 410 for one no longer valid).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Blueprint, Response, current_app, render_template
from flask.typing import ResponseReturnValue

from bot.public_pages import public_texts, reader_language
from bot.services import Services
from models.clock import BANGKOK, clock
from models.db import transaction
from models.personal_data import check_export_link, citizen_export_zip, redeem_export_link
from models.thai_dates import date_in

log = logging.getLogger(__name__)
bp = Blueprint("my_data", __name__, template_folder="templates")

# A link the bot never made (or cut short) is "not found"; one it made that no longer works is "gone".
STATUS = {"tampered": 404, "unknown": 404, "used": 410, "revoked": 410, "expired": 410}


@bp.get("/my-data/<token>")
def page(token: str) -> ResponseReturnValue:
    services: Services = current_app.extensions["rongtook"]
    with transaction(services.sessions) as session:
        link = check_export_link(session, token, clock.now(), services.settings.secret_key.encode())
        if isinstance(link, str):
            return _refused(link)
        until = link.expires_at
    return _render(until=until)


@bp.post("/my-data/<token>")
def download(token: str) -> ResponseReturnValue:
    services: Services = current_app.extensions["rongtook"]
    now = clock.now()
    with transaction(services.sessions) as session:
        citizen = redeem_export_link(session, token, now, services.settings.secret_key.encode())
        if isinstance(citizen, str):
            return _refused(citizen)
        data = citizen_export_zip(session, citizen, services.settings.photo_dir)
        citizen_id = citizen.id
    log.info("my data: citizen %s downloaded their copy (%d bytes)", citizen_id, len(data))
    name = f"rongtook-my-data-{now.astimezone(BANGKOK):%Y%m%d-%H%M}.zip"
    return Response(
        data,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # personal data: no copy in any cache on the way
        },
    )


def _refused(reason: str) -> ResponseReturnValue:
    log.info("my data: link refused (%s)", reason)
    return _render(refused=reason), STATUS.get(reason, 404), {"Cache-Control": "no-store"}


def _render(refused: str | None = None, until: datetime | None = None) -> str:
    local = until.astimezone(BANGKOK) if until is not None else None
    lang = reader_language()
    return render_template(
        "public/my_data.html",
        lang=lang,
        t=public_texts(lang),
        th=public_texts("th"),
        en=public_texts("en"),
        refused=refused,
        until_th=f"{date_in(local.date(), 'th')} {local:%H:%M}" if local else "",
        until_en=f"{date_in(local.date(), 'en')} {local:%H:%M}" if local else "",
    )
