"""the public map's index: complaints by latitude and longitude

The public map (`/map`) asks for the complaints of a period inside the visible box. Without an index that
is the whole period read and filtered; with this one a range of latitude, with longitude and the day of
receipt checked in the index, and on PostgreSQL the map's fields included so the heap is not visited.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_complaints_latitude_longitude",
        "complaints",
        ["latitude", "longitude", "created_at"],
        postgresql_include=["status", "category", "district_code", "tracking_code"],
    )


def downgrade() -> None:
    op.drop_index("ix_complaints_latitude_longitude", table_name="complaints")
