"""Where each LINE user is in a conversation with the bot, kept in the database.

One row per (LINE user, dialog kind). The state and the draft live here, not in memory, so a
conversation survives a restart of any process. `lock_version` makes two writers of the same
row (a handler and the expiry sweep) notice each other instead of overwriting silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime

IDLE = "idle"


class Dialog(Base):
    __tablename__ = "dialogs"
    __table_args__ = (UniqueConstraint("line_user_id", "kind", name="uq_dialogs_user_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # citizen | officer
    state: Mapped[str] = mapped_column(String(32), default=IDLE)
    draft_no: Mapped[int] = mapped_column(Integer, default=0)  # which draft buttons belong to
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # LINE time of the last change
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None, index=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def active(self) -> bool:
        return self.state != IDLE
