"""The step 2 audit (RULES §6): each month's random draw of resolved complaints, and the auditor's findings.

One `AuditDraw` per (district, month) holds the seed and the counts, so anyone can redo the draw;
its `AuditItem`s are the drawn complaints, each marked consistent or inconsistent with its evidence
(None until the auditor has looked: the scorer counts that as not consistent).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UtcDateTime


class AuditFinding(enum.StrEnum):
    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"


class AuditDraw(Base):
    __tablename__ = "audit_draws"
    __table_args__ = (UniqueConstraint("district_code", "month", name="uq_audit_draws_district_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    month: Mapped[str] = mapped_column(String(7), index=True)  # "2026-11" (CE), the month of resolution
    seed: Mapped[int] = mapped_column(BigInteger)  # random.Random(seed).sample(ids sorted, drawn_count)
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime)
    drawn_count: Mapped[int] = mapped_column(Integer)
    population_count: Mapped[int] = mapped_column(Integer)  # complaints resolved in the month

    items: Mapped[list[AuditItem]] = relationship(back_populates="draw", order_by="AuditItem.id")


class AuditItem(Base):
    __tablename__ = "audit_items"
    __table_args__ = (UniqueConstraint("draw_id", "complaint_id", name="uq_audit_items_draw_complaint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("audit_draws.id"))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    finding: Mapped[str | None] = mapped_column(String(16), default=None)  # consistent | inconsistent
    note: Mapped[str | None] = mapped_column(Text, default=None)
    marked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    marked_by: Mapped[str | None] = mapped_column(String(200), default=None)

    draw: Mapped[AuditDraw] = relationship(back_populates="items")
