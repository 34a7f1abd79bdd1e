"""Bulk sends through the one :class:`~bot.delivery.sender.Sender`, for the reminder dispatcher.

Three things the dispatcher needs beyond ``send_replies``/``send_bodies``: a channel's bodies for
a text without recording them, recording sends to many chats under keys it chooses in one
transaction, and scheduling again the rows a dead dispatcher left ``pending``. They sit here,
beside the sender, because ``sender.py`` is at the size limit; they use its internals, which
belong to this room.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from bot.conversation.messages import OutboundMessage
from bot.delivery.sender import BULK, Sender
from bot.storage.models import OutboxMessage

#: One send: the chat, the outbox idempotency key, the request body.
Item = tuple[str, str, dict[str, Any]]


def render_text(sender: Sender, channel: str, external_id: str, text: str) -> list[dict[str, Any]]:
    """The request bodies ``channel`` sends for a plain ``text`` (more than one when split)."""
    return sender._channel(channel).transport.render(OutboundMessage(channel, external_id, text))


async def send_many(sender: Sender, channel: str, items: Sequence[Item], priority: int = BULK) -> list[int]:
    """Record ``items`` in the outbox in one transaction and schedule them; keys already there are skipped.

    Raises :class:`~bot.delivery.sender.TemplateRequired` (nothing recorded) when a free-form body
    goes to a voter outside the channel's service window.
    """
    return await sender._record(channel, [(external_id, key, body, None) for external_id, key, body in items], priority)


async def resume(sender: Sender, keys: Sequence[str]) -> int:
    """Schedule the outbox rows with ``keys`` that are still ``pending``; return how many."""
    if not keys:
        return 0
    async with sender._sessions() as db:
        rows = (await db.scalars(select(OutboxMessage).where(
            OutboxMessage.idempotency_key.in_(list(keys)), OutboxMessage.status == "pending",
        ).order_by(OutboxMessage.id))).all()
    for row in rows:
        if sender.handles(row.channel):
            sender._schedule(row)
    return len(rows)
