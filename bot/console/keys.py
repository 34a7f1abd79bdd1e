"""Typed keys for what the console's sub-application holds."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp_session import AbstractStorage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console.accounts import StaffUser
from bot.console.planning import Planning

SESSION_STORAGE = web.AppKey("console_session_storage", AbstractStorage)
DB = web.AppKey("console_db", async_sessionmaker[AsyncSession])
#: One publish at a time in this process: read the file, change one entry, write it back.
PUBLISH_LOCK = web.AppKey("console_publish_lock", asyncio.Lock)
#: The campaigns this process is planning in the background (tasks owned by the console app).
PLANNING = web.AppKey("console_planning", Planning)
#: The signed-in staff member of a request (set by the guard for every console route).
USER = web.RequestKey("console_user", StaffUser)
