"""reply kinds: what each bot reply was (messages.kind) and whether a queued question was
abstained on or clarified (unanswered_questions.kind); older rows keep NULL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('kind')
