"""Reminders sent to district officers: each exactly once (RULES §4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class ReminderSent(Base):
    """One reminder item, recorded in the same transaction as the push that carries it.

    The unique key (kind, subject, due date) is what makes a reminder go out once, across
    restarts and several workers: a second sweep's insert is ignored and it sends nothing.
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("kind", "subject", "due_on", name="uq_reminders_sent_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # ack_before, ack_due, ack_overdue, checkpoint_day, ...
    subject: Mapped[str] = mapped_column(String(64))  # "complaint:123" or "district:1001"
    due_on: Mapped[date] = mapped_column(Date)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), default=None)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), default=None)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
