"""who looked at personal fields, and staff-recorded requests (issue 17 points 7-9)

`personal_data_views`: one row per view of a complaint's personal fields in the staff web (who, when,
which complaint, which fields, which page), read by admins by user, complaint and days.
`data_requests`: copy and erasure requests received by phone, letter, e-mail or at the desk, with the
day received, the day due (30 days on) and who carried each out when. Whom a request is about is the
complaints (and the LINE citizen) it covers, never the phone number it was found by.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_data_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UtcDateTime(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.String(length=100), nullable=False),
        sa.Column("page", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_personal_data_views_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_personal_data_views_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_views")),
    )
    op.create_index(op.f("ix_personal_data_views_at"), "personal_data_views", ["at"], unique=False)
    op.create_index(
        "ix_personal_data_views_user_at", "personal_data_views", ["staff_user_id", "at"], unique=False
    )
    op.create_index(
        "ix_personal_data_views_complaint_at", "personal_data_views", ["complaint_id", "at"], unique=False
    )
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("complaint_ids", sa.JSON(), nullable=False),
        sa.Column("found_by", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("carried_out_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("carried_out_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_data_requests_citizen_id_citizens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    op.create_index(op.f("ix_data_requests_due_on"), "data_requests", ["due_on"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_data_requests_due_on"), table_name="data_requests")
    op.drop_table("data_requests")
    op.drop_index("ix_personal_data_views_complaint_at", table_name="personal_data_views")
    op.drop_index("ix_personal_data_views_user_at", table_name="personal_data_views")
    op.drop_index(op.f("ix_personal_data_views_at"), table_name="personal_data_views")
    op.drop_table("personal_data_views")
