"""Creating the async engine: SQLite in WAL mode, or PostgreSQL through asyncpg.

Every engine hides bound parameters (``hide_parameters``): a failed statement's error, and the
statement log at INFO, would otherwise carry the values — a webhook body with a voter's NIK.
JSON is written without ``NaN``/``Infinity``, which PostgreSQL refuses with an error that
quotes the document.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.settings import Settings


#: What every engine of the service is created with (see the module notes).
PRIVATE: dict[str, Any] = {"hide_parameters": True,
                           "json_serializer": functools.partial(json.dumps, allow_nan=False)}


def create_engine(settings: Settings) -> AsyncEngine:
    """Return an engine for ``settings.database_url``, creating a SQLite file's folder."""
    ensure_database_folder(settings)
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, connect_args={"timeout": 30}, **PRIVATE)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(settings.database_url, pool_size=10, max_overflow=10, pool_pre_ping=True, **PRIVATE)


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
