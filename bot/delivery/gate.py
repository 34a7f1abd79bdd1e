"""The check just before every send: is this outbox row still pending, and may it go to the voter?

A STOP fails the voter's pending rows in its own transaction (:func:`bot.storage.turns.opt_out`),
but a reply recorded just after that transaction, or a row a worker already holds in memory, is
only stopped here. The rule:

- a row no longer ``pending`` (a STOP, a status webhook, another worker) is not sent;
- a reminder goes only to a voter who consents and has not opted out;
- a reply to a voter who opted out goes only when it answers a message written after their STOP
  (the "you are unsubscribed" confirmation, /datasaya, HAPUS DATA) — never an answer to an earlier one.

Checks are batched (:class:`~bot.delivery.batching.GroupBatch`): one query for every worker
that asks while the previous query runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.batching import GroupBatch
from bot.storage.models import Contact, Message, OutboxMessage

OPT_OUT_INTENT = "opt_out"  # what the loop stores as the intent of a STOP message


class SendGate:
    """``await gate(row_id)`` → ``None`` when the row may be sent now, else the reason it may not:
    ``opted_out``, ``no_consent`` or ``settled`` (no longer pending for another reason)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._batch: GroupBatch[int, str | None] = GroupBatch(self._check)

    async def __call__(self, row_id: int) -> str | None:
        return await self._batch(row_id)

    async def close(self) -> None:
        await self._batch.close()

    async def _check(self, ids: list[int]) -> Sequence[str | None]:
        async with self._sessions() as db:
            found = {row.id: row for row in await db.execute(
                select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.error, OutboxMessage.kind,
                       OutboxMessage.message_id, OutboxMessage.contact_id, Contact.opted_out, Contact.consent)
                .outerjoin(Contact, Contact.id == OutboxMessage.contact_id)
                .where(OutboxMessage.id.in_(ids)))}
            stopped = {row.contact_id for row in found.values() if row.opted_out}
            stops = dict((await db.execute(
                select(Message.contact_id, func.max(Message.id))
                .where(Message.contact_id.in_(stopped), Message.direction == "in", Message.intent == OPT_OUT_INTENT)
                .group_by(Message.contact_id))).all()) if stopped else {}
        return [_verdict(found.get(row_id), stops) for row_id in ids]


def _verdict(row: Row[Any] | None, stops: dict[int, int]) -> str | None:
    if row is None:
        return "settled"  # erased with the voter
    if row.status != "pending":
        return "opted_out" if (row.error or "").startswith("opted_out") else "settled"
    if row.kind == "reminder":
        if row.opted_out:
            return "opted_out"
        return None if row.consent is True else "no_consent"
    if not row.opted_out:
        return None
    stop = stops.get(row.contact_id)
    answers_later = row.message_id is not None and (stop is None or row.message_id > stop)
    return None if answers_later else "opted_out"
