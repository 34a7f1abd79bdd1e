"""Handing a voter to staff and back: the loop's side of the agent inbox.

A conversation enters the inbox when the voter asks for a person (a ``Handover`` event) or
when the bot gives up (it could not answer :data:`GIVE_UP_AFTER` questions within
:data:`GIVE_UP_WINDOW`). While an agent holds it (assigned, not resolved) the bot answers
nothing for that voter — STOP and the privacy commands are handled before this check — and
resolving it in the console hands the voter back to the bot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.inbox_models import AgentReply, InboxConversation
from bot.storage.models import ChannelIdentity, Contact, Message, UnansweredQuestion

GIVE_UP_AFTER = 2
GIVE_UP_WINDOW = timedelta(hours=1)
MAX_POLLED = 50  # agent messages one poll returns at most


async def held(db: AsyncSession, contact_id: int) -> bool:
    """Whether an agent has this voter's conversation (the bot must stay quiet)."""
    found = await db.scalar(select(InboxConversation.id).where(
        InboxConversation.contact_id == contact_id, InboxConversation.state != "resolved",
        InboxConversation.assignee_id.is_not(None)))
    return found is not None


async def open_conversation(db: AsyncSession, contact: Contact, reason: str, detail: str, now: datetime) -> None:
    """Put the voter in the inbox (``reason``: ``asked_human`` or ``gave_up``), or reopen their
    resolved conversation unassigned; an unresolved one is left as it is."""
    conversation = await db.scalar(select(InboxConversation).where(InboxConversation.contact_id == contact.id))
    if conversation is None:
        db.add(InboxConversation(contact_id=contact.id, state="open", reason=reason, detail=detail[:200],
                                 assignee_id=None, opened_at=now, updated_at=now))
    elif conversation.state == "resolved":
        conversation.state, conversation.reason, conversation.detail = "open", reason, detail[:200]
        conversation.assignee_id, conversation.opened_at, conversation.updated_at = None, now, now


async def after_unanswered(db: AsyncSession, contact: Contact, now: datetime) -> None:
    """Called after a question the bot abstained on was queued: the bot gives up on repeated misses
    (counted since the voter's conversation was last resolved, if it was)."""
    conversation = await db.scalar(select(InboxConversation).where(InboxConversation.contact_id == contact.id))
    if conversation is not None and conversation.state != "resolved":
        return  # already waiting for staff
    since = now - GIVE_UP_WINDOW
    if conversation is not None:
        since = max(since, conversation.updated_at)
    await db.flush()
    misses = await db.scalar(select(func.count()).select_from(UnansweredQuestion).where(
        UnansweredQuestion.contact_id == contact.id, UnansweredQuestion.created_at >= since,
        or_(UnansweredQuestion.kind.is_(None), UnansweredQuestion.kind == "abstained")))
    if (misses or 0) >= GIVE_UP_AFTER:
        await open_conversation(db, contact, "gave_up", f"{misses} unanswered questions", now)


async def agent_messages(
    sessions: async_sessionmaker[AsyncSession], channel: str, external_id: str, after: int | None = None
) -> tuple[list[tuple[int, str]], bool]:
    """What staff sent the voter known as ``external_id`` on ``channel`` after message id
    ``after`` (id, text; nothing is read when ``None``), and whether their conversation is still
    in the inbox (so the web chat keeps asking)."""
    async with sessions() as db:
        contact_id = await db.scalar(select(ChannelIdentity.contact_id).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id))
        if contact_id is None:
            return [], False
        found: list[tuple[int, str]] = []
        if after is not None:
            rows = await db.execute(
                select(Message.id, Message.text).join(AgentReply, AgentReply.message_id == Message.id)
                .where(Message.contact_id == contact_id, Message.channel == channel, Message.id > after)
                .order_by(Message.id).limit(MAX_POLLED))
            found = [(int(i), str(text)) for i, text in rows.all()]
        live = await db.scalar(select(InboxConversation.id).where(
            InboxConversation.contact_id == contact_id, InboxConversation.state != "resolved"))
    return found, live is not None
