"""Mounting the console: a sub-application at ``/console/`` with its own middlewares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

from aiohttp import web

from bot.console import auth_pages, knowledge_pages, unanswered_pages
from bot.console import flow_pages
from bot.console import inbox_actions, inbox_canned, inbox_conversation, inbox_list, inbox_reply
from bot.console import audit_pages, campaign_pages, contact_pages, dashboard_pages
from bot.console.keys import DB, PLANNING, PUBLISH_LOCK, SESSION_STORAGE
from bot.console.guard import guard, sessions
from bot.console.planning import Planning
from bot.console.render import setup_templates
from bot.console.sessions import cookie_storage
from bot.server.keys import CLOCK, ENGINE, SETTINGS
from bot.storage.engine import session_factory
from bot.storage.shared_keys import shared_key

STATIC = Path(__file__).parent / "static"
COOKIE_KEY = "session_cookie_key"  # its row in console_secrets
#: Every page group's routes; a new page module adds its ``routes`` here.
PAGES = (auth_pages.routes, knowledge_pages.routes, unanswered_pages.routes, flow_pages.routes,
         audit_pages.routes, contact_pages.routes, campaign_pages.routes, dashboard_pages.routes,
         inbox_list.routes, inbox_conversation.routes, inbox_actions.routes, inbox_reply.routes,
         inbox_canned.routes)


def setup(app: web.Application) -> None:
    """Serve the console under ``/console/`` of ``app``."""
    console = web.Application(middlewares=[sessions, guard])
    setup_templates(console)
    for routes in PAGES:
        console.router.add_routes(routes)
    console.router.add_static("/static/", STATIC, name="static")
    console.cleanup_ctx.append(partial(_resources, app))
    app.add_subapp("/console/", console)


async def _resources(app: web.Application, console: web.Application) -> AsyncIterator[None]:
    """Runs after the main application's resources, so its database engine is ready."""
    settings, engine = app[SETTINGS], app[ENGINE]
    key = await shared_key(settings.console_secret, engine, COOKIE_KEY, app[CLOCK]())
    console[SESSION_STORAGE] = cookie_storage(key, settings.console_idle_minutes * 60)
    console[DB] = session_factory(engine)
    console[PUBLISH_LOCK] = asyncio.Lock()
    console[PLANNING] = Planning(console[DB])
    yield
    await console[PLANNING].close()
