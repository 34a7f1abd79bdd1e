"""Token buckets for sending, with pauses (``retry_after``) and priority among waiters.

Why not a library: ``aiolimiter`` (the maintained asyncio leaky bucket) covers the plain
bucket, but not the two things the sender needs on top of it: handing the next token to the
most urgent waiter (a voter waiting for an answer before a bulk reminder), and pausing a
bucket until a platform's ``retry_after`` has passed. Both fit in the small classes below,
whose arithmetic is tested with a fake clock in ``tests/test_sender.py``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; pausable.

    Pure arithmetic over ``clock`` (seconds, monotonic): :meth:`take` either takes a token and
    returns 0, or takes nothing and returns how long to wait before asking again.
    """

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs rate > 0 and burst >= 1")
        self.rate, self.burst, self._clock = rate, float(burst), clock
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = 0.0

    def take(self) -> float:
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    def pause(self, seconds: float) -> None:
        """Hand out nothing for ``seconds`` (a platform said ``retry_after``), then start empty.

        Starting empty after the pause avoids a burst exactly when the platform asked us to
        slow down.
        """
        now = self._clock()
        self._paused_until = max(self._paused_until, now + seconds)
        self._tokens = 0.0
        self._updated = self._paused_until

    @property
    def idle(self) -> bool:
        """True when the bucket is full again, so a per-chat bucket can be forgotten."""
        now = self._clock()
        return now >= self._paused_until and self._tokens + (now - self._updated) * self.rate >= self.burst


class PriorityLimiter:
    """Shares one bucket among waiters: lowest ``priority`` first, then first come.

    One pump task hands out tokens as the bucket refills, so a thousand waiters cost a heap,
    not a thousand timers.
    """

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None

    async def acquire(self, priority: int = 0) -> None:
        if not self._waiters and self.bucket.take() == 0:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run())
        await future  # a cancelled waiter's future is skipped by the pump

    async def _run(self) -> None:
        while self._waiters:
            if self._waiters[0][2].done():
                heapq.heappop(self._waiters)
                continue
            wait = self.bucket.take()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            heapq.heappop(self._waiters)[2].set_result(None)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        for _, _, future in self._waiters:
            future.cancel()
        self._waiters.clear()
