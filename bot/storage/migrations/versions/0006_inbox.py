"""agent inbox: conversations handed to staff, agent replies, private notes, canned replies

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 13:10:00
"""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_WHEN = bot.storage.models.UTCDateTime(timezone=True)

#: A few ready answers so a new deployment's agents have something to start from (editable).
_CANNED = [
    ("Salam", "id", "Halo, saya petugas Suara. Terima kasih sudah menunggu. Ada yang bisa saya bantu?"),
    ("Cek DPT", "id", "Anda bisa memeriksa status terdaftar di https://cekdptonline.kpu.go.id dengan NIK Anda. "
                      "Mohon jangan kirim NIK Anda di sini."),
    ("Penutup", "id", "Terima kasih. Jika ada pertanyaan lain, silakan tulis kapan saja; bot Suara akan membantu."),
    ("Greeting", "en", "Hello, I am a Suara staff member. Thank you for waiting. How can I help?"),
    ("Closing", "en", "Thank you. If you have another question, write any time; the Suara bot will help."),
]


def upgrade() -> None:
    op.create_table('inbox_conversations',
    sa.Column('id', _ID, nullable=False),
    sa.Column('contact_id', _ID, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('assignee_id', _ID, nullable=True),
    sa.Column('opened_at', _WHEN, nullable=False),
    sa.Column('updated_at', _WHEN, nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_accounts.id'],
                            name=op.f('fk_inbox_conversations_assignee_id_staff_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_inbox_conversations_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_conversations')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_inbox_conversations_contact_id'))
    )
    op.create_index('ix_inbox_conversations_state_updated_at', 'inbox_conversations', ['state', 'updated_at'],
                    unique=False)
    op.create_table('inbox_agent_replies',
    sa.Column('message_id', _ID, nullable=False),
    sa.Column('contact_id', _ID, nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('via_template', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_inbox_agent_replies_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                            name=op.f('fk_inbox_agent_replies_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_inbox_agent_replies'))
    )
    op.create_index(op.f('ix_inbox_agent_replies_contact_id'), 'inbox_agent_replies', ['contact_id'], unique=False)
    op.create_table('inbox_notes',
    sa.Column('id', _ID, nullable=False),
    sa.Column('conversation_id', _ID, nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', _WHEN, nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['inbox_conversations.id'],
                            name=op.f('fk_inbox_notes_conversation_id_inbox_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_notes'))
    )
    op.create_index(op.f('ix_inbox_notes_conversation_id'), 'inbox_notes', ['conversation_id'], unique=False)
    canned = op.create_table('canned_replies',
    sa.Column('id', _ID, nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', _WHEN, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies'))
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(canned, [{"title": title, "language": language, "text": text, "created_at": now}
                            for title, language, text in _CANNED])


def downgrade() -> None:
    op.drop_table('canned_replies')
    op.drop_index(op.f('ix_inbox_notes_conversation_id'), table_name='inbox_notes')
    op.drop_table('inbox_notes')
    op.drop_index(op.f('ix_inbox_agent_replies_contact_id'), table_name='inbox_agent_replies')
    op.drop_table('inbox_agent_replies')
    op.drop_index('ix_inbox_conversations_state_updated_at', table_name='inbox_conversations')
    op.drop_table('inbox_conversations')
