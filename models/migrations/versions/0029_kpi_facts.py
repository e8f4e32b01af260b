"""The KPI's facts of each complaint, kept as its events happen (issue 19 point 1).

`complaint_kpi_facts`: one row per routed complaint (its current unit, when that unit got it, the
moments of that stint — packed as binary timestamps, and as columns — and the deadlines and checkpoints
that decide its verdicts); `kpi_facts_builds`: when they were last rebuilt in
full from the event log. Empty here: `rongtook release` (or `rongtook kpi rebuild-facts`) fills them,
and until then the scorer reads the event log as before.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_kpi_facts",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("routed_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("tracking_code", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("result_text", sa.Boolean(), nullable=False),
        sa.Column("moments", sa.LargeBinary(), nullable=False),
        sa.Column("acknowledged_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("first_progress_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("resolved_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("rejected_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("ack_due_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("first_progress_due_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("first_checkpoint", sa.Integer(), nullable=True),
        sa.Column("first_checkpoint_unacked", sa.Integer(), nullable=False),
        sa.Column("served_base", sa.Integer(), nullable=False),
        sa.Column("served_mask", sa.BigInteger(), nullable=False),
        sa.Column("resolved_checkpoint_end", sa.Integer(), nullable=True),
        sa.Column("settled_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("settled_step1", sa.SmallInteger(), nullable=False),
        sa.Column("settled_step2", sa.SmallInteger(), nullable=False),
        sa.Column("settled_missed", sa.Integer(), nullable=False),
        sa.Column("resolved_month", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["district_code"], ["districts.code"]),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    op.create_index(
        "ix_complaint_kpi_facts_district_routed",
        "complaint_kpi_facts",
        ["district_code", "routed_at"],
        unique=False,
    )
    op.create_table(
        "kpi_facts_builds",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("finished_at", models.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("kpi_facts_builds")
    op.drop_index("ix_complaint_kpi_facts_district_routed", table_name="complaint_kpi_facts")
    op.drop_table("complaint_kpi_facts")
