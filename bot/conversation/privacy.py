"""A voter's rights over their data (UU 27/2022): see it with /datasaya, erase it with HAPUS DATA.

``HAPUS DATA`` asks for a confirmation first (a button, or "YA" typed as the next message within
:data:`flows.privacy.CONFIRM_WINDOW`). The pending question is not kept anywhere: it is the last
message we sent, recognised by its confirmation button, so nothing outlives the erasure. Erasing
removes the voter's messages, signals, unanswered questions, conversation session, inbox
conversation (with staff notes), outbox rows (the reply texts), reminders, subscriptions, reports and any
webhook event still stored for their identities, and resets what the profile learnt (region, time zone, deep-link
source, consent); the consent records stay as the proof the law asks for, with a withdrawal
appended, and the audit log notes the erasure with counts only, never content. The words the
voter reads are in :mod:`flows.privacy`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.privacy import CONFIRM_WINDOW, PAYLOAD_ERASE_YES, DataSummary

from bot.storage import turns as store
from bot.storage.campaign_models import Reminder
from bot.storage.inbox_models import InboxConversation
from bot.storage.models import (
    ChannelIdentity,
    Contact,
    ConversationSession,
    Message,
    OutboxMessage,
    ReminderSubscription,
    Report,
    SegmentSignal,
    UnansweredQuestion,
    WebhookEvent,
)


async def erasure_pending(db: AsyncSession, contact: Contact, now: datetime) -> bool | None:
    """``True`` if our last message asked to confirm an erasure within the window, ``False`` if it
    asked but the window has passed, ``None`` if it did not ask."""
    last = await db.scalar(
        select(Message).where(Message.contact_id == contact.id, Message.direction == "out")
        .order_by(Message.id.desc()).limit(1)
    )
    if last is None or not any(b.get("payload") == PAYLOAD_ERASE_YES for b in last.buttons or ()):
        return None
    return now - last.created_at <= CONFIRM_WINDOW


async def data_summary(db: AsyncSession, contact: Contact) -> DataSummary:
    """What /datasaya reports about ``contact``, read in the caller's transaction."""
    signals = (await db.execute(
        select(SegmentSignal.name, SegmentSignal.value).where(SegmentSignal.contact_id == contact.id)
        .order_by(SegmentSignal.id)
    )).all()
    messages = await db.scalar(select(func.count()).select_from(Message).where(Message.contact_id == contact.id))
    topics = await db.scalars(select(ReminderSubscription.topic).where(ReminderSubscription.contact_id == contact.id)
                              .order_by(ReminderSubscription.id))
    return DataSummary(
        language=contact.language, region=contact.region, timezone=contact.timezone, consent=contact.consent,
        opted_out=contact.opted_out, signals=tuple((name, value) for name, value in signals), messages=messages or 0,
        subscriptions=tuple(topics),
    )


async def erase(db: AsyncSession, contact: Contact, *, channel: str, timezone: str, now: datetime,
                voter_asked: bool = False) -> None:
    """Erase what we keep about ``contact`` (see the module notes), in the caller's transaction.

    ``voter_asked``: the voter's own message asked for it, so a content-free trace of that message
    is kept: the platform's service window (WhatsApp's 24 hours) stays open for the confirmation."""
    counts = {}
    identities = (await db.execute(select(ChannelIdentity.channel, ChannelIdentity.external_id)
                                   .where(ChannelIdentity.contact_id == contact.id))).all()
    events = 0
    for identity_channel, external_id in identities:
        result = await db.execute(delete(WebhookEvent).where(WebhookEvent.channel == identity_channel,
                                                             WebhookEvent.key == external_id[:128]))
        events += result.rowcount or 0
    counts["webhook_events"] = events
    for name, model in (("signals", SegmentSignal), ("unanswered", UnansweredQuestion), ("messages", Message),
                        ("sessions", ConversationSession), ("inbox", InboxConversation), ("outbox", OutboxMessage),
                        ("reminders", Reminder), ("subscriptions", ReminderSubscription), ("reports", Report)):
        result = await db.execute(delete(model).where(model.contact_id == contact.id))
        counts[name] = result.rowcount or 0
    if voter_asked:
        db.add(Message(contact_id=contact.id, direction="in", channel=channel, text="", created_at=now))
    if contact.consent:
        store.record_consent(db, contact, "withdrawn", "erasure", channel, now)
    contact.consent = None
    contact.region = None
    contact.source = None
    contact.timezone = timezone
    contact.needs_human = False
    actor = f"contact:{contact.id}"
    store.audit(db, actor, "data_erased", actor, counts, now)
