"""Durable intake for platform events: store, answer the webhook, process in the background.

A webhook handler calls :meth:`Inbox.accept`, which writes the event to ``webhook_events`` (a
redelivery of an event still waiting is dropped on the unique key) and starts a background
task; the handler then answers 200 at once. Tasks with the same key (one chat) run in arrival
order, others in parallel.

A raw body holds whatever the voter wrote (a NIK, a phone number, an e-mail address), so it
lives only as long as it is needed:

- processed, or found unusable (:class:`Unusable`: counted by reason, no traceback): deleted;
- failed, or interrupted by a crash: kept for a retry at the next :meth:`start`, redacted
  (:func:`redact_body`), with its runs counted in ``attempts``;
- after :data:`MAX_ATTEMPTS` runs: deleted and replaced by a :class:`WebhookDeadLetter` that
  keeps the channel, the exception's type, the times and the count, nothing of the voter.

:meth:`start` only schedules the resumed events, so a failing one never holds up start-up; the
conversation loop's receipts make a resumed event exactly-once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import nlu
from bot.conversation.keyed_locks import KeyedLocks
from bot.storage.models import WebhookDeadLetter, WebhookEvent
from bot.telemetry.logs import failure_site
from bot.telemetry.metrics import Metrics

log = logging.getLogger("suara.inbox")

Handler = Callable[[dict[str, Any]], Awaitable[None]]

#: Runs of one event (the first and the retries at later starts) before it is dead-lettered.
MAX_ATTEMPTS = 3
#: Fields of a stored body that identify rather than say something: a retry needs them as they
#: are (the chat, the sender, the message and button ids), so :func:`redact_body` keeps them.
_IDENTIFIERS = frozenset({"id", "from", "recipient_id", "wa_id", "timestamp", "type", "status", "field",
                          "object", "data", "payload", "chat_instance", "biz_opaque_callback_data"})


class Unusable(ValueError):
    """An event that can never be processed (odd but signed input): dropped and counted, not retried.

    ``reason`` is a short fixed label for the metrics, never text from the body.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def redact_body(value: Any) -> Any:
    """``value`` (a stored JSON body) with NIKs, phone numbers and e-mail addresses masked in
    every string except the identifiers a retry needs (see ``_IDENTIFIERS``)."""
    if isinstance(value, dict):
        return {k: v if k in _IDENTIFIERS and not isinstance(v, dict | list) else redact_body(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact_body(item) for item in value]
    return nlu.redact(value) if isinstance(value, str) else value


class Inbox:
    """Accepts events per channel and runs each channel's handler on them, tracked."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime],
                 metrics: Metrics) -> None:
        self._sessions, self._clock, self._metrics = sessions, clock, metrics
        self._handlers: dict[str, Handler] = {}
        self._locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, channel: str, handler: Handler) -> None:
        self._handlers[channel] = handler

    def dropped(self, channel: str, reason: str) -> None:
        """Count a body or event acknowledged to the platform but not processed."""
        self._metrics.events_dropped.labels(channel, reason).inc()
        log.info("event_dropped", extra={"channel": channel, "reason": reason})

    async def accept(self, channel: str, event_id: str, key: str, body: dict[str, Any]) -> bool:
        """Store the event and start processing it; False when it is already waiting."""
        row = WebhookEvent(channel=channel, event_id=event_id[:160], key=key[:128], body=body,
                           received_at=self._clock(), attempts=1)
        try:
            async with self._sessions() as db, db.begin():
                db.add(row)
        except IntegrityError:
            log.info("event_redelivered", extra={"channel": channel})
            return False
        self._spawn(row, body)
        return True

    async def start(self) -> int:
        """Schedule the events a previous run stored but did not finish; return how many.

        Each resumed run is counted and its body redacted before it starts; an event already
        run :data:`MAX_ATTEMPTS` times (a crash each time) is dead-lettered instead.
        """
        async with self._sessions() as db, db.begin():
            rows = (await db.scalars(select(WebhookEvent)
                                     .where(WebhookEvent.channel.in_(list(self._handlers)))
                                     .order_by(WebhookEvent.id))).all()
            resumed = []
            for row in rows:
                if row.attempts >= MAX_ATTEMPTS:
                    await self._bury(db, row, "Interrupted")
                    continue
                row.attempts += 1
                row.body = redact_body(row.body)
                resumed.append(row)
        for row in resumed:
            self._spawn(row, row.body)
        if rows:
            log.info("events_resumed", extra={"count": len(resumed), "dead_lettered": len(rows) - len(resumed)})
        return len(resumed)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for every accepted event to be processed."""

        async def idle() -> None:
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

        await asyncio.wait_for(idle(), timeout)

    async def close(self, timeout: float = 10.0) -> None:
        """Finish what is running (up to ``timeout``); the rest stays stored for :meth:`start`."""
        try:
            await self.drain(timeout)
        except asyncio.TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, row: WebhookEvent, body: dict[str, Any]) -> None:
        task = asyncio.create_task(self._process(row.id, row.channel, row.key, row.attempts, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, row_id: int, channel: str, key: str, attempts: int, body: dict[str, Any]) -> None:
        async with self._locks.hold((channel, key)):
            try:
                await self._handlers[channel](body)
            except Unusable as exc:
                self.dropped(channel, exc.reason)
            except Exception as exc:  # noqa: BLE001 - any failure is kept for a bounded retry
                await self._failed(row_id, channel, attempts, body, exc)
                return
            async with self._sessions() as db, db.begin():
                await db.execute(delete(WebhookEvent).where(WebhookEvent.id == row_id))

    async def _failed(self, row_id: int, channel: str, attempts: int, body: dict[str, Any],
                      exc: Exception) -> None:
        reason = type(exc).__name__[:64]
        async with self._sessions() as db, db.begin():
            row = await db.get(WebhookEvent, row_id)
            if row is None:
                return
            if attempts >= MAX_ATTEMPTS:
                await self._bury(db, row, reason)
            else:
                await db.execute(update(WebhookEvent).where(WebhookEvent.id == row_id)
                                 .values(body=redact_body(body)))
        log.error("event_failed", extra={"channel": channel, "event_row": row_id, "error": reason,
                                         "attempt": attempts, "at": failure_site(exc)})

    async def _bury(self, db: AsyncSession, row: WebhookEvent, reason: str) -> None:
        """Replace ``row`` by its dead letter, in the caller's transaction."""
        db.add(WebhookDeadLetter(channel=row.channel, reason=reason, attempts=row.attempts,
                                 received_at=row.received_at, failed_at=self._clock()))
        self._metrics.dead_letters.labels(row.channel, reason).inc()
        log.error("event_dead_lettered", extra={"channel": row.channel, "error": reason, "attempts": row.attempts})
        await db.delete(row)
