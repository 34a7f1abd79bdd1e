"""Durable intake for platform events: store, answer the webhook, process in the background.

A webhook handler calls :meth:`Inbox.accept`, which writes the event to ``webhook_events`` (a
redelivery of an event still waiting is dropped on the unique key) and starts a background
task; the handler then answers 200 at once. Tasks with the same key (one chat) run in arrival
order, others in parallel. A processed event's row is deleted; rows left by a crash are
processed again by :meth:`Inbox.start`, and the conversation loop's receipts make that
exactly-once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import WebhookEvent
from bot.conversation.keyed_locks import KeyedLocks

log = logging.getLogger("suara.inbox")

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class Inbox:
    """Accepts events per channel and runs each channel's handler on them, tracked."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> None:
        self._sessions, self._clock = sessions, clock
        self._handlers: dict[str, Handler] = {}
        self._locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, channel: str, handler: Handler) -> None:
        self._handlers[channel] = handler

    async def accept(self, channel: str, event_id: str, key: str, body: dict[str, Any]) -> bool:
        """Store the event and start processing it; False when it is already waiting."""
        row = WebhookEvent(channel=channel, event_id=event_id[:160], key=key[:128], body=body,
                           received_at=self._clock())
        try:
            async with self._sessions() as db, db.begin():
                db.add(row)
        except IntegrityError:
            log.info("event_redelivered", extra={"channel": channel})
            return False
        self._spawn(row.id, channel, row.key, body)
        return True

    async def start(self) -> int:
        """Process the events a previous run stored but did not finish; return how many."""
        async with self._sessions() as db:
            rows = (await db.scalars(select(WebhookEvent)
                                     .where(WebhookEvent.channel.in_(list(self._handlers)))
                                     .order_by(WebhookEvent.id))).all()
        for row in rows:
            self._spawn(row.id, row.channel, row.key, row.body)
        if rows:
            log.info("events_resumed", extra={"count": len(rows)})
        return len(rows)

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

    def _spawn(self, row_id: int, channel: str, key: str, body: dict[str, Any]) -> None:
        task = asyncio.create_task(self._process(row_id, channel, key, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, row_id: int, channel: str, key: str, body: dict[str, Any]) -> None:
        async with self._locks.hold((channel, key)):
            try:
                await self._handlers[channel](body)
            except Exception:
                # Kept for the next start; the loop's receipts stop a double reply.
                log.exception("event_failed", extra={"channel": channel, "event_row": row_id})
                return
            async with self._sessions() as db, db.begin():
                await db.execute(delete(WebhookEvent).where(WebhookEvent.id == row_id))
