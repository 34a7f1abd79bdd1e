"""Contacts for the console: a search by the segment language, one voter's page (fields,
signals with the message behind each, consent history, reminders, recent messages) and the
staff-run erasure.

The segment query is compiled by :mod:`bot.broadcasts.segment_sql` (the same voters a campaign
would pick); the erasure is :func:`bot.conversation.privacy.erase`, the code behind HAPUS DATA.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.segments import Query, parse

from bot.broadcasts.segment_sql import channel_of, compile_query
from bot.broadcasts.segments import saved_query
from bot.console.accounts import StaffUser
from bot.console.audit import record
from bot.conversation.privacy import erase
from bot.storage.campaign_models import Reminder
from bot.storage.models import ChannelIdentity, ConsentRecord, Contact, Message, SegmentSignal

PAGE_SIZE = 25
RECENT_MESSAGES = 30
MAX_ROWS = 200  # consent records, reminders and signals shown on one voter's page
#: The channel written on the consent withdrawal an erasure appends when staff run it.
CONSOLE_CHANNEL = "console"


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One line of the search results."""

    contact: Contact
    channel: str


@dataclass(frozen=True, slots=True)
class SignalRow:
    """A recorded signal and the (already redacted) message that set it, if it is still kept."""

    signal: SegmentSignal
    message: str | None


@dataclass(frozen=True, slots=True)
class ContactView:
    contact: Contact
    channel: str
    identities: list[ChannelIdentity]
    signals: list[SignalRow]
    consent: list[ConsentRecord]
    reminders: list[Reminder]
    messages: list[Message]
    message_count: int


async def query_for(db: AsyncSession, text: str) -> Query | None:
    """The parsed query (``@name`` is a saved segment); ``None`` for an empty search. Raises
    :class:`~flows.segments.SegmentQueryError` or :class:`~bot.broadcasts.segments.SegmentError`."""
    text = text.strip()
    if not text:
        return None
    return await saved_query(db, text[1:].strip()) if text.startswith("@") else parse(text)


async def search(db: AsyncSession, query: Query | None, now: datetime, page: int) -> tuple[list[ContactRow], int]:
    """One page of the contacts in the segment (everyone without a query), most recently seen
    first; and how many there are in all."""
    condition = compile_query(query, now) if query is not None else None
    counted = select(func.count()).select_from(Contact)
    listed = select(Contact, channel_of().label("channel"))
    if condition is not None:
        counted, listed = counted.where(condition), listed.where(condition)
    total = int(await db.scalar(counted) or 0)
    rows = await db.execute(listed.order_by(Contact.last_seen_at.desc(), Contact.id.desc())
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return [ContactRow(contact, channel) for contact, channel in rows], total


def pages_of(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


async def contact_exists(db: AsyncSession, contact_id: int) -> bool:
    return await db.scalar(select(Contact.id).where(Contact.id == contact_id)) is not None


async def view(db: AsyncSession, contact_id: int) -> ContactView | None:
    """Everything the contact page shows, or ``None`` when there is no such contact."""
    found = (await db.execute(select(Contact, channel_of().label("channel")).where(Contact.id == contact_id))).first()
    if found is None:
        return None
    contact, channel = found
    identities = await db.scalars(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact_id)
                                  .order_by(ChannelIdentity.id))
    signals = await db.execute(
        select(SegmentSignal, Message.text).outerjoin(Message, Message.id == SegmentSignal.evidence_message_id)
        .where(SegmentSignal.contact_id == contact_id).order_by(SegmentSignal.id).limit(MAX_ROWS))
    consent = await db.scalars(select(ConsentRecord).where(ConsentRecord.contact_id == contact_id)
                               .order_by(ConsentRecord.id).limit(MAX_ROWS))
    reminders = await db.scalars(select(Reminder).where(Reminder.contact_id == contact_id)
                                 .order_by(Reminder.due_at.desc(), Reminder.id.desc()).limit(MAX_ROWS))
    messages = await db.scalars(select(Message).where(Message.contact_id == contact_id)
                                .order_by(Message.id.desc()).limit(RECENT_MESSAGES))
    count = await db.scalar(select(func.count()).select_from(Message).where(Message.contact_id == contact_id))
    return ContactView(contact, channel, list(identities), [SignalRow(s, text) for s, text in signals],
                       list(consent), list(reminders), list(reversed(list(messages))), int(count or 0))


async def erase_contact(db: AsyncSession, user: StaffUser, contact_id: int, timezone: str, now: datetime) -> bool:
    """Run the voter's erasure (as HAPUS DATA does) on a staff member's request, and note who ran
    it; ``False`` when there is no such contact. The caller commits."""
    contact = await db.get(Contact, contact_id)
    if contact is None:
        return False
    messages = await db.scalar(select(func.count()).select_from(Message).where(Message.contact_id == contact_id))
    await erase(db, contact, channel=CONSOLE_CHANNEL, timezone=timezone, now=now)
    record(db, user, "contact_erased", f"contact:{contact_id}", now, messages=int(messages or 0))
    return True
