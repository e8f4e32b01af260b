"""a second, independent look at photos that share a fingerprint (issue 17 point 4: false flags at a million)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
