"""The console's middlewares: the session cookie, then the guard every route passes through.

The guard looks the route up in :data:`bot.console.access.ACCESS`: without a session a page
redirects to the login page and a form post gets 403; with the wrong role, 403. Every
state-changing request must carry the session's CSRF token (form field ``csrf_token`` or
header ``X-CSRF-Token``). Every answer gets the security headers (a strict
Content-Security-Policy: our own scripts and styles only, nothing inline).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import get_session, session_middleware

from bot.console.access import allowed, is_public
from bot.console.accounts import StaffUser, user_by_id
from bot.console.keys import DB, SESSION_STORAGE, USER
from bot.console.render import render, url
from bot.console.sessions import CSRF_FIELD, CSRF_HEADER, csrf_ok, flash, signed_in_as, still_valid
from bot.telemetry.logs import failure_site
from bot.server.keys import CLOCK, SETTINGS

log = logging.getLogger("suara.console")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp-session's middleware, over the cookie storage built at start-up."""
    return await session_middleware(request.app[SESSION_STORAGE])(request, handler)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type != "text/plain":
            raise
        response = await _error_page(request, exc.status, exc.reason)
    except Exception as exc:  # noqa: BLE001 - type and place only: the message can quote a voter's data
        log.error("console_request_failed", extra={"path": request.path, "error": type(exc).__name__,
                                                   "at": failure_site(exc)})
        response = await _error_page(request, 500, "")
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/console/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route.name
    if request.match_info.http_exception is not None:
        raise request.match_info.http_exception
    if is_public(route) and route == "static":
        return await handler(request)
    session = await get_session(request)
    user = await _current_user(request, session)
    if not allowed(route, user.role if user else None):
        if user is None and request.method in SAFE_METHODS:
            raise web.HTTPFound(url(request, "login.form", {"next": request.path_qs}))
        return await _error_page(request, 403, "")
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER) or (await request.post()).get(CSRF_FIELD)
        if not csrf_ok(session, given if isinstance(given, str) else None):
            return await _error_page(request, 403, "")
    return await handler(request)


async def _current_user(request: web.Request, session) -> StaffUser | None:  # noqa: ANN001 - aiohttp_session.Session
    """The signed-in staff member, or ``None``; ends a session that is idle, or whose account
    is gone or has a new password."""
    known = signed_in_as(session)
    if known is None:
        return None
    async with request.app[DB]() as db:
        user = await user_by_id(db, known[0])
    settings = request.config_dict[SETTINGS]
    if not still_valid(session, user, request.config_dict[CLOCK](), settings.console_idle_minutes * 60):
        session.clear()
        flash(session, "login.expired", "info")
        return None
    request[USER] = user
    return user


async def _error_page(request: web.Request, status: int, reason: str) -> web.Response:
    key = {403: "error.forbidden", 404: "error.not_found", 500: "error.server"}.get(status, "error.bad_request")
    return await render(request, "error.html", {"message_key": key, "reason": reason}, status=status)
