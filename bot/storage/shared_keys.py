"""32-byte keys every worker shares: the console's session cookie key and the web chat's contact
id key.

Each is its ``SUARA_*`` setting when set; otherwise a random key generated once and kept in the
database (``console_secrets``, one row per key name), so every worker, and the same server after
a restart, uses the same key. A key is never logged.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import session_factory
from bot.storage.staff_models import ConsoleSecret


async def shared_key(setting: SecretStr | None, engine: AsyncEngine, name: str, now: datetime) -> bytes:
    """The key ``name``: ``setting`` (url-safe base64) when set, else the stored one, made on first use."""
    if setting is not None:
        return base64.urlsafe_b64decode(setting.get_secret_value().encode())
    new_sessions = session_factory(engine)
    async with new_sessions() as db:
        row = await db.get(ConsoleSecret, name)
        if row is not None:
            return base64.urlsafe_b64decode(row.value.encode())
        db.add(ConsoleSecret(name=name, value=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                             created_at=now))
        try:
            await db.commit()
        except IntegrityError:  # another worker stored one first: use theirs
            await db.rollback()
    async with new_sessions() as db:
        row = await db.get(ConsoleSecret, name)
        assert row is not None
        return base64.urlsafe_b64decode(row.value.encode())
