"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation.loop import ConversationLoop
from bot.telemetry.metrics import Metrics
from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
LOOP = web.AppKey("loop", ConversationLoop)
METRICS = web.AppKey("metrics", Metrics)
CLOCK = web.AppKey("clock", Callable[[], datetime])
