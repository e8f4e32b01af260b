"""Writing to the outbox: what is to be sent to LINE, queued in the caller's transaction.

The worker sends each row later (`models.queue_ops` claims them); a row written in the same
transaction as the change it tells of goes out if and only if that change is committed.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Insert, Row, bindparam, case, exists, insert, literal_column, select, text
from sqlalchemy.orm import Session

from models.district_groups import active_group_ids
from models.people import Officer
from models.push_quota import ANSWER, NOTICE, OFFICER_CARD
from models.queue_ops import CLAIMED_COLUMNS
from models.queues import UNFINISHED_SQL, OutboxMessage, QueueStatus

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
    kind: str | None = None,
) -> list[Queued]:
    """Pushes to others (citizens, officers) into the outbox, in the caller's transaction, in order.

    One INSERT for them all, outside the ORM's bookkeeping: a complaint's cards go to each of the
    district's officers, and a row object apiece costs more than writing them. `kind` (for the push
    counts): given, or else a card to an officer and a notice to anyone else.
    """
    if not pushes:
        return []
    kinds = {to: kind for to, _ in pushes} if kind else _kinds_by_recipient(session, [to for to, _ in pushes])
    values = [
        _row_values(to, chunk, now=now, inbox_id=inbox_id, kind=kinds[to])
        for to, messages in pushes
        for chunk in chunks(messages)
    ]
    if not values:
        return []
    table = OutboxMessage.__table__
    statement = insert(table).returning(table.c.id, table.c.chat_key, sort_by_parameter_order=True)
    return [Queued(row.id, row.chat_key) for row in session.connection().execute(statement, values)]


def _kinds_by_recipient(session: Session, recipients: list[str]) -> dict[str, str]:
    officers = set(
        session.scalars(select(Officer.line_user_id).where(Officer.line_user_id.in_(set(recipients))))
    )
    officers |= active_group_ids(session, recipients)  # a district group's cards are officer cards
    return {to: OFFICER_CARD if to in officers else NOTICE for to in recipients}


def _row_values(
    to: str,
    messages: list[Message],
    *,
    now: datetime,
    inbox_id: int | None,
    reply_token: str | None = None,
    reply_token_at: datetime | None = None,
    kind: str | None = None,
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
        "kind": kind,
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
    kind: str | None = None,
) -> OutboxMessage:
    """One message to `to`: an answer (with the event's reply token), or a push of `kind`."""
    row = OutboxMessage(
        **_row_values(
            to,
            messages,
            now=now,
            inbox_id=inbox_id,
            reply_token=reply_token,
            reply_token_at=reply_token_at,
            kind=kind or (ANSWER if reply_token else None),
        )
    )
    session.add(row)
    session.flush()
    return row


def enqueue_taken(
    session: Session,
    to: str,
    messages: list[Message],
    *,
    now: datetime,
    worker: str,
    lease_until: datetime,
    inbox_id: int | None = None,
    reply_token: str | None = None,
    reply_token_at: datetime | None = None,
    held: Sequence[int] = (),
) -> Row[Any]:
    """Queue a message already taken for sending by `worker` (as `queue_ops.claim` would take it), unless an
    earlier message to the same chat is unfinished: then it waits its turn, pending.

    `held`: earlier messages of the chat that the caller holds and sends first itself (the one in flight
    while this event was handled): they do not make this one wait.

    One statement instead of a write, a claim and a lease: a handler's answer is sent by the thread that
    wrote it, straight after the commit. Returns the row's columns as written (`status` says which).
    """
    values = _row_values(
        to,
        messages,
        now=now,
        inbox_id=inbox_id,
        reply_token=reply_token,
        reply_token_at=reply_token_at,
        kind=ANSWER,
    )
    params = {f"v_{name}": value for name, value in values.items()}
    params.update(v_worker=worker, v_lease_until=lease_until, v_held=list(held))
    return session.connection().execute(_taken_statement(), params).one()


@functools.cache
def _taken_statement() -> Insert:
    table = OutboxMessage.__table__
    c = table.c
    earlier = table.alias("earlier")
    busy = select(
        exists().where(
            earlier.c.chat_key == bindparam("v_chat_key"),
            text(f"earlier.{UNFINISHED_SQL}"),
            earlier.c.id.not_in(bindparam("v_held", expanding=True)),
        )
    ).label("busy")
    waiting = literal_column("waiting.busy")

    def param(column: Any) -> Any:  # named apart from the columns, as an INSERT … SELECT must
        return bindparam(f"v_{column.name}", type_=column.type)

    def when_free(value: Any, otherwise: Any) -> Any:
        return case((waiting, otherwise), else_=value)

    plain = (
        c.to,
        c.chat_key,
        c.messages,
        c.reply_token,
        c.reply_token_at,
        c.retry_key,
        c.inbox_event_id,
        c.kind,
    )
    columns = [*plain, c.created_at, c.next_attempt_at, c.status, c.attempts, c.claimed_by, c.lease_until]
    chosen = select(
        *(param(column) for column in plain),
        param(c.created_at),
        param(c.next_attempt_at),
        when_free(QueueStatus.PROCESSING.value, QueueStatus.PENDING.value),
        when_free(1, 0),
        when_free(bindparam("v_worker", type_=c.claimed_by.type), None),
        when_free(param(c.lease_until), None),
    ).select_from(select(busy).subquery("waiting"))
    taken = CLAIMED_COLUMNS[table.name]  # as a claim returns it
    return insert(table).from_select(columns, chosen).returning(*(c[name] for name in taken))


def chunks(messages: list[Message]) -> list[list[Message]]:
    return [messages[i : i + MESSAGES_PER_REQUEST] for i in range(0, len(messages), MESSAGES_PER_REQUEST)]
