"""a reporter's wish that the complaint not appear publicly

`complaints.public_opt_out`: asked at filing (LINE's summary, the staff intake page). The public pages,
map, open data and Open311 lists leave such complaints out; every figure still counts them. The public
map's index carries it on PostgreSQL, so a box is still read from the index alone.

What staff hide of a complaint (a text, a photo) needs no column: it is the event log's "hidden" and
"unhidden" events (models/public_hiding.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

MAP_INDEX = "ix_complaints_latitude_longitude"
MAP_COLUMNS = ["latitude", "longitude", "created_at"]
MAP_INCLUDED = ["status", "category", "district_code", "tracking_code"]


# Plain ALTER TABLE, not batch mode (as 0011): SQLite adds and drops a column in place.
def upgrade() -> None:
    op.add_column(
        "complaints",
        sa.Column("public_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_bind().dialect.name == "postgresql":  # INCLUDE is PostgreSQL's; SQLite's index is unchanged
        op.drop_index(MAP_INDEX, table_name="complaints")
        op.create_index(
            MAP_INDEX, "complaints", MAP_COLUMNS, postgresql_include=[*MAP_INCLUDED, "public_opt_out"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(MAP_INDEX, table_name="complaints")
        op.create_index(MAP_INDEX, "complaints", MAP_COLUMNS, postgresql_include=MAP_INCLUDED)
    op.execute("ALTER TABLE complaints DROP COLUMN public_opt_out")
