"""flows, tps, reminders, reports

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 05:56:33.782407
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flow_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('flow_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('file', sa.String(length=255), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('published_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_versions')),
    sa.UniqueConstraint('flow_id', 'version', name='uq_flow_versions_flow_id_version')
    )
    op.create_table('polling_stations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province_code', sa.String(length=16), nullable=False),
    sa.Column('province', sa.String(length=200), nullable=False),
    sa.Column('regency_code', sa.String(length=16), nullable=False),
    sa.Column('regency', sa.String(length=200), nullable=False),
    sa.Column('district_code', sa.String(length=16), nullable=False),
    sa.Column('district', sa.String(length=200), nullable=False),
    sa.Column('village_code', sa.String(length=16), nullable=False),
    sa.Column('village', sa.String(length=200), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('notes', sa.String(length=200), nullable=False),
    sa.Column('imported_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polling_stations')),
    sa.UniqueConstraint('village_code', 'number', name='uq_polling_stations_village_code_number')
    )
    with op.batch_alter_table('polling_stations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polling_stations_imported_at'), ['imported_at'], unique=False)

    op.create_table('reminder_subscriptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_reminder_subscriptions_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_subscriptions')),
    sa.UniqueConstraint('contact_id', 'topic', name='uq_reminder_subscriptions_contact_id_topic')
    )
    with op.batch_alter_table('reminder_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_subscriptions_contact_id'), ['contact_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('occurred', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_reports_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_contact_id'), ['contact_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_contact_id'))

    op.drop_table('reports')
    with op.batch_alter_table('reminder_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_subscriptions_contact_id'))

    op.drop_table('reminder_subscriptions')
    with op.batch_alter_table('polling_stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_polling_stations_imported_at'))

    op.drop_table('polling_stations')
    op.drop_table('flow_versions')
