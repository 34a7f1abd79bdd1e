"""outbox: what a row is (reply | reminder) and when it stops being worth sending

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-07 12:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), server_default='reply', nullable=False))
        batch.add_column(sa.Column('expires_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True))
    # Reminder sends still pending at the upgrade stay with the dispatchers (outbox key = reminder key:part).
    # Rows recorded before the upgrade have no expiry (NULL): they are sent whenever they can be.
    op.execute("UPDATE outbox SET kind = 'reminder' WHERE status = 'pending' AND EXISTS "
               "(SELECT 1 FROM reminders WHERE outbox.idempotency_key LIKE reminders.idempotency_key || ':%')")


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('kind')
