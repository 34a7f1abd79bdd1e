"""Recording send outcomes in the outbox by group commit (:mod:`bot.delivery.batching`).

Every outcome that arrives while the previous batch commits goes into the next single
transaction (an ``executemany`` UPDATE). Whoever records an outcome waits until its transaction
has committed: a path worker sends its next message — and
:class:`~bot.delivery.bulk.OneAtATime` its next Telegram message — only once the last is
recorded, exactly as with one transaction per outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.batching import GroupBatch
from bot.storage.models import OutboxMessage

_BATCH = 1000  # outcomes per transaction at most
_table = OutboxMessage.__table__


class OutcomeLog:
    """Batches ``pending → sent/failed`` updates of outbox rows; see the module docstring."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> None:
        self._sessions, self._clock = sessions, clock
        self._batch: GroupBatch[dict[str, Any], None] = GroupBatch(self._write, _BATCH)

    async def record(self, row_id: int, status: str, attempts: int, *, error: str | None = None,
                     platform_id: str | None = None) -> None:
        """Set a ``pending`` row's outcome; return once it is committed (raise if the commit failed).

        Only a pending row changes: a status webhook or a STOP may have settled it meanwhile.
        ``error`` and ``platform_id`` keep the stored value when not given.
        """
        await self._batch({"b_id": row_id, "b_status": status, "b_attempts": attempts,
                           "b_error": error[:256] if error is not None else None,
                           "b_platform_id": platform_id, "b_now": self._clock()})

    async def close(self) -> None:
        """Wait until every outcome handed over so far is written (or its commit failed)."""
        await self._batch.close()

    async def _write(self, batch: list[dict[str, Any]]) -> list[None]:
        async with self._sessions() as db, db.begin():
            await db.execute(_UPDATE, batch)
        return [None] * len(batch)


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
