"""The channel's push quota: pushes counted by kind and month, LINE's own meter, and held notices.

LINE counts every push (a reply is free) against a monthly quota; at 100 % it refuses pushes with a
429 until the month ends. So the bot counts what it pushes, by what it was (`KINDS`), reads LINE's own
figures (the quota and consumption endpoints) so the two can be compared, and when LINE refuses a push
for the quota, keeps the message `held`: it goes with the recipient's next reply (free), or as a push
again once LINE shows room (a new month, a bigger plan).

Months are Bangkok months ("2026-12"); LINE's meter resets on its own calendar (JST, two hours ahead),
so the two differ for the first two hours of a month.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.clock import BANGKOK
from models.queues import HELD_SQL, OutboxMessage, QueueStatus

# What an outbox row carries. An "answer" is a reply to the user's own message, pushed only when its
# reply token had expired; the others are pushes by nature.
ANSWER, OFFICER_CARD, NOTICE, REMINDER, DRAFT_EXPIRED, OTHER = (
    "answer",
    "officer_card",
    "notice",
    "reminder",
    "draft_expired",
    "other",
)
KINDS = (OFFICER_CARD, NOTICE, REMINDER, ANSWER, DRAFT_EXPIRED, OTHER)
WARN_PERCENT = 80  # admins are warned from here; at 100 LINE refuses pushes
QUOTA_SPENT_ERROR = "LINE: the month's push quota is spent; kept for the recipient's next reply"
MESSAGES_PER_REPLY = 5


class PushCount(Base):
    __tablename__ = "push_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class QuotaReading(Base):
    """LINE's figures for a month, as last read (one row a month)."""

    __tablename__ = "line_quota_readings"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)
    quota_type: Mapped[str] = mapped_column(String(8))  # "limited" | "none" (no limit)
    quota_limit: Mapped[int | None] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer)
    warned_at_percent: Mapped[int] = mapped_column(Integer, default=0)  # 0, WARN_PERCENT or 100


def month_of(at: datetime) -> str:
    return at.astimezone(BANGKOK).strftime("%Y-%m")


def is_quota_refusal(status: int | None, detail: str) -> bool:
    """LINE's answer to a push over the monthly limit: 429 "You have reached your monthly limit."
    (a 429 without those words is the rate limit, which passes in seconds)."""
    return status == 429 and "monthly limit" in detail.lower()


# ---- counting --------------------------------------------------------------------------------


def count_pushes(session: Session, pushes: Iterable[tuple[str | None, datetime]]) -> None:
    """Add pushes that LINE took, given as (kind, when), to their month's counts (one statement a group)."""
    groups = Counter((month_of(at), kind if kind in KINDS else OTHER) for kind, at in pushes)
    if not groups:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for (month, kind), n in sorted(groups.items()):
        statement = insert(PushCount).values(month=month, kind=kind, count=n)
        statement = statement.on_conflict_do_update(
            index_elements=["month", "kind"], set_={"count": PushCount.count + statement.excluded.count}
        )
        session.execute(statement)


def record_reading(
    session: Session, now: datetime, quota_type: str, quota_limit: int | None, used: int
) -> int | None:
    """Keep LINE's figures for this month. Returns the threshold (WARN_PERCENT or 100) crossed for the
    first time this month, for the caller to warn once, or None."""
    month = month_of(now)
    reading = session.get(QuotaReading, month)
    if reading is None:
        reading = QuotaReading(month=month, warned_at_percent=0)
        session.add(reading)
    reading.read_at, reading.quota_type, reading.quota_limit, reading.used = (
        now,
        quota_type,
        quota_limit,
        used,
    )
    percent = _percent(quota_type, quota_limit, used)
    crossed = next((t for t in (100, WARN_PERCENT) if percent is not None and percent >= t), None)
    newly = crossed if crossed is not None and crossed > reading.warned_at_percent else None
    if newly is not None:
        reading.warned_at_percent = newly
    session.flush()
    return newly


def _percent(quota_type: str, quota_limit: int | None, used: int | None) -> float | None:
    if quota_type != "limited" or not quota_limit or used is None:
        return None
    return 100.0 * used / quota_limit


@dataclass(frozen=True)
class QuotaSummary:
    """This month's pushes for the admin dashboard."""

    month: str
    counted: int  # pushes the bot counted this month
    by_kind: list[tuple[str, int]]  # most first
    quota_type: str | None  # None: LINE's meter never read
    quota_limit: int | None
    used: int | None  # LINE's own count, as last read
    read_at: datetime | None
    held: int  # messages waiting for their recipient's next reply

    @property
    def percent(self) -> float | None:
        return _percent(self.quota_type or "", self.quota_limit, self.used)

    @property
    def level(self) -> str:
        """ "spent" (LINE refuses pushes), "warn" (from WARN_PERCENT) or "ok"."""
        percent = self.percent
        if self.held or (percent is not None and percent >= 100):
            return "spent"
        if percent is not None and percent >= WARN_PERCENT:
            return "warn"
        return "ok"


def quota_summary(session: Session, now: datetime) -> QuotaSummary:
    month = month_of(now)
    counts = session.execute(
        select(PushCount.kind, PushCount.count)
        .where(PushCount.month == month)
        .order_by(PushCount.count.desc())
    ).all()
    reading = session.get(QuotaReading, month)
    return QuotaSummary(
        month=month,
        counted=sum(n for _, n in counts),
        by_kind=[(kind, n) for kind, n in counts],
        quota_type=reading.quota_type if reading else None,
        quota_limit=reading.quota_limit if reading else None,
        used=reading.used if reading else None,
        read_at=reading.read_at if reading else None,
        held=held_count(session),
    )


# ---- held messages ---------------------------------------------------------------------------


def hold(session: Session, row_id: int, now: datetime, http_status: int | None = 429) -> None:
    """A push refused for the quota: finished as held (the chat's later messages go on)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status=QueueStatus.HELD.value,
            finished_at=now,
            lease_until=None,
            claimed_by=None,
            last_error=QUOTA_SPENT_ERROR,
            last_http_status=http_status,
        )
    )


def _held() -> Any:
    return text(f"outbox_messages.{HELD_SQL}")  # written in: the partial index of held rows


def held_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(_held())) or 0


def any_held(session: Session) -> bool:
    return session.scalar(select(OutboxMessage.id).where(_held()).limit(1)) is not None


def take_held(session: Session, chat_key: str, room: int, now: datetime) -> list[dict[str, Any]]:
    """The chat's held messages, oldest first, whole rows only, as many as fit in `room` message objects;
    marked sent as a reply (they go with the answer this transaction writes, or, if that reply fails,
    inside it as a push, held again if the quota is still spent)."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.messages)
        .where(_held(), OutboxMessage.chat_key == chat_key)
        .order_by(OutboxMessage.id)
        .limit(MESSAGES_PER_REPLY)
    ).all()
    taken: list[dict[str, Any]] = []
    ids: list[int] = []
    for row_id, stored in rows:
        messages = json.loads(stored)
        if len(taken) + len(messages) > room:
            break
        taken.extend(messages)
        ids.append(row_id)
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status=QueueStatus.DONE.value, sent_as="reply", finished_at=now, last_error=None)
        )
    return taken


def release_held(session: Session, now: datetime) -> int:
    """Held messages go back to the queue as pushes when LINE has room again: held in an earlier month
    (the quota is new), or held before a reading of this month that shows room (a bigger plan).
    Their order per chat is their ids', as before. Returns how many."""
    month = month_of(now)
    reading = session.get(QuotaReading, month)
    room_since = None
    if reading is not None:
        percent = _percent(reading.quota_type, reading.quota_limit, reading.used)
        if reading.quota_type == "none" or (percent is not None and percent < 100):
            room_since = reading.read_at
    rows = session.execute(select(OutboxMessage.id, OutboxMessage.finished_at).where(_held())).all()
    ids = [
        row_id
        for row_id, held_at in rows
        if held_at is None or month_of(held_at) < month or (room_since is not None and held_at < room_since)
    ]
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                status=QueueStatus.PENDING.value,
                next_attempt_at=now,
                attempts=0,
                finished_at=None,
                last_error=None,
            )
        )
    return len(ids)
