"""dialogs, category sections, complaint section and possible duplicate

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None



def upgrade() -> None:
    op.create_table('dialogs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('draft_no', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogs')),
    sa.UniqueConstraint('line_user_id', 'kind', name='uq_dialogs_user_kind')
    )
    with op.batch_alter_table('dialogs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogs_expires_at'), ['expires_at'], unique=False)

    op.create_table('category_sections',
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('section', sa.String(length=200), nullable=False),
    sa.Column('updated_at', models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('category', name=op.f('pk_category_sections'))
    )

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('section', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('possible_duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_complaints_possible_duplicate_of_id_complaints'),
            'complaints', ['possible_duplicate_of_id'], ['id'],
        )


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_complaints_possible_duplicate_of_id_complaints'), type_='foreignkey'
        )
        batch_op.drop_column('possible_duplicate_of_id')
        batch_op.drop_column('section')
    op.drop_table('category_sections')
    with op.batch_alter_table('dialogs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogs_expires_at'))
    op.drop_table('dialogs')
