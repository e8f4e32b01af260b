"""Districts' monthly report submissions (RULES §6 step 3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class MonthlyReport(Base):
    """A district's monthly summary for the centre (due by the 10th of the next month, RULES §6 step 3)."""

    __tablename__ = "monthly_reports"

    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11" (CE)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(200), default=None)
