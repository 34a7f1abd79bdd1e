"""Reading and writing one conversation turn inside a single database transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows import Button, SetSignal
from nlu import redact

from bot.storage.campaign_models import Reminder
from bot.storage.models import (
    AuditEntry,
    ChannelIdentity,
    ConsentRecord,
    Contact,
    ConversationSession,
    InboundReceipt,
    Message,
    OutboxMessage,
    ReminderSubscription,
    Report,
    SegmentSignal,
    UnansweredQuestion,
)

CONSENT_SCOPE = "profiling_and_reminders"


async def already_received(db: AsyncSession, channel: str, message_id: str) -> bool:
    return await db.get(InboundReceipt, (channel, message_id)) is not None


def add_receipt(db: AsyncSession, channel: str, message_id: str, now: datetime) -> None:
    """Claim the message id; a concurrent duplicate fails on the primary key at commit."""
    db.add(InboundReceipt(channel=channel, channel_message_id=message_id, received_at=now))


async def replies_to(db: AsyncSession, channel: str, message_id: str) -> list[Message]:
    """The replies stored for inbound ``message_id`` (a retried or redelivered message), in order.

    None when the message is unknown or the voter has written since: an old answer then would
    only confuse.
    """
    inbound = await db.scalar(select(Message).where(
        Message.channel == channel, Message.channel_message_id == message_id, Message.direction == "in"))
    if inbound is None:
        return []
    replies = []
    for message in await db.scalars(select(Message).where(
            Message.contact_id == inbound.contact_id, Message.id > inbound.id).order_by(Message.id)):
        if message.direction == "in":
            return []
        if message.channel == channel:
            replies.append(message)
    return replies


async def contact_for(
    db: AsyncSession, channel: str, external_id: str, *, language: str, timezone: str, now: datetime
) -> Contact:
    """Load the contact known as ``external_id`` on ``channel``, creating it on first contact."""
    contact = await db.scalar(
        select(Contact)
        .join(ChannelIdentity, ChannelIdentity.contact_id == Contact.id)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )
    if contact is None:
        contact = Contact(language=language, timezone=timezone, opted_out=False, needs_human=False,
                          created_at=now, last_seen_at=now)
        db.add(contact)
        await db.flush()
        db.add(ChannelIdentity(contact_id=contact.id, channel=channel, external_id=external_id, created_at=now))
    contact.last_seen_at = now
    return contact


async def load_session(db: AsyncSession, contact_id: int, now: datetime) -> dict[str, object]:
    row = await db.get(ConversationSession, contact_id)
    return dict(row.state) if row is not None else {}


async def save_session(
    db: AsyncSession, contact_id: int, state: dict[str, object], now: datetime, timeout: timedelta
) -> None:
    row = await db.get(ConversationSession, contact_id)
    if row is None:
        db.add(ConversationSession(contact_id=contact_id, state=state, updated_at=now, expires_at=now + timeout))
    else:
        row.state, row.updated_at, row.expires_at = state, now, now + timeout


async def add_message(
    db: AsyncSession,
    contact: Contact,
    *,
    direction: str,
    channel: str,
    text: str,
    now: datetime,
    channel_message_id: str | None = None,
    payload: str | None = None,
    buttons: tuple[Button, ...] = (),
    intent: str | None = None,
    answer_id: str | None = None,
    kind: str | None = None,
    received_at: datetime | None = None,
) -> Message:
    """Store a message; ``text`` must already be redacted; ``kind`` is what a bot reply was."""
    message = Message(
        contact_id=contact.id,
        direction=direction,
        channel=channel,
        channel_message_id=channel_message_id,
        text=text,
        payload=payload,
        buttons=[asdict(b) for b in buttons] or None,
        intent=intent,
        answer_id=answer_id,
        kind=kind,
        received_at=received_at,
        created_at=now,
    )
    db.add(message)
    await db.flush()
    return message


def record_consent(db: AsyncSession, contact: Contact, action: str, version: str, channel: str, now: datetime) -> None:
    """Append a consent record and update the contact's current consent."""
    db.add(ConsentRecord(contact_id=contact.id, action=action, scope=CONSENT_SCOPE, text_version=version,
                         channel=channel, recorded_at=now))
    contact.consent = {"granted": True, "refused": False}.get(action)
    audit(db, f"contact:{contact.id}", f"consent_{action}", f"contact:{contact.id}", {"version": version}, now)


async def add_signal(
    db: AsyncSession, contact: Contact, signal: SetSignal, evidence_message_id: int, now: datetime
) -> None:
    """Store a signal, unless the contact already has one with the same name and value."""
    known = await db.scalar(select(SegmentSignal.id).where(
        SegmentSignal.contact_id == contact.id, SegmentSignal.name == signal.name, SegmentSignal.value == signal.value
    ).limit(1))
    if known is not None:
        return
    db.add(SegmentSignal(contact_id=contact.id, name=signal.name, value=signal.value[:256],
                         confidence=signal.confidence, evidence=signal.evidence,
                         evidence_message_id=evidence_message_id, source=signal.source[:128], created_at=now))


def add_unanswered(db: AsyncSession, contact: Contact, message_id: int, question: str,
                   candidates: list[dict[str, object]], kind: str, now: datetime) -> None:
    db.add(UnansweredQuestion(contact_id=contact.id, message_id=message_id, question=question,
                              candidates=candidates, kind=kind, status="open", created_at=now))


def audit(db: AsyncSession, actor: str, action: str, subject: str, detail: dict[str, object], now: datetime) -> None:
    db.add(AuditEntry(actor=actor, action=action, subject=subject, detail=detail, created_at=now))


async def subscribe(db: AsyncSession, contact: Contact, topic: str, now: datetime) -> None:
    """Subscribe ``contact`` to ``topic`` once; callers check consent first."""
    existing = await db.scalar(
        select(ReminderSubscription).where(ReminderSubscription.contact_id == contact.id,
                                           ReminderSubscription.topic == topic)
    )
    if existing is None:
        db.add(ReminderSubscription(contact_id=contact.id, topic=topic, created_at=now))


async def unsubscribe(db: AsyncSession, contact: Contact, topic: str) -> None:
    """Remove the subscription to ``topic`` (``all``: every subscription)."""
    query = delete(ReminderSubscription).where(ReminderSubscription.contact_id == contact.id)
    if topic != "all":
        query = query.where(ReminderSubscription.topic == topic)
    await db.execute(query)


def add_report(db: AsyncSession, contact: Contact, params: dict[str, str], now: datetime) -> None:
    """Store a voter's report; the texts are redacted (no NIK or phone numbers kept)."""
    db.add(Report(contact_id=contact.id, kind=params.get("kind", "other")[:64], what=redact(params.get("what", "")),
                  place=redact(params.get("where", "")), occurred=redact(params.get("when", "")),
                  status="open", created_at=now))


#: Reminders that have not gone out yet (``sending``: claimed by a dispatcher, maybe queued).
UNSENT_REMINDERS = ("planned", "sending")


async def cancel_deliveries(db: AsyncSession, contact: Contact, now: datetime) -> None:
    """STOP: fail the voter's queued sends and skip their unsent reminders, in the caller's transaction.

    The transaction that records the opt-out is the one that cancels, so nothing queued before the
    STOP can go out after it was accepted; the sender checks again just before each send.
    """
    await db.execute(update(OutboxMessage)
                     .where(OutboxMessage.contact_id == contact.id, OutboxMessage.status == "pending")
                     .values(status="failed", error="opted_out: the voter sent STOP before this was sent",
                             updated_at=now))
    await db.execute(update(Reminder)
                     .where(Reminder.contact_id == contact.id, Reminder.status.in_(UNSENT_REMINDERS))
                     .values(status="skipped", reason="opted_out", claimed_by=None, claimed_until=None,
                             updated_at=now))
