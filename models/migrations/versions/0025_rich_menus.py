"""the rich menus uploaded to LINE per role and which user has which (issue 18 point 1)

`rich_menus`: per role, the menu id LINE gave and the hash of what was uploaded (release skips an unchanged
menu). `rich_menu_links`: per-user menu changes owed to LINE, made by the worker after the handler's
transaction. `sandbox_rich_menus` / `sandbox_rich_menu_links`: the sandbox's fake LINE keeps its menus.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rich_menus",
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("line_menu_id", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", models.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_rich_menus")),
    )
    op.create_table(
        "rich_menu_links",
        sa.Column("line_user_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("requested_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("next_try_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("line_user_id", name=op.f("pk_rich_menu_links")),
    )
    op.create_index(op.f("ix_rich_menu_links_next_try_at"), "rich_menu_links", ["next_try_at"], unique=False)
    op.create_table(
        "sandbox_rich_menus",
        sa.Column("rich_menu_id", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("image_type", sa.String(length=40), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rich_menu_id", name=op.f("pk_sandbox_rich_menus")),
    )
    op.create_table(
        "sandbox_rich_menu_links",
        sa.Column("line_user_id", sa.String(length=64), nullable=False),
        sa.Column("rich_menu_id", sa.String(length=100), nullable=False),
        sa.Column("linked_at", models.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("line_user_id", name=op.f("pk_sandbox_rich_menu_links")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_rich_menu_links")
    op.drop_table("sandbox_rich_menus")
    op.drop_index(op.f("ix_rich_menu_links_next_try_at"), table_name="rich_menu_links")
    op.drop_table("rich_menu_links")
    op.drop_table("rich_menus")
