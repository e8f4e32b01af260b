"""Reminders sent (each exactly once), the scheduler's leader lease, and monthly report submissions."""

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


class Lease(Base):
    """A named lease: whoever holds it unexpired is the one process doing that job (the scheduler)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MonthlyReport(Base):
    """A district's monthly summary for the centre (due by the 10th of the next month, RULES §6 step 3)."""

    __tablename__ = "monthly_reports"

    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11" (CE)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(200), default=None)
