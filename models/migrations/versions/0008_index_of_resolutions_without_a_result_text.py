"""index of resolutions without a result text (read by the KPI scorer on every call)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As models.complaints.BLANK_RESOLUTION when this migration was written (a migration keeps its own copy).
BLANK_RESOLUTION = "kind = 'resolved' AND coalesce(trim(text, ' \t\r\n\f\v\u00a0'), '') = ''"


def upgrade() -> None:
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_events_blank_resolutions",
            ["district_code", "at"],
            unique=False,
            postgresql_where=sa.text(BLANK_RESOLUTION),
            sqlite_where=sa.text(BLANK_RESOLUTION),
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_events_blank_resolutions")
