"""The aiohttp application factory: routes, resources and error handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from bot.channels import messaging
from bot.channels import web as web_channel
from bot.conversation.loop import utcnow
from bot.runtime import build_loop, knowledge_source
from bot.server import health
from bot.server.errors import MAX_BODY_BYTES, errors
from bot.server.keys import CLOCK, ENGINE, LOOP, METRICS, SETTINGS
from bot.telemetry.metrics import Metrics
from bot.settings import Settings
from bot.storage.content import seed_demo_content
from bot.storage.engine import create_engine, session_factory


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> web.Application:
    """Build the server. The database must already be migrated (``suara serve`` does it)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[errors])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[CLOCK] = clock
    app.cleanup_ctx.append(_resources)
    app.router.add_routes(health.routes)
    app.router.add_routes(web_channel.routes)
    app.router.add_static("/static/", web_channel.STATIC)
    messaging.setup(app)  # Telegram and WhatsApp webhooks, when configured
    return app


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings)
    knowledge = await asyncio.to_thread(knowledge_source, settings)
    app[ENGINE] = engine
    await seed_demo_content(session_factory(engine), app[CLOCK]())
    app[LOOP] = build_loop(settings, engine, app[METRICS], app[CLOCK], knowledge)
    watcher = asyncio.create_task(knowledge.watch())
    yield
    watcher.cancel()
    await app[LOOP].close()
    await engine.dispose()
