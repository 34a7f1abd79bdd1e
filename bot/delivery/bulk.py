"""Bulk sends through the one :class:`~bot.delivery.sender.Sender`, for the reminder dispatcher.

What the dispatcher needs beyond ``send_replies``/``send_bodies``: a channel's bodies for a text
without recording them, recording sends to many chats under keys it chooses in one transaction,
scheduling again the rows a dead dispatcher left ``pending``, and — for platforms without an
idempotency key (Telegram) — sending one message at a time (:class:`OneAtATime`). They sit here,
beside the sender, because ``sender.py`` is at the size limit; they use its internals, which
belong to this room.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.conversation.messages import OutboundMessage
from bot.delivery.sender import BULK, Sender
from bot.storage.models import OutboxMessage

log = logging.getLogger("suara.bulk")

#: One send: the chat, the outbox idempotency key, the request body.
Item = tuple[str, str, dict[str, Any]]

#: Platforms whose send API takes no idempotency key: a send whose answer was lost cannot be
#: recognised later, so these go one at a time (:class:`OneAtATime`).
UNKEYED = frozenset({"telegram"})


class OneAtATime:
    """Sends a channel's outbox rows one at a time: the next goes only once the last is recorded.

    The sender records a send's outcome in the outbox right after the platform answers. Handing
    it one row at a time and waiting for that row's worker means at most one message is ever
    between "the platform accepted it" and "the outbox says so": a dispatcher killed at any
    instant leaves at most one send that a successor, finding the row still ``pending``, repeats.
    That is the bound on Telegram duplicates (one per crash); the cost is that the channel's
    rate is capped by one round trip to the platform plus one outbox update.

    ``may_send`` is asked before every send (the dispatcher's "do I still hold the lease"); when
    it says no, the queue is dropped — the rows stay ``pending`` for the next lease holder — and
    their keys are put in :attr:`dropped` for the dispatcher to hand its reminders back.
    """

    def __init__(self, sender: Sender, channel: str, may_send: Callable[[], bool]) -> None:
        self._sender, self.channel, self._may_send = sender, channel, may_send
        self._queue: deque[OutboxMessage] = deque()
        self._task: asyncio.Task[None] | None = None
        self.dropped: list[str] = []  # outbox keys of the rows dropped unsent

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, rows: Sequence[OutboxMessage]) -> None:
        """Queue ``pending`` outbox rows; they go in order, one at a time."""
        self._queue.extend(row for row in rows if row.status == "pending")
        if self._queue and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._queue:
            if not self._may_send():
                log.warning("serial_send_dropped", extra={"channel": self.channel, "queued": len(self._queue)})
                self.dropped += [row.idempotency_key for row in self._queue]
                self._queue.clear()
                return
            row = self._queue.popleft()
            self._sender._schedule(row)
            worker = self._sender._channel(row.channel).path(row.external_id).worker
            if worker is not None:
                # shield: stopping this feed never cuts a send off between the answer and the record.
                await asyncio.gather(asyncio.shield(worker), return_exceptions=True)

    async def close(self, timeout: float) -> None:
        """Send nothing more; wait (up to ``timeout``) for the send under way to be recorded."""
        self._queue.clear()
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                self._task.cancel()


def render_text(sender: Sender, channel: str, external_id: str, text: str) -> list[dict[str, Any]]:
    """The request bodies ``channel`` sends for a plain ``text`` (more than one when split)."""
    return sender._channel(channel).transport.render(OutboundMessage(channel, external_id, text))


async def send_many(sender: Sender, channel: str, items: Sequence[Item], priority: int = BULK, *,
                    feed: OneAtATime | None = None) -> int:
    """Record ``items`` in the outbox in one transaction and schedule them (through ``feed``, one
    at a time, when given); keys already there are skipped. Returns how many rows were recorded.

    Raises :class:`~bot.delivery.sender.TemplateRequired` (nothing recorded) when a free-form body
    goes to a voter outside the channel's service window.
    """
    if not items:
        return 0
    bodies = [(external_id, key, body, None) for external_id, key, body in items]
    try:
        async with sender._sessions() as db, db.begin():
            rows = await sender._insert(db, sender._channel(channel), bodies, priority, sender._clock(), "reminder")
    except IntegrityError:
        return 0  # a concurrent worker recorded the same keys first; it sends them
    _schedule(sender, rows, feed)
    return len(rows)


async def resume(sender: Sender, keys: Sequence[str], *, feed: OneAtATime | None = None) -> int:
    """Schedule the outbox rows with ``keys`` that are still ``pending`` (through ``feed`` when
    given); return how many."""
    if not keys:
        return 0
    async with sender._sessions() as db:
        rows = (await db.scalars(select(OutboxMessage).where(
            OutboxMessage.idempotency_key.in_(list(keys)), OutboxMessage.status == "pending",
        ).order_by(OutboxMessage.id))).all()
    _schedule(sender, [row for row in rows if sender.handles(row.channel)], feed)
    return len(rows)


def _schedule(sender: Sender, rows: Sequence[OutboxMessage], feed: OneAtATime | None) -> None:
    if feed is not None:
        feed.add(rows)
        return
    for row in rows:
        if row.status == "pending":
            sender._schedule(row)
