"""closure photos that matched an earlier photo and were kept with a reason (issue 17 points 2-3)

`photo_flags`: one row per progress or "after" photo an officer kept although the detector
(models.photo_checks) matched it to the citizen's own photo, another complaint's photo, or a capture time
before the complaint; with the match, the reason and who kept it. The dashboard and the audit page count a
district's flagged closures in a period: one index (district, event kind, time) answers both.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_kind", sa.String(length=30), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=True),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("matched_photo_id", sa.Integer(), nullable=True),
        sa.Column("matched_complaint_id", sa.Integer(), nullable=True),
        sa.Column("matched_code", sa.String(length=20), nullable=True),
        sa.Column("matched_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kept_by_kind", sa.String(length=16), nullable=False),
        sa.Column("kept_by_id", sa.Integer(), nullable=True),
        sa.Column("kept_by_name", sa.String(length=200), nullable=True),
        sa.Column("at", models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_photo_flags_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["complaint_events.id"], name=op.f("fk_photo_flags_event_id_complaint_events")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"], ["districts.code"], name=op.f("fk_photo_flags_district_code_districts")
        ),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name=op.f("fk_photo_flags_photo_id_photos")),
        sa.ForeignKeyConstraint(
            ["matched_photo_id"], ["photos.id"], name=op.f("fk_photo_flags_matched_photo_id_photos")
        ),
        sa.ForeignKeyConstraint(
            ["matched_complaint_id"],
            ["complaints.id"],
            name=op.f("fk_photo_flags_matched_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_flags")),
    )
    op.create_index(op.f("ix_photo_flags_complaint_id"), "photo_flags", ["complaint_id"], unique=False)
    op.create_index(op.f("ix_photo_flags_event_id"), "photo_flags", ["event_id"], unique=False)
    op.create_index(
        "ix_photo_flags_district_kind_at", "photo_flags", ["district_code", "event_kind", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_photo_flags_district_kind_at", table_name="photo_flags")
    op.drop_index(op.f("ix_photo_flags_event_id"), table_name="photo_flags")
    op.drop_index(op.f("ix_photo_flags_complaint_id"), table_name="photo_flags")
    op.drop_table("photo_flags")
