"""citizens' copies of their data and erasure (issue 17 points 5-7)

`data_export_links`: the one-time download links of a citizen's copy ("ข้อมูลของฉัน" in LINE). Only the
SHA-256 of a token is stored, so the table cannot be used to download anything; a link is spent
(`used_at`), stopped (`revoked_at`: a newer link, or erasure) or past `expires_at` (24 hours).

Erasure needs no column: an erased citizen's row keeps its id with `line_user_id = 'erased-<random>'`
(models/personal_data.py), so complaints and the KPI are untouched.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_export_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("expires_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("used_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", models.base.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_data_export_links_citizen_id_citizens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_export_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_data_export_links_token_hash")),
    )
    op.create_index(
        op.f("ix_data_export_links_citizen_id"), "data_export_links", ["citizen_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_data_export_links_citizen_id"), table_name="data_export_links")
    op.drop_table("data_export_links")
