"""Creating the async engine: SQLite in WAL mode, or PostgreSQL through asyncpg."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.settings import Settings

# aiosqlite logs every statement with its bound parameters at DEBUG: raw message texts (a NIK,
# a phone number) would reach the logs whenever DEBUG is on. Its INFO and above are kept.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def create_engine(settings: Settings) -> AsyncEngine:
    """Return an engine for ``settings.database_url``, creating a SQLite file's folder."""
    ensure_database_folder(settings)
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(settings.database_url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def ensure_database_folder(settings: Settings) -> None:
    """Create the folder of a SQLite database file (``./var/`` by default)."""
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # SQLite's lower() knows only ASCII; segment queries compare sources with Python's casefold.
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)


def _casefold(value: object) -> str | None:
    return None if value is None else str(value).casefold()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
