"""answer templates per category for officers' progress and result texts (issue 18 point 3)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
