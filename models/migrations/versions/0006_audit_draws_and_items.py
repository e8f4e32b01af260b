"""audit draws and items (RULES §6 step 2: the monthly 10 % audit)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:07:14.293086
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_draws',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district_code', sa.String(length=4), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('seed', sa.BigInteger(), nullable=False),
        sa.Column('drawn_at', models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('drawn_count', sa.Integer(), nullable=False),
        sa.Column('population_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['district_code'], ['districts.code'], name=op.f('fk_audit_draws_district_code_districts')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_draws')),
        sa.UniqueConstraint('district_code', 'month', name='uq_audit_draws_district_month'),
    )
    with op.batch_alter_table('audit_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_draws_month'), ['month'], unique=False)

    op.create_table(
        'audit_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draw_id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('finding', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('marked_at', models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column('marked_by', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ['complaint_id'], ['complaints.id'], name=op.f('fk_audit_items_complaint_id_complaints')
        ),
        sa.ForeignKeyConstraint(
            ['draw_id'], ['audit_draws.id'], name=op.f('fk_audit_items_draw_id_audit_draws')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_items')),
        sa.UniqueConstraint('draw_id', 'complaint_id', name='uq_audit_items_draw_complaint'),
    )
    with op.batch_alter_table('audit_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_items_complaint_id'), ['complaint_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_items_complaint_id'))
    op.drop_table('audit_items')
    with op.batch_alter_table('audit_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_draws_month'))
    op.drop_table('audit_draws')
