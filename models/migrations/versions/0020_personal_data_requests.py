"""citizens' copies of their data and erasure (issue 17 points 5-7)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
