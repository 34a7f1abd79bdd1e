"""Rendering console pages: one Jinja2 environment (autoescape on for every template) and the
context every page shares (the signed-in user, navigation, language, CSRF token, flashes)."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session
from markupsafe import Markup, escape

from bot.console.access import allowed, nav_for
from bot.console.keys import USER
from bot.console.sessions import csrf_token, language, pop_flashes
from bot.console.texts import text
from bot.server.keys import SETTINGS

TEMPLATES = Path(__file__).parent / "templates"
# Bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM) can make
# voter text display as something else; they are shown as visible code points instead.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def setup_templates(app: web.Application) -> None:
    environment = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                       undefined=jinja2.StrictUndefined)
    environment.filters["voter"] = voter_text


def voter_text(value: object) -> Markup:
    """Text a voter wrote: escaped, bidirectional controls made visible, isolated in ``<bdi>``
    so it cannot reorder the page around it."""
    escaped = str(escape(str(value)))
    visible = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", escaped)
    return Markup(f"<bdi>{visible}</bdi>")


def url(request: web.Request, name: str, query: dict[str, str] | None = None, **parts: str) -> str:
    """The path of the console route ``name`` (with ``parts`` in its placeholders)."""
    target = request.app.router[name].url_for(**parts)
    return str(target.with_query(query) if query else target)


async def render(request: web.Request, template: str, context: dict[str, Any] | None = None,
                 *, status: int = 200) -> web.Response:
    """The page ``template`` with the shared context and ``context``."""
    session = await get_session(request)
    lang = language(session, request.config_dict[SETTINGS].default_language)
    user = request.get(USER)
    shared = {
        "t": partial(text, lang),
        "lang": lang,
        "user": user,
        "nav": nav_for(user.role) if user else [],
        "csrf_token": csrf_token(session),
        "flashes": pop_flashes(session),
        "url": partial(url, request),
        "path": request.path,
        "may": lambda name: allowed(name, user.role if user else None),
    }
    return aiohttp_jinja2.render_template(template, request, shared | (context or {}), status=status)
