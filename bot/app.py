"""The aiohttp application factory: routes, resources and error handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from bot.broadcasts.dispatcher import Dispatcher
from bot.broadcasts.leases import channel_credentials
from bot.channels import messaging
from bot.channels import web as web_channel
from bot import console
from bot.conversation.loop import utcnow
from bot.runtime import build_loop, knowledge_source
from bot.server import health
from bot.server.errors import MAX_BODY_BYTES, errors
from bot.server.keys import CLOCK, ENGINE, LOOP, METRICS, SETTINGS
from bot.telemetry.metrics import Metrics
from bot.settings import Settings
from bot.storage.content import seed_demo_content
from bot.storage.engine import create_engine, session_factory


def create_app(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow, dispatch: bool = False
) -> web.Application:
    """Build the server. The database must already be migrated (``suara serve`` does it).

    ``dispatch``: also send due reminders in the background (when a messaging channel is set).
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[errors])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[CLOCK] = clock
    app.cleanup_ctx.append(_resources)
    app.router.add_routes(health.routes)
    web_channel.setup(app)  # after _resources: it reads its key from the database
    messaging.setup(app)  # Telegram and WhatsApp webhooks, when configured
    if dispatch and channel_credentials(settings):
        app.cleanup_ctx.append(_dispatcher)  # after the channels: it shares their sender
    console.setup(app)  # the staff console at /console/
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


async def _dispatcher(app: web.Application) -> AsyncIterator[None]:
    settings, stop = app[SETTINGS], asyncio.Event()
    dispatcher = Dispatcher(session_factory(app[ENGINE]), app[messaging.MESSAGING].sender,
                            channel_credentials(settings), clock=app[CLOCK],
                            lease_timeout=settings.dispatch_lease_timeout_seconds,
                            batch_size=settings.dispatch_batch_size)
    running = asyncio.create_task(dispatcher.run(stop))
    yield
    stop.set()
    await running
