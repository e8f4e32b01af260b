"""The inbox (every incoming LINE event) and the outbox (every outgoing LINE message).

Both are work queues with the same mechanics (see `models/queue_ops.py`): rows are taken
in order per LINE chat, under a lease, with a retry count and the last error on the row.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class QueueStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    # Outbox only: a push LINE refused because the month's quota is spent, kept to go with the
    # recipient's next reply (`models.push_quota`). Finished, so the chat's later messages go on.
    HELD = "held"


# Unfinished rows are the few the worker looks for among the many done ones: partial indexes over
# them keep every claim as cheap with a million done rows as with none. Queries reach them by
# repeating this condition with the statuses written in (`UNFINISHED_SQL`), not as parameters.
UNFINISHED_SQL = "status IN ('pending', 'processing')"
FAILED_SQL = "status = 'failed'"
HELD_SQL = "status = 'held'"


def queue_indexes(table: str) -> tuple[Index, Index, Index]:
    """The chat's unfinished rows in order (the per-chat claim and "is an earlier row unfinished?"),
    all unfinished rows in order (the claim of the next rows of any chat), and the failed rows (to
    list and retry). No index over every status: done rows are only ever deleted by age."""

    def where(condition: str) -> dict[str, object]:
        return {"postgresql_where": text(condition), "sqlite_where": text(condition)}

    return (
        Index(f"ix_{table}_unfinished_chat", "chat_key", "id", **where(UNFINISHED_SQL)),
        Index(f"ix_{table}_unfinished", "id", **where(UNFINISHED_SQL)),
        Index(f"ix_{table}_failed", "id", **where(FAILED_SQL)),
    )


class QueueColumns:
    """Columns shared by both queues (a mixin, so each table keeps its own indexes)."""

    status: Mapped[str] = mapped_column(String(12), default=QueueStatus.PENDING.value)
    # The chat the row belongs to: rows of one chat are handled strictly in id order.
    chat_key: Mapped[str] = mapped_column(String(140))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class InboxEvent(QueueColumns, Base):
    __tablename__ = "inbox_events"
    __table_args__ = queue_indexes("inbox_events")

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    event_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the LINE event timestamp
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[str] = mapped_column(Text)  # the event exactly as LINE sent it (JSON)


class OutboxMessage(QueueColumns, Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        *queue_indexes("outbox_messages"),
        Index(
            "ix_outbox_messages_held_chat",
            "chat_key",
            "id",
            postgresql_where=text(HELD_SQL),
            sqlite_where=text(HELD_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(64))  # LINE user, group or room id
    messages: Mapped[str] = mapped_column(Text)  # JSON list of LINE message objects (1..5)
    # Set when the row answers an incoming event: a reply is tried while the token is fresh.
    reply_token: Mapped[str | None] = mapped_column(String(100), default=None)
    reply_token_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)  # X-Line-Retry-Key, kept across tries
    inbox_event_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_events.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_as: Mapped[str | None] = mapped_column(String(8), default=None)  # reply | push
    # What the row carries, for the push counts (`models.push_quota.KINDS`); None before migration 0026.
    kind: Mapped[str | None] = mapped_column(String(16), default=None)
    last_http_status: Mapped[int | None] = mapped_column(Integer, default=None)
