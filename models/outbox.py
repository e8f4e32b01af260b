"""Writing to the outbox: what is to be sent to LINE, queued in the caller's transaction.

The worker sends each row later (`models.queue_ops` claims them); a row written in the same
transaction as the change it tells of goes out if and only if that change is committed.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlalchemy.orm import Session

from models.queues import OutboxMessage

Message = dict[str, Any]  # one LINE message object, as the Messaging API takes it
MESSAGES_PER_REQUEST = 5  # LINE's limit for one reply or push


class Queued(NamedTuple):
    """A row just written to the outbox: what the writer needs to know of it."""

    id: int
    chat_key: str


def queue_pushes(
    session: Session,
    pushes: list[tuple[str, list[Message]]],
    *,
    now: datetime,
    inbox_id: int | None = None,
) -> list[Queued]:
    """Pushes to others (citizens, officers) into the outbox, in the caller's transaction, in order.

    One INSERT for them all, outside the ORM's bookkeeping: a complaint's cards go to each of the
    district's officers, and a row object apiece costs more than writing them.
    """
    values = [
        _row_values(to, chunk, now=now, inbox_id=inbox_id)
        for to, messages in pushes
        for chunk in chunks(messages)
    ]
    if not values:
        return []
    table = OutboxMessage.__table__
    statement = insert(table).returning(table.c.id, table.c.chat_key, sort_by_parameter_order=True)
    return [Queued(row.id, row.chat_key) for row in session.connection().execute(statement, values)]


def _row_values(
    to: str,
    messages: list[Message],
    *,
    now: datetime,
    inbox_id: int | None,
    reply_token: str | None = None,
    reply_token_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "to": to,
        "chat_key": to,
        "messages": json.dumps(messages, ensure_ascii=False),
        "reply_token": reply_token,
        "reply_token_at": reply_token_at,
        "retry_key": str(uuid.uuid4()),
        "inbox_event_id": inbox_id,
        "created_at": now,
        "next_attempt_at": now,
        "status": "pending",
        "attempts": 0,
    }


def enqueue(
    session: Session,
    to: str,
    messages: list[Message],
    *,
    now: datetime,
    inbox_id: int | None = None,
    reply_token: str | None = None,
    reply_token_at: datetime | None = None,
) -> OutboxMessage:
    row = OutboxMessage(
        **_row_values(
            to, messages, now=now, inbox_id=inbox_id, reply_token=reply_token, reply_token_at=reply_token_at
        )
    )
    session.add(row)
    session.flush()
    return row


def chunks(messages: list[Message]) -> list[list[Message]]:
    return [messages[i : i + MESSAGES_PER_REQUEST] for i in range(0, len(messages), MESSAGES_PER_REQUEST)]
