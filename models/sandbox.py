"""State of the built-in LINE stand-in (sandbox mode only).

Kept in the database, not in memory, so the sandbox works across the web and worker
processes and survives a restart like the rest of the bot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class SandboxUser(Base):
    __tablename__ = "sandbox_users"

    line_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SandboxMessage(Base):
    """One bubble of a sandbox conversation: what a user sent, or what the bot sent."""

    __tablename__ = "sandbox_messages"
    __table_args__ = (Index("ix_sandbox_messages_user_id", "line_user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(ForeignKey("sandbox_users.line_user_id"))
    direction: Mapped[str] = mapped_column(String(4))  # user | bot
    via: Mapped[str] = mapped_column(String(10))  # event type for user rows; reply | push for bot rows
    payload: Mapped[str] = mapped_column(Text)  # JSON: the event (user) or one LINE message object (bot)
    # A user row is shown once this event reached the inbox: a webhook that failed is not in the chat.
    webhook_event_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SandboxReplyToken(Base):
    __tablename__ = "sandbox_reply_tokens"

    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class SandboxRetryKey(Base):
    __tablename__ = "sandbox_retry_keys"

    retry_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SandboxContent(Base):
    """A photo a sandbox user 'sent', served back by the fake content API."""

    __tablename__ = "sandbox_contents"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
