"""calendar overrides

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('holiday', 'working')", name=op.f('ck_calendar_overrides_kind')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_overrides'))
    )


def downgrade() -> None:
    op.drop_table('calendar_overrides')
