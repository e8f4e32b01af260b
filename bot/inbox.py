"""Storing a verified webhook body in the inbox: one row per event, keyed by webhookEventId.

Only cheap work happens here (parse, validate, insert), because LINE counts an answer
slower than 2 s as a failure. Everything else is the worker's job.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linebot.v3.webhooks import Event
from pydantic import ValidationError
from sqlalchemy.orm import Session

from models import InboxEvent, QueueStatus
from models.db import insert_or_ignore

log = logging.getLogger(__name__)


class MalformedBody(ValueError):
    """The body is signed but is not a LINE webhook payload."""


@dataclass(frozen=True)
class Accepted:
    stored: int
    duplicates: int
    skipped: int


def chat_key(event: dict[str, Any]) -> str:
    """Which conversation an event belongs to: its events are handled in order."""
    source = event.get("source") or {}
    kind = source.get("type")
    if kind == "group":
        return f"group:{source.get('groupId', '')}"
    if kind == "room":
        return f"room:{source.get('roomId', '')}"
    return str(source.get("userId", ""))


def parse_body(body: str) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise MalformedBody(f"not JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedBody("no 'events' list")
    return payload["events"]


def usable_event(raw: Any) -> tuple[dict[str, Any], datetime] | None:
    """The event and its time if the SDK can read it; None (and a log line) if not."""
    if not isinstance(raw, dict):
        log.warning("webhook: skipped an event that is not an object")
        return None
    event_id, timestamp = raw.get("webhookEventId"), raw.get("timestamp")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 64:
        log.warning("webhook: skipped an event without a usable webhookEventId (type=%s)", raw.get("type"))
        return None
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        log.warning("webhook: skipped event %s without an integer timestamp", event_id)
        return None
    try:
        Event.from_dict(raw)  # the SDK raises ValueError for unknown types, ValidationError for bad fields
        at = datetime.fromtimestamp(timestamp / 1000, UTC)
    except (ValueError, TypeError, ValidationError, OverflowError, OSError) as exc:
        log.warning("webhook: skipped event %s (type=%s): %s", event_id, raw.get("type"), str(exc)[:200])
        return None
    return raw, at


def store_events(session: Session, body: str, now: datetime) -> Accepted:
    events = parse_body(body)
    rows = []
    for raw in events:
        usable = usable_event(raw)
        if usable is None:
            continue
        event, at = usable
        rows.append(
            {
                "webhook_event_id": event["webhookEventId"],
                "event_type": str(event.get("type")),
                "event_at": at,
                "received_at": now,
                "payload": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
                "chat_key": chat_key(event),
                "status": QueueStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    if not rows:
        return Accepted(stored=0, duplicates=0, skipped=len(events))
    stored = _insert_new(session, rows)
    return Accepted(stored=stored, duplicates=len(rows) - stored, skipped=len(events) - len(rows))


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert, ignoring rows whose webhookEventId is already stored (LINE redelivered it)."""
    return sum(insert_or_ignore(session, InboxEvent, ["webhook_event_id"], **row) for row in rows)
