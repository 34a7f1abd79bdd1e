"""Tables of the agent inbox (issue 14, item 5): conversations handed to staff, the replies
agents sent, private notes, and canned replies.

A contact has at most one inbox conversation; it opens when the voter asks for a person or the
bot gives up, and a later request reopens it. An agent *holds* it while it is assigned and not
resolved: the bot stays quiet for that voter until it is resolved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage import staff_models  # noqa: F401  (staff_accounts, which assignee_id refers to)
from bot.storage.models import Base, Id, UTCDateTime

STATES = ("open", "pending", "resolved")


class InboxConversation(Base):
    """A voter's conversation in the staff inbox: its state, why it is there, who has it."""

    __tablename__ = "inbox_conversations"
    __table_args__ = (Index("ix_inbox_conversations_state_updated_at", "state", "updated_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16))  # open | pending | resolved
    reason: Mapped[str] = mapped_column(String(32))  # asked_human | gave_up
    detail: Mapped[str] = mapped_column(String(200))  # the flow's reason, never voter text
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgentReply(Base):
    """Marks a stored outbound message as written by a staff member (not by the bot)."""

    __tablename__ = "inbox_agent_replies"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(254))  # the staff member's email
    via_template: Mapped[str | None] = mapped_column(String(128))  # a WhatsApp template, outside the window


class InboxNote(Base):
    """A private note between staff about a conversation: shown in the console, never sent."""

    __tablename__ = "inbox_notes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    author: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CannedReply(Base):
    """A ready answer agents pick from when replying (editable in the console)."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))  # id | en
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
