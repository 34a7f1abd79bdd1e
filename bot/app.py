"""The aiohttp application factory: routes, resources and error handling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from . import messaging
from .channels import web as web_channel
from .content import seed_demo_content
from .db.engine import create_engine, session_factory
from .keys import CLOCK, ENGINE, LOOP, METRICS, SETTINGS
from .loop import utcnow
from .metrics import Metrics
from .runtime import build_loop, knowledge_source
from .settings import Settings

log = logging.getLogger("suara.app")

MAX_BODY_BYTES = 64 * 1024
INTERNAL_ERROR = {
    "error": "Terjadi kesalahan di server. Silakan coba lagi. / Something went wrong on the server. Please try again."
}


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> web.Application:
    """Build the server. The database must already be migrated (``suara serve`` does it)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_errors])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[CLOCK] = clock
    app.cleanup_ctx.append(_resources)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
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


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        async with request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means "not ready"
        log.warning("database_unreachable", extra={"error": type(exc).__name__})
        return web.json_response({"status": "database unreachable"}, status=503)
    return web.json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def _errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Never show a traceback: HTTP errors get a short JSON body, bugs a generic one."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response(
            {"error": f"Pesan terlalu besar (maks. {MAX_BODY_BYTES // 1024} KiB). / Request too large."}, status=413
        )
    except web.HTTPException:
        raise
    except Exception:
        log.exception("request_failed", extra={"path": request.path})
        return web.json_response(INTERNAL_ERROR, status=500)
