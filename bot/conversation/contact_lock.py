"""A voter's messages in order across worker processes: one PostgreSQL advisory lock per contact.

:class:`~bot.conversation.keyed_locks.KeyedLocks` orders a contact's messages inside one
process. With ``suara serve --workers N`` two messages of the same voter can reach two
processes at once; both would read the same session and one turn's writes would be lost. So
every transaction the conversation loop opens while it holds a contact's key first takes
``pg_advisory_xact_lock`` on a hash of that key: the second worker waits until the first
commits, then sees its session, its stored message and its receipt (a redelivered message is
then a duplicate, not a second answer). The lock is transaction-scoped: PostgreSQL releases it
at commit, rollback or when a worker's connection dies, so a killed worker never leaves a voter
locked. SQLite needs nothing here: ``suara serve`` runs one process on SQLite.

The lock is taken in the session's ``after_begin`` event, i.e. before the first statement of
every transaction of :func:`locking_sessions`, so the loop code does not change. A hash
collision only makes two contacts wait for each other now and then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from bot.conversation.keyed_locks import HELD_KEY


def advisory_key(key: Hashable) -> int:
    """A stable signed 64-bit number for ``key`` (the same in every process, unlike ``hash``)."""
    parts = key if isinstance(key, tuple) else (key,)
    digest = hashlib.blake2b("\x00".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ContactLockingSession(Session):
    """A session whose transactions take the held contact's advisory lock first (PostgreSQL)."""


@event.listens_for(ContactLockingSession, "after_begin")
def _lock_held_contact(_session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    key = HELD_KEY.get()
    if key is not None and connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(key)})


def locking_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Like :func:`bot.storage.engine.session_factory`, with the per-contact lock."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ContactLockingSession)
