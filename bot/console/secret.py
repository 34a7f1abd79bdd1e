"""The key that encrypts the console's session cookie.

``SUARA_CONSOLE_SECRET`` when set; otherwise a random key generated once and kept in the
database (``console_secrets``), so every worker decrypts every other worker's cookies. The key
is never logged.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from bot.storage.engine import session_factory
from bot.storage.staff_models import ConsoleSecret

COOKIE_KEY = "session_cookie_key"


async def cookie_key(settings: Settings, engine: AsyncEngine, now: datetime) -> bytes:
    """The 32-byte key for the session cookie (see the module docstring)."""
    if settings.console_secret is not None:
        return base64.urlsafe_b64decode(settings.console_secret.get_secret_value().encode())
    new_sessions = session_factory(engine)
    async with new_sessions() as db:
        row = await db.get(ConsoleSecret, COOKIE_KEY)
        if row is not None:
            return base64.urlsafe_b64decode(row.value.encode())
        db.add(ConsoleSecret(name=COOKIE_KEY, value=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                             created_at=now))
        try:
            await db.commit()
        except IntegrityError:  # another worker stored one first: use theirs
            await db.rollback()
    async with new_sessions() as db:
        row = await db.get(ConsoleSecret, COOKIE_KEY)
        assert row is not None
        return base64.urlsafe_b64decode(row.value.encode())
