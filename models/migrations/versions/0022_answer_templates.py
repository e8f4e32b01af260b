"""answer templates per category for officers' progress and result texts (issue 18 point 3)

`answer_templates`: an admin's ready texts per category and kind ("progress" | "result"), offered to
officers in LINE as quick replies (models/answer_templates.py); at most 300 characters each, checked
by the model (LINE's limit on a message action's text).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_answer_templates_category_code_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_templates")),
    )
    op.create_index(
        "ix_answer_templates_list", "answer_templates", ["category_code", "kind", "position"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_answer_templates_list", table_name="answer_templates")
    op.drop_table("answer_templates")
