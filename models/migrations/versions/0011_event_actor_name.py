"""the name of the staff member who acted, on each complaint event (the staff web has no officer id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: SQLite (3.35+) adds and drops a column in place, and rebuilding
# complaint_events would have to copy its partial index, whose WHERE clause batch mode cannot reflect.
def upgrade() -> None:
    op.add_column("complaint_events", sa.Column("actor_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE complaint_events DROP COLUMN actor_name")
