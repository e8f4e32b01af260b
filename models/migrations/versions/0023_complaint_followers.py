"""citizens following another's complaint instead of filing a duplicate (issue 18 point 4)

`complaint_followers`: one row per follow ("ติดตามเรื่องนี้แทน" in LINE), `until` set when it ended
("เลิกติดตาม"); at most one active row per complaint and citizen (a partial unique index). A follower's
own rating and "not fixed" are kept on their row, never on the complaint (models/complaint_followers.py).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ACTIVE = sa.text("until IS NULL")


def upgrade() -> None:
    op.create_table(
        "complaint_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("since", models.base.UtcDateTime(), nullable=False),
        sa.Column("until", models.base.UtcDateTime(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("not_fixed_at", models.base.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_followers_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_complaint_followers_citizen_id_citizens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_followers")),
    )
    op.create_index(
        op.f("ix_complaint_followers_complaint_id"), "complaint_followers", ["complaint_id"], unique=False
    )
    op.create_index(
        op.f("ix_complaint_followers_citizen_id"), "complaint_followers", ["citizen_id"], unique=False
    )
    op.create_index(
        "uq_complaint_followers_active",
        "complaint_followers",
        ["complaint_id", "citizen_id"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_complaint_followers_active", table_name="complaint_followers")
    op.drop_index(op.f("ix_complaint_followers_citizen_id"), table_name="complaint_followers")
    op.drop_index(op.f("ix_complaint_followers_complaint_id"), table_name="complaint_followers")
    op.drop_table("complaint_followers")
