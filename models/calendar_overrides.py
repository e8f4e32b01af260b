"""Admin overrides of the working-day calendar: special holidays and extra working days.

They win over the `holidays` package (RULES §1); the cabinet declares such days at short notice.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class OverrideKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a day off the package does not know (special holiday)
    WORKING = "working"  # a working day despite the package or the weekend


class CalendarOverride(Base):
    __tablename__ = "calendar_overrides"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'working')", name="kind"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # one override per day: the latest wins
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
