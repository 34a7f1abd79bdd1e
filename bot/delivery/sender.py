"""The one outbound sender: every message to a messaging platform goes through here.

A send is written to the ``outbox`` table (with an idempotency key) before it is attempted and
marked ``sent`` or ``failed`` after, so a crash in between is resumed by :meth:`Sender.start`.
Each channel credential has an overall token bucket shared by priority (replies to a waiting
voter before bulk sends) and a bucket per chat ("path"); messages to one chat go out in order,
one at a time. A platform's ``retry_after`` pauses only the bucket it is about; 5xx answers and
time-outs are retried with exponential backoff and jitter, a bounded number of times.
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
from typing import Any, Literal, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flows import Button

from bot.storage.models import ChannelIdentity, Message, OutboxMessage
from bot.conversation.messages import OutboundMessage
from bot.delivery.outcomes import OutcomeLog
from bot.delivery.ratelimit import PriorityLimiter, TokenBucket

log = logging.getLogger("suara.sender")

REPLY = 0  # a voter is waiting for this
BULK = 10  # reminders and broadcasts


class SendError(Exception):
    """A send did not go through; the message is stored with the outbox row (no secrets)."""


class RetryLater(SendError):
    """The platform throttled us: wait ``after`` seconds on this chat, or on the whole channel."""

    def __init__(self, message: str, after: float, scope: Literal["path", "channel"] = "path") -> None:
        super().__init__(message)
        self.after, self.scope = after, scope


class Transient(SendError):
    """A 5xx answer or a time-out: worth retrying with backoff."""


class Unreachable(SendError):
    """The voter blocked the bot or cannot receive messages: send nothing more, retry nothing."""


class TemplateRequired(SendError):
    """Outside the 24-hour customer-service window only an approved template may be sent."""


class Rejected(SendError):
    """The platform refused this message for good (a bad request)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Sending limits of one channel credential: overall, and per chat."""

    rate: float
    burst: int
    path_rate: float
    path_burst: int


class Transport(Protocol):
    """What a channel gives the sender: its limits, how to render a reply, how to deliver."""

    channel: str
    limits: Limits
    service_window: timedelta | None  # free-form messages only this long after the voter's last

    def render(self, message: OutboundMessage) -> list[dict[str, Any]]:
        """The platform request bodies for one reply (more than one when it must be split)."""

    async def deliver(self, external_id: str, body: dict[str, Any], key: str) -> str:
        """Send one body; return the platform's message id or raise a :class:`SendError`."""


@dataclass(order=True)
class _Item:
    priority: int
    order: int
    row_id: int = field(compare=False)
    key: str = field(compare=False)
    body: dict[str, Any] = field(compare=False)
    attempts: int = field(compare=False, default=0)


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


class Sender:
    """Records, schedules and delivers outbound messages for the configured channels."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transports: Sequence[Transport],
        *,
        clock: Callable[[], datetime],
        max_attempts: int = 5,
        max_throttled: int = 20,
        backoff: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self._sessions = sessions
        self._channels: Mapping[str, _Channel] = {t.channel: _Channel(t) for t in transports}
        self._clock = clock
        self._max_attempts, self._max_throttled = max_attempts, max_throttled
        self._backoff, self._backoff_cap = backoff, backoff_cap
        self._order = itertools.count()
        self._outcomes = OutcomeLog(sessions, clock)

    def handles(self, channel: str) -> bool:
        return channel in self._channels

    async def start(self) -> int:
        """Schedule every row still ``pending`` (left by a crash or a restart); return how many."""
        async with self._sessions() as db:
            rows = (await db.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.channel.in_(list(self._channels)))
                .order_by(OutboxMessage.id)
            )).all()
        for row in rows:
            self._schedule(row)
        if rows:
            log.info("outbox_resumed", extra={"count": len(rows)})
        return len(rows)

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

    async def recover_replies(self, channel: str, message_id: str) -> int:
        """Record again the replies the loop stored for inbound ``message_id``; return how many.

        For a message the loop has already handled (a redelivery, or an event resumed after a
        crash between the loop's transaction and the outbox write). Keys make it a no-op when the
        replies were recorded; otherwise they are recovered from the stored (redacted) replies,
        unless the voter has written since.
        """
        async with self._sessions() as db:
            inbound = await db.scalar(select(Message).where(
                Message.channel == channel, Message.channel_message_id == message_id, Message.direction == "in"))
            if inbound is None:
                return 0
            later = await db.scalars(select(Message).where(
                Message.contact_id == inbound.contact_id, Message.id > inbound.id).order_by(Message.id))
            replies = []
            for message in later:
                if message.direction == "in":
                    return 0  # the conversation moved on; an old answer now would confuse
                replies.append(message)
            external_id = await db.scalar(select(ChannelIdentity.external_id).where(
                ChannelIdentity.contact_id == inbound.contact_id, ChannelIdentity.channel == channel))
        if not replies or external_id is None:
            return 0
        return len(await self.send_replies([
            OutboundMessage(channel, external_id, m.text, tuple(Button(**b) for b in m.buttons or ()), m.id)
            for m in replies if m.channel == channel
        ]))

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
            while workers := [p.worker for c in self._channels.values() for p in c.paths.values()
                              if p.worker is not None and not p.worker.done()]:
                await asyncio.gather(*workers, return_exceptions=True)

        await asyncio.wait_for(idle(), timeout)

    async def close(self) -> None:
        """Stop sending; what was not sent stays ``pending`` for the next :meth:`start`."""
        for channel in self._channels.values():
            workers = [p.worker for p in channel.paths.values() if p.worker is not None]
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await channel.limiter.close()
            channel.paths.clear()
        await self._outcomes.close()

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
                rows = await self._insert(db, channel, bodies, priority, now)
        except IntegrityError:
            # A concurrent worker recorded the same keys first; it will send them.
            return []
        for row in rows:
            if row.status == "pending":
                self._schedule(row)
        return [row.id for row in rows]

    async def _insert(
        self, db: AsyncSession, channel: _Channel, bodies: list[tuple[str, str, dict[str, Any], int | None]],
        priority: int, now: datetime,
    ) -> list[OutboxMessage]:
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
                                         row.body, row.attempts))
        if path.worker is None or path.worker.done():
            path.worker = asyncio.create_task(self._work(channel, row.external_id, path))

    async def _work(self, channel: _Channel, external_id: str, path: _Path) -> None:
        """Send one chat's queue in order, honouring both buckets."""
        while path.queue:
            while (wait := path.bucket.take()) > 0:
                await asyncio.sleep(wait)
            await channel.limiter.acquire(path.queue[0].priority)
            item = path.queue[0]
            outcome = await self._attempt(channel, external_id, item)
            if outcome == "done":
                heapq.heappop(path.queue)
            elif outcome == "unreachable":
                await self._fail_queue(path, "unreachable: the voter blocked the bot or cannot receive messages")
            elif isinstance(outcome, RetryLater):
                bucket = path.bucket if outcome.scope == "path" else channel.limiter.bucket
                bucket.pause(outcome.after)
            else:  # a backoff delay in seconds
                await asyncio.sleep(outcome)

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
            if item.attempts >= self._max_attempts:
                await self._finish(item, "failed", error=f"gave up after {item.attempts} attempts: {exc}")
                return "done"
            delay = min(self._backoff_cap, self._backoff * 2 ** (item.attempts - 1))
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
