"""pushes counted by kind and month, LINE's own meter, and notices kept for a citizen while the quota is spent (issue 18 point 7)

`outbox_messages.kind`: what a row carries (answer, officer_card, notice, reminder, draft_expired,
other), counted in `push_counts` (Bangkok month, kind) when it goes out as a push. `line_quota_readings`:
LINE's own figures for the month (the quota and consumption endpoints), read by the worker's scheduler.
A push LINE refuses because the month's quota is spent is kept `held` (a finished status: the chat goes
on) and goes with the recipient's next reply; the partial index finds a chat's held rows.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

HELD = "status = 'held'"


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
    op.create_index(
        "ix_outbox_messages_held_chat",
        "outbox_messages",
        ["chat_key", "id"],
        unique=False,
        postgresql_where=sa.text(HELD),
        sqlite_where=sa.text(HELD),
    )
    op.create_table(
        "push_counts",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "kind", name=op.f("pk_push_counts")),
    )
    op.create_table(
        "line_quota_readings",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("read_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("quota_type", sa.String(length=8), nullable=False),
        sa.Column("quota_limit", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("warned_at_percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_line_quota_readings")),
    )


def downgrade() -> None:
    op.drop_table("line_quota_readings")
    op.drop_table("push_counts")
    op.drop_index("ix_outbox_messages_held_chat", table_name="outbox_messages")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("kind")
