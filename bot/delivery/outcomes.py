"""Recording send outcomes in the outbox by group commit: one transaction per batch.

At a platform rate of 1,000 messages/s a transaction per outcome is more than one database
connection keeps up with. :class:`OutcomeLog` writes every outcome that arrives while the
previous batch commits in the next single transaction (an ``executemany`` UPDATE), so a lone
outcome is written at once and a busy channel's are written hundreds at a time. Whoever records
an outcome waits until its transaction has committed: a path worker sends its next message — and
:class:`~bot.delivery.bulk.OneAtATime` its next Telegram message — only once the last is
recorded, exactly as with one transaction per outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import OutboxMessage

_BATCH = 1000  # outcomes per transaction at most
_table = OutboxMessage.__table__


class OutcomeLog:
    """Batches ``pending → sent/failed`` updates of outbox rows; see the module docstring."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> None:
        self._sessions, self._clock = sessions, clock
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, row_id: int, status: str, attempts: int, *, error: str | None = None,
                     platform_id: str | None = None) -> None:
        """Set a ``pending`` row's outcome; return once it is committed (raise if the commit failed).

        Only a pending row changes: a status webhook may have settled it meanwhile. ``error`` and
        ``platform_id`` keep the stored value when not given.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(({"b_id": row_id, "b_status": status, "b_attempts": attempts,
                               "b_error": error[:256] if error is not None else None,
                               "b_platform_id": platform_id, "b_now": self._clock()}, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        # shield: a worker cancelled while waiting leaves its outcome to be written all the same.
        await asyncio.shield(future)

    async def close(self) -> None:
        """Wait until every outcome handed over so far is written (or its commit failed)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:_BATCH], self._waiting[_BATCH:]
            try:
                async with self._sessions() as db, db.begin():
                    await db.execute(_UPDATE, [params for params, _ in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who raises it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


_UPDATE = (
    update(_table)
    .where(_table.c.id == bindparam("b_id"), _table.c.status == "pending")
    .values(status=bindparam("b_status", type_=_table.c.status.type),
            attempts=bindparam("b_attempts", type_=_table.c.attempts.type),
            updated_at=bindparam("b_now", type_=_table.c.updated_at.type),
            error=func.coalesce(bindparam("b_error", type_=_table.c.error.type), _table.c.error),
            platform_message_id=func.coalesce(bindparam("b_platform_id", type_=_table.c.platform_message_id.type),
                                              _table.c.platform_message_id))
)
