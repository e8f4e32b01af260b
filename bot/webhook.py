"""`POST /callback`: verify the signature, store the events in the inbox, answer 200 at once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request
from linebot.v3.webhook import SignatureValidator
from sqlalchemy.exc import SQLAlchemyError

from bot.inbox import MalformedBody, store_events
from bot.services import Services
from models.db import transaction

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
        with transaction(services.sessions) as session:
            accepted = store_events(session, body, datetime.now(UTC))
    except MalformedBody as exc:
        log.warning("webhook: signed body refused: %s", exc)
        return "malformed body", 400
    except SQLAlchemyError as exc:
        # Not stored, so say so: LINE redelivers (when redelivery is on) what was not answered 2xx.
        log.error("webhook: database unavailable, events not stored: %s", str(exc).splitlines()[0])
        return "database unavailable", 503
    if accepted.stored:
        services.wake.set()
    if accepted.duplicates or accepted.skipped:
        log.info(
            "webhook: stored %d, redelivered %d, skipped %d",
            accepted.stored,
            accepted.duplicates,
            accepted.skipped,
        )
    return Response("OK", status=200, mimetype="text/plain")
