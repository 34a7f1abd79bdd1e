"""What the inbox pages read: the list of conversations, one conversation with its history,
the voter's signals and their evidence, notes, canned replies and who may be assigned.

Every text here is as stored: voter messages are already redacted by the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.access import ADMIN, AGENT
from bot.storage.inbox_models import STATES, AgentReply, CannedReply, InboxConversation, InboxNote
from bot.storage.models import ChannelIdentity, Contact, Message, SegmentSignal
from bot.storage.staff_models import StaffAccount

PAGE_SIZE = 50
HISTORY = 200  # the newest messages a conversation page shows


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the inbox list."""

    conversation: InboxConversation
    contact: Contact
    assignee: str | None
    last: Message | None  # the voter's last message


@dataclass(frozen=True, slots=True)
class Line:
    """One message of a conversation's history, with who wrote it."""

    message: Message
    author: str | None  # a staff member's email for agent replies, else None (voter or bot)
    template: str | None = None

    def as_json(self) -> dict[str, object]:
        message = self.message
        who = "voter" if message.direction == "in" else "agent" if self.author else "bot"
        return {"id": message.id, "who": who, "author": self.author or "", "text": message.text,
                "at": message.created_at.strftime("%Y-%m-%d %H:%M")}


@dataclass(frozen=True, slots=True)
class Evidence:
    """A segment signal and the message that set it."""

    signal: SegmentSignal
    message: Message | None


def number(raw: str) -> int | None:
    """A positive id or page number as written in a path or query, else ``None``."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def parse_state(raw: str | None) -> str:
    return raw if raw in STATES else "open"


async def conversation_page(
    db: AsyncSession, state: str, assignee_id: int | None, page: int
) -> tuple[list[Row], int]:
    """A page of conversations in ``state`` (of ``assignee_id`` when given), the one whose voter
    wrote last first, each with that voter's last message; and the number of pages."""
    last_id = (select(func.max(Message.id))
               .where(Message.contact_id == InboxConversation.contact_id, Message.direction == "in")
               .correlate(InboxConversation).scalar_subquery())
    query = (select(InboxConversation, Contact, StaffAccount.email, last_id.label("last_id"))
             .join(Contact, Contact.id == InboxConversation.contact_id)
             .outerjoin(StaffAccount, StaffAccount.id == InboxConversation.assignee_id)
             .where(InboxConversation.state == state))
    if assignee_id is not None:
        query = query.where(InboxConversation.assignee_id == assignee_id)
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = (await db.execute(query.order_by(last_id.desc().nulls_last(), InboxConversation.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).all()
    ids = [row.last_id for row in found if row.last_id is not None]
    last = {m.id: m for m in await db.scalars(select(Message).where(Message.id.in_(ids)))} if ids else {}
    rows = [Row(row[0], row[1], row[2], last.get(row.last_id)) for row in found]
    return rows, max(1, -(-total // PAGE_SIZE))


async def find(db: AsyncSession, raw_id: str) -> tuple[InboxConversation, Contact] | None:
    """The conversation with id ``raw_id`` (as written in the path) and its contact."""
    wanted = number(raw_id)
    if wanted is None:
        return None
    found = (await db.execute(select(InboxConversation, Contact).join(Contact, Contact.id == InboxConversation.contact_id)
                              .where(InboxConversation.id == wanted))).first()
    return (found[0], found[1]) if found else None


async def history(db: AsyncSession, contact_id: int, after: int = 0) -> list[Line]:
    """The contact's messages after id ``after`` (the newest :data:`HISTORY`), oldest first."""
    found = (await db.execute(
        select(Message, AgentReply.author, AgentReply.via_template)
        .outerjoin(AgentReply, AgentReply.message_id == Message.id)
        .where(Message.contact_id == contact_id, Message.id > after)
        .order_by(Message.id.desc()).limit(HISTORY))).all()
    return [Line(message, author, template) for message, author, template in reversed(found)]


async def evidence(db: AsyncSession, contact_id: int) -> list[Evidence]:
    """The voter's segment signals, each with the message that set it (when still kept)."""
    found = (await db.execute(
        select(SegmentSignal, Message).outerjoin(Message, Message.id == SegmentSignal.evidence_message_id)
        .where(SegmentSignal.contact_id == contact_id).order_by(SegmentSignal.id))).all()
    return [Evidence(signal, message) for signal, message in found]


async def notes(db: AsyncSession, conversation_id: int) -> list[InboxNote]:
    return list(await db.scalars(select(InboxNote).where(InboxNote.conversation_id == conversation_id)
                                 .order_by(InboxNote.id)))


async def canned_replies(db: AsyncSession) -> list[CannedReply]:
    return list(await db.scalars(select(CannedReply).order_by(CannedReply.language, CannedReply.title)))


async def agents(db: AsyncSession) -> list[StaffAccount]:
    """The accounts a conversation may be assigned to (those who may open the inbox)."""
    return list(await db.scalars(select(StaffAccount).where(StaffAccount.role.in_([ADMIN, AGENT]))
                                 .order_by(StaffAccount.email)))


async def reply_channel(db: AsyncSession, contact_id: int) -> tuple[str, ChannelIdentity | None, datetime | None]:
    """The channel the voter last wrote on, how they are known there, and when they last wrote
    on it (the start of WhatsApp's 24-hour window)."""
    channel = await db.scalar(select(Message.channel).where(Message.contact_id == contact_id, Message.direction == "in")
                              .order_by(Message.id.desc()).limit(1))
    if channel is None:
        identity = await db.scalar(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact_id)
                                   .order_by(ChannelIdentity.id.desc()).limit(1))
        return (identity.channel if identity else ""), identity, None
    identity = await db.scalar(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact_id,
                                                             ChannelIdentity.channel == channel))
    last_in = await db.scalar(select(func.max(Message.created_at)).where(
        Message.contact_id == contact_id, Message.channel == channel, Message.direction == "in"))
    return channel, identity, last_in


async def emails(db: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict((await db.execute(select(StaffAccount.id, StaffAccount.email)
                                  .where(StaffAccount.id.in_(wanted)))).all())
