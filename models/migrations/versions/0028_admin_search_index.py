"""the staff pages at a million complaints: a word search by index, and indexes that serve the list's order

- `ix_complaints_description_trgm` (on SQLite an empty index of that name): a trigram GIN index on the
  description, so the complaint list's `q=` word search (`description ILIKE '%word%'`) reads the index
  instead of every description. It needs the `pg_trgm` extension, which this creates: a superuser may, and
  on PostgreSQL 13+ any role with CREATE on the database (pg_trgm is a trusted extension); see
  docs/operator-guide.md "## PostgreSQL". It goes into `public` when not installed yet (an app whose
  search_path is a schema of its own still finds its operator class there, by name), else it is used
  where it is.
- `ix_complaints_status_created`, `ix_complaints_category_created`: the list filtered by status or
  category, newest first, read in its order (and its count and its page of ids from the index alone).
- `ix_complaints_resolved_at`: the dashboard's complaints resolved per week.
- `ix_complaints_open_district`: only the open complaints, with their deadlines: the dashboard's counts of
  open and overdue complaints per district without reading the closed million.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-12 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# models.complaints.OPEN_SQL, written out: a migration keeps the condition it was made with.
OPEN_SQL = "status IN ('routed', 'acknowledged', 'in_progress')"
# Any number: two migrations at once (parallel test runs, each in a schema of its own) take turns at
# creating the extension, which is one per database.
EXTENSION_LOCK = 280028


def upgrade() -> None:
    op.create_index("ix_complaints_status_created", "complaints", ["status", "created_at", "id"])
    op.create_index("ix_complaints_category_created", "complaints", ["category", "created_at", "id"])
    op.create_index("ix_complaints_resolved_at", "complaints", ["resolved_at"])
    op.create_index(
        "ix_complaints_open_district",
        "complaints",
        ["district_code"],
        postgresql_include=[
            "status",
            "ack_due_at",
            "first_progress_at",
            "first_progress_due_at",
            "next_checkpoint_on",
        ],  # fmt: skip
        postgresql_where=sa.text(OPEN_SQL),
        sqlite_where=sa.text(OPEN_SQL),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        # SQLite's LIKE reads every row anyway: an empty index of the same name keeps the schemas alike.
        op.create_index(
            "ix_complaints_description_trgm", "complaints", ["description"], sqlite_where=sa.text("0")
        )
        return
    op.execute(sa.text(f"SELECT pg_advisory_xact_lock({EXTENSION_LOCK})"))
    op.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    where = bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar_one()
    op.execute(
        sa.text(
            "CREATE INDEX ix_complaints_description_trgm ON complaints "
            f'USING gin (description "{where}".gin_trgm_ops)'
        )
    )


def downgrade() -> None:
    # The extension stays: other schemas of the database may use it.
    op.drop_index("ix_complaints_description_trgm", table_name="complaints")
    op.drop_index("ix_complaints_open_district", table_name="complaints")
    op.drop_index("ix_complaints_resolved_at", table_name="complaints")
    op.drop_index("ix_complaints_category_created", table_name="complaints")
    op.drop_index("ix_complaints_status_created", table_name="complaints")
