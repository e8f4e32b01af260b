"""indexes for the Open311 request list: a district's (or every) complaints of a window, newest first

`GET /open311/v2/requests` asks for one page of the complaints filed in a 90-day window, of one
district or of all, newest first (filtered by status and category on the way). With these indexes
the database walks the window backwards and stops at the page's end instead of sorting the window.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaints_district_created", "complaints", ["district_code", "created_at", "id"])
    op.create_index("ix_complaints_created", "complaints", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_complaints_created", table_name="complaints")
    op.drop_index("ix_complaints_district_created", table_name="complaints")
