"""The one outbound sender: every message to a messaging platform goes through here.

A send is written to the ``outbox`` table (with an idempotency key and an expiry) before it is
attempted and marked ``sent`` or ``failed`` after, so a crash in between is resumed by
:meth:`Sender.start`. Each channel credential has an overall token bucket shared by priority
(replies to a waiting voter before bulk sends) and a bucket per chat ("path"); messages to one
chat go out in order, one at a time. A platform's ``retry_after`` pauses only the bucket it is
about; 5xx answers, refused connections and time-outs are retried with exponential backoff and
jitter for as long as the message is worth sending: past its ``expires_at`` it is dropped with
the reason ``expired``, never sent late. Just before every send :class:`~bot.delivery.gate.SendGate`
checks the row is still pending and the voter has not opted out. What a crash may still double,
per channel, is in docs/delivery.md.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import ChannelIdentity, Message, OutboxMessage
from bot.conversation.messages import OutboundMessage
from bot.delivery.errors import (
    Limits, Rejected, RetryLater, SendError, TemplateRequired, Transient, Transport, Unreachable,
)
from bot.delivery.gate import SendGate
from bot.delivery.outcomes import OutcomeLog
from bot.delivery.ratelimit import PriorityLimiter, TokenBucket

log = logging.getLogger("suara.sender")

REPLY = 0  # a voter is waiting for this
BULK = 10  # reminders and broadcasts


__all__ = ["BULK", "REPLY", "Limits", "Rejected", "RetryLater", "SendError", "Sender", "TemplateRequired",
           "Transient", "Transport", "Unreachable"]

#: Called with (channel, reason) for every send dropped unsent: ``expired``, ``opted_out``, ``no_consent``.
OnDrop = Callable[[str, str], None]


@dataclass(order=True)
class _Item:
    priority: int
    order: int
    row_id: int = field(compare=False)
    key: str = field(compare=False)
    body: dict[str, Any] = field(compare=False)
    attempts: int = field(compare=False, default=0)
    expires_at: datetime | None = field(compare=False, default=None)


@dataclass
class _Path:
    bucket: TokenBucket
    queue: list[_Item] = field(default_factory=list)
    worker: asyncio.Task[None] | None = None


class _Channel:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        limits = transport.limits
        self.limiter = PriorityLimiter(TokenBucket(limits.rate, limits.burst))
        self.paths: dict[str, _Path] = {}
        self._sweep_at = 1000

    def path(self, external_id: str) -> _Path:
        path = self.paths.get(external_id)
        if path is None:
            if len(self.paths) > self._sweep_at:
                self._forget_idle()
                # The next sweep once the table has doubled: amortised O(1) per new chat even while
                # a bulk send keeps thousands of chats busy (not idle) at once.
                self._sweep_at = max(1000, 2 * len(self.paths))
            limits = self.transport.limits
            path = self.paths[external_id] = _Path(TokenBucket(limits.path_rate, limits.path_burst))
        return path

    def _forget_idle(self) -> None:
        for external_id, path in list(self.paths.items()):
            if not path.queue and (path.worker is None or path.worker.done()) and path.bucket.idle:
                del self.paths[external_id]


#: The stored error of a send dropped unsent, after its reason.
_DROPPED = {
    "expired": "older than its lifetime when it could have gone; never sent late",
    "opted_out": "the voter sent STOP before this was sent",
    "no_consent": "a reminder to a voter who has not given (or has withdrawn) consent",
}


def _remove(path: _Path, item: _Item) -> None:
    """Take ``item`` off its chat's queue (a more urgent item may have come to the head meanwhile)."""
    path.queue.remove(item)
    heapq.heapify(path.queue)


class Sender:
    """Records, schedules and delivers outbound messages for the configured channels."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transports: Sequence[Transport],
        *,
        clock: Callable[[], datetime],
        max_attempts: int | None = None,
        max_throttled: int = 20,
        backoff: float = 0.5,
        backoff_cap: float = 60.0,
        reply_lifetime: timedelta = timedelta(minutes=30),
        reminder_lifetime: timedelta = timedelta(hours=6),
        reconcile: Mapping[str, float] | None = None,
        on_drop: OnDrop | None = None,
    ) -> None:
        """``max_attempts``: give up on a transient failure after this many (None: only at expiry);
        ``reconcile``: seconds per channel that rows left pending wait at :meth:`start` for the
        platform's status webhooks to settle them before they are sent again."""
        self._sessions = sessions
        self._channels: Mapping[str, _Channel] = {t.channel: _Channel(t) for t in transports}
        self._clock = clock
        self._max_attempts, self._max_throttled = max_attempts, max_throttled
        self._backoff, self._backoff_cap = backoff, backoff_cap
        self._lifetimes = {"reply": reply_lifetime, "reminder": reminder_lifetime}
        self._reconcile = dict(reconcile or {})
        self._on_drop = on_drop or (lambda channel, reason: None)
        self._order = itertools.count()
        self._outcomes = OutcomeLog(sessions, clock)
        self._gate = SendGate(sessions)
        self._deferred: set[asyncio.Task[None]] = set()

    def handles(self, channel: str) -> bool:
        return channel in self._channels

    async def start(self) -> int:
        """Schedule the replies still ``pending`` (left by a crash or a restart); return how many.

        Reminder rows are left to the dispatcher holding their channel's lease. On a channel with
        a ``reconcile`` wait the rows go only after it, and only those no status webhook settled.
        """
        async with self._sessions() as db:
            rows = (await db.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.kind != "reminder",
                       OutboxMessage.channel.in_(list(self._channels)))
                .order_by(OutboxMessage.id)
            )).all()
        waiting: dict[str, list[int]] = {}
        for row in rows:
            if self._reconcile.get(row.channel, 0) > 0:
                waiting.setdefault(row.channel, []).append(row.id)
            else:
                self._schedule(row)
        for channel, ids in waiting.items():
            task = asyncio.create_task(self._resume_after(self._reconcile[channel], ids))
            self._deferred.add(task)
            task.add_done_callback(self._deferred.discard)
        if rows:
            log.info("outbox_resumed", extra={"count": len(rows), "waiting": sum(map(len, waiting.values()))})
        return len(rows)

    async def _resume_after(self, wait: float, ids: list[int]) -> None:
        await asyncio.sleep(wait)
        async with self._sessions() as db:
            rows = (await db.scalars(select(OutboxMessage).where(
                OutboxMessage.id.in_(ids), OutboxMessage.status == "pending").order_by(OutboxMessage.id))).all()
        for row in rows:
            self._schedule(row)

    async def send_replies(self, replies: Sequence[OutboundMessage], priority: int = REPLY) -> list[int]:
        """Record ``replies`` in the outbox and schedule them; return the outbox row ids.

        A reply already stored as message ``stored_id`` gets the key ``<channel>:m<stored_id>``,
        so handing the same replies over twice sends them once.
        """
        ids: list[int] = []
        for channel in dict.fromkeys(reply.channel for reply in replies):
            bodies: list[tuple[str, str, dict[str, Any], int | None]] = []
            for reply in (r for r in replies if r.channel == channel):
                base = f"{channel}:m{reply.stored_id}" if reply.stored_id else f"{channel}:{uuid.uuid4().hex}"
                rendered = self._channel(channel).transport.render(reply)
                bodies += [(reply.external_id, f"{base}:{i}", body, reply.stored_id) for i, body in enumerate(rendered)]
            ids += await self._record(channel, bodies, priority)
        return ids

    async def send_bodies(
        self, channel: str, external_id: str, bodies: Sequence[dict[str, Any]], key: str, priority: int = BULK
    ) -> list[int]:
        """Record and schedule already rendered request bodies (a WhatsApp template, say)."""
        return await self._record(
            channel, [(external_id, f"{key}:{i}", body, None) for i, body in enumerate(bodies)], priority
        )

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every scheduled message was sent or failed (or ``timeout`` passes)."""

        async def idle() -> None:
            while workers := [*self._deferred, *(p.worker for c in self._channels.values() for p in c.paths.values()
                                                 if p.worker is not None and not p.worker.done())]:
                await asyncio.gather(*workers, return_exceptions=True)

        await asyncio.wait_for(idle(), timeout)

    async def close(self) -> None:
        """Stop sending; what was not sent stays ``pending`` for the next :meth:`start`."""
        for task in list(self._deferred):
            task.cancel()
        await asyncio.gather(*self._deferred, return_exceptions=True)
        for channel in self._channels.values():
            workers = [p.worker for p in channel.paths.values() if p.worker is not None]
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await channel.limiter.close()
            channel.paths.clear()
        await self._outcomes.close()
        await self._gate.close()

    def _channel(self, name: str) -> _Channel:
        try:
            return self._channels[name]
        except KeyError:
            raise ValueError(f"no sender configured for channel {name!r}") from None

    async def _record(
        self, channel_name: str, bodies: list[tuple[str, str, dict[str, Any], int | None]], priority: int
    ) -> list[int]:
        if not bodies:
            return []
        channel = self._channel(channel_name)
        now = self._clock()
        try:
            async with self._sessions() as db, db.begin():
                rows = await self._insert(db, channel, bodies, priority, now, "reply")
        except IntegrityError:
            # A concurrent worker recorded the same keys first; it will send them.
            return []
        for row in rows:
            if row.status == "pending":
                self._schedule(row)
        return [row.id for row in rows]

    async def _insert(
        self, db: AsyncSession, channel: _Channel, bodies: list[tuple[str, str, dict[str, Any], int | None]],
        priority: int, now: datetime, kind: str,
    ) -> list[OutboxMessage]:
        """Add the outbox rows of ``bodies`` whose keys are new; ``kind`` is ``reply`` or ``reminder``."""
        keys = [key for _, key, _, _ in bodies]
        existing = set((await db.scalars(select(OutboxMessage.idempotency_key)
                                          .where(OutboxMessage.idempotency_key.in_(keys)))).all())
        chats = list(dict.fromkeys(external_id for external_id, _, _, _ in bodies))
        identities: dict[str, ChannelIdentity] = {}
        for start in range(0, len(chats), 500):  # one query per 500 chats, under every parameter limit
            identities |= {i.external_id: i for i in await db.scalars(select(ChannelIdentity).where(
                ChannelIdentity.channel == channel.transport.channel,
                ChannelIdentity.external_id.in_(chats[start:start + 500])))}
        rows = []
        for external_id, key, body, message_id in bodies:
            if key in existing:
                continue
            identity = identities.get(external_id)
            if "template" not in body:
                await self._check_window(db, channel.transport, identity, now)
            unreachable = identity is not None and identity.unreachable_at is not None
            row = OutboxMessage(
                idempotency_key=key, channel=channel.transport.channel, external_id=external_id,
                contact_id=identity.contact_id if identity else None, message_id=message_id, priority=priority,
                kind=kind, expires_at=now + self._lifetimes[kind],
                body=body, status="failed" if unreachable else "pending", attempts=0,
                error="unreachable: the voter blocked the bot or cannot receive messages" if unreachable else None,
                created_at=now, updated_at=now,
            )
            db.add(row)
            rows.append(row)
        await db.flush()
        return rows

    async def _check_window(
        self, db: AsyncSession, transport: Transport, identity: ChannelIdentity | None, now: datetime
    ) -> None:
        if transport.service_window is None:
            return
        last_inbound = None
        if identity is not None:
            last_inbound = await db.scalar(select(func.max(Message.created_at)).where(
                Message.contact_id == identity.contact_id, Message.channel == transport.channel,
                Message.direction == "in"))
        if last_inbound is None or now - last_inbound > transport.service_window:
            hours = int(transport.service_window.total_seconds() // 3600)
            raise TemplateRequired(
                f"{transport.channel}: the voter last wrote more than {hours} hours ago (or never), so only an "
                "approved template message may be sent now, not free text"
            )

    def _schedule(self, row: OutboxMessage) -> None:
        channel = self._channels[row.channel]
        path = channel.path(row.external_id)
        heapq.heappush(path.queue, _Item(row.priority, next(self._order), row.id, row.idempotency_key,
                                         row.body, row.attempts, row.expires_at))
        if path.worker is None or path.worker.done():
            path.worker = asyncio.create_task(self._work(channel, row.external_id, path))

    async def _work(self, channel: _Channel, external_id: str, path: _Path) -> None:
        """Send one chat's queue in order, honouring both buckets; check each row just before."""
        while path.queue:
            while (wait := path.bucket.take()) > 0:
                await asyncio.sleep(wait)
            await channel.limiter.acquire(path.queue[0].priority)
            item = path.queue[0]
            if (reason := await self._refused(item)) is not None:
                _remove(path, item)
                await self._drop(channel, item, reason)
                continue
            outcome = await self._attempt(channel, external_id, item)
            if outcome == "done":
                _remove(path, item)
            elif outcome == "unreachable":
                await self._fail_queue(path, "unreachable: the voter blocked the bot or cannot receive messages")
            elif isinstance(outcome, RetryLater):
                bucket = path.bucket if outcome.scope == "path" else channel.limiter.bucket
                bucket.pause(outcome.after)
            else:  # a backoff delay in seconds
                await asyncio.sleep(outcome)

    async def _refused(self, item: _Item) -> str | None:
        """Why ``item`` may not be sent now (see :mod:`bot.delivery.gate`), or None."""
        if item.expires_at is not None and self._clock() >= item.expires_at:
            return "expired"
        return await self._gate(item.row_id)

    async def _drop(self, channel: _Channel, item: _Item, reason: str) -> None:
        if reason == "settled":
            return  # sent, failed or erased elsewhere: nothing to record or count
        await self._finish(item, "failed", error=f"{reason}: {_DROPPED[reason]}")
        self._on_drop(channel.transport.channel, reason)

    async def _attempt(self, channel: _Channel, external_id: str, item: _Item) -> str | RetryLater | float:
        item.attempts += 1
        try:
            platform_id = await channel.transport.deliver(external_id, item.body, item.key)
        except RetryLater as exc:
            log.warning("send_throttled", extra={"channel": channel.transport.channel, "after": exc.after,
                                                 "scope": exc.scope, "outbox_id": item.row_id})
            if item.attempts >= self._max_throttled:
                await self._finish(item, "failed", error=f"throttled {item.attempts} times: {exc}")
                return "done"
            return exc
        except Transient as exc:
            if self._max_attempts is not None and item.attempts >= self._max_attempts:
                await self._finish(item, "failed", error=f"gave up after {item.attempts} attempts: {exc}")
                return "done"
            delay = min(self._backoff_cap, self._backoff * 2 ** min(item.attempts - 1, 30))
            log.info("send_retry", extra={"channel": channel.transport.channel, "outbox_id": item.row_id,
                                          "attempts": item.attempts, "error": str(exc)[:200]})
            return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not security
        except Unreachable as exc:
            await self._finish(item, "failed", error=f"unreachable: {exc}")
            await self._mark_unreachable(channel.transport.channel, external_id)
            return "unreachable"
        except SendError as exc:
            await self._finish(item, "failed", error=str(exc))
            return "done"
        await self._finish(item, "sent", platform_id=platform_id)
        return "done"

    async def _finish(self, item: _Item, status: str, *, error: str | None = None, platform_id: str | None = None) -> None:
        if status == "failed":
            log.warning("send_failed", extra={"outbox_id": item.row_id, "error": (error or "")[:200]})
        await self._outcomes.record(item.row_id, status, item.attempts, error=error, platform_id=platform_id)

    async def _fail_queue(self, path: _Path, error: str) -> None:
        items, path.queue = path.queue, []
        async with self._sessions() as db, db.begin():
            await db.execute(update(OutboxMessage)
                             .where(OutboxMessage.id.in_([i.row_id for i in items]), OutboxMessage.status == "pending")
                             .values(status="failed", error=error, updated_at=self._clock()))

    async def _mark_unreachable(self, channel: str, external_id: str) -> None:
        async with self._sessions() as db, db.begin():
            await db.execute(update(ChannelIdentity)
                             .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id,
                                    ChannelIdentity.unreachable_at.is_(None))
                             .values(unreachable_at=self._clock()))
        log.info("contact_unreachable", extra={"channel": channel})
