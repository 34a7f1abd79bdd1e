"""Per-key FIFO locks so one contact's messages run in arrival order, others in parallel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar

#: The key the running task holds through :meth:`KeyedLocks.hold` (``None`` outside one), so the
#: database session can take the same key's lock across worker processes
#: (:mod:`bot.conversation.contact_lock`) without every caller passing it down.
HELD_KEY: ContextVar[Hashable | None] = ContextVar("suara_held_key", default=None)


class KeyedLocks:
    """A lock per key, created on demand and dropped when nobody holds or waits for it.

    ``asyncio.Lock`` wakes waiters in the order they called ``acquire``, which is the order in
    which messages reached the loop.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                token = HELD_KEY.set(key)
                try:
                    yield
                finally:
                    HELD_KEY.reset(token)
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
