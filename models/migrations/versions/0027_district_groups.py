"""LINE groups linked to a district: its new-complaint cards and reminder digests go there (issue 18 point 2)

`district_groups`: one row per LINE group the bot was linked in (active until the bot leaves or an admin
unlinks it); `group_link_codes`: the one-time codes an admin gives for a district (24 h).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "district_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("linked_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("left_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("left_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_district_groups_district_code_districts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_groups")),
        sa.UniqueConstraint("group_id", name=op.f("uq_district_groups_group_id")),
    )
    op.create_index(
        op.f("ix_district_groups_district_code"), "district_groups", ["district_code"], unique=False
    )
    op.create_table(
        "group_link_codes",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("expires_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("used_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("used_by_group", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_group_link_codes_district_code_districts"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_group_link_codes")),
    )
    op.create_index(
        op.f("ix_group_link_codes_district_code"), "group_link_codes", ["district_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_group_link_codes_district_code"), table_name="group_link_codes")
    op.drop_table("group_link_codes")
    op.drop_index(op.f("ix_district_groups_district_code"), table_name="district_groups")
    op.drop_table("district_groups")
