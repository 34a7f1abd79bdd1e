"""Group commit for the sender's small database round trips: one query per batch of callers.

At a platform rate of 1,000 messages/s, one transaction per send outcome (or per pre-send check)
is more than one database connection keeps up with. :class:`GroupBatch` hands every call that
arrives while the previous batch runs to the next single run, so a lone call runs at once and a
busy channel's run hundreds at a time. Each caller waits for its own result (or the batch's error).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")


class GroupBatch(Generic[P, R]):
    """Runs ``run(items)`` (which returns one result per item, in order) over batched calls."""

    def __init__(self, run: Callable[[list[P]], Awaitable[Sequence[R]]], limit: int = 1000) -> None:
        self._run, self._limit = run, limit
        self._waiting: list[tuple[P, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def __call__(self, item: P) -> R:
        """The result for ``item`` once its batch has run (raises the batch's error)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        # shield: a caller cancelled while waiting leaves its item to be run all the same.
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Wait until every item handed over so far has run (or its batch failed)."""
        if self._worker is not None:
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _work(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self._limit], self._waiting[self._limit:]
            try:
                results = await self._run([item for item, _ in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who raises it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
