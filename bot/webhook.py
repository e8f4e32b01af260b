"""`POST /callback`: verify the signature, store the events in the inbox, answer 200 at once."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from linebot.v3.webhook import SignatureValidator

from bot.inbox import InboxUnavailable, MalformedBody, inbox_rows
from bot.services import Services
from models.clock import clock

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


@bp.post("/callback")
def callback() -> Response | tuple[str, int]:
    services: Services = current_app.extensions["rongtook"]
    signature = request.headers.get("X-Line-Signature", "")
    try:
        body = request.get_data().decode("utf-8")
    except UnicodeDecodeError:
        log.warning("webhook: body is not UTF-8; refused")
        return "bad body", 400
    if not signature or not SignatureValidator(services.settings.line_channel_secret).validate(
        body, signature
    ):
        log.warning("webhook: missing or wrong X-Line-Signature from %s; refused", request.remote_addr)
        return "bad signature", 400
    try:
        rows, skipped = inbox_rows(body, clock.now())
        services.inbox_writer.store(rows)
    except MalformedBody as exc:
        log.warning("webhook: signed body refused: %s", exc)
        return "malformed body", 400
    except (InboxUnavailable, TimeoutError) as exc:
        # Not stored, so say so: LINE redelivers (when redelivery is on) what was not answered 2xx.
        log.error(
            "webhook: database unavailable, events not stored: %s", (str(exc) or repr(exc)).splitlines()[0]
        )
        return "database unavailable", 503
    if skipped:
        log.info("webhook: %d of %d events skipped", skipped, skipped + len(rows))
    return Response("OK", status=200, mimetype="text/plain")
