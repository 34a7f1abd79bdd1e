"""Signing in and out, the language switch and the home page (the audit log is ``audit_pages``)."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from bot.console.access import nav_for
from bot.console.accounts import Throttled, authenticate
from bot.console.audit import record
from bot.console.keys import DB, USER
from bot.console.render import render, url
from bot.console.sessions import LANGUAGES, flash, sign_in, sign_out
from bot.server.keys import CLOCK

routes = web.RouteTableDef()


@routes.get("/", name="home")
async def home(request: web.Request) -> web.StreamResponse:
    items = nav_for(request[USER].role)
    if items:
        raise web.HTTPFound(url(request, items[0][0]))
    return await render(request, "home.html")


@routes.get("/login", name="login.form")
async def login_form(request: web.Request) -> web.StreamResponse:
    return await render(request, "login.html", {"next": _safe_next(request.query.get("next", "")), "email": ""})


@routes.post("/login", name="login.submit")
async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    now = request.config_dict[CLOCK]()
    address = request.remote or "unknown"
    async with request.app[DB]() as db:
        try:
            user = await authenticate(db, email, password, address, now)
        except Throttled:
            user, problem = None, "login.throttled"
        else:
            problem = "login.failed"
        if user is not None:
            record(db, user, "staff_login", f"staff:{user.email}", now)
        await db.commit()
    if user is None:
        context = {"next": _safe_next(str(form.get("next", ""))), "email": email[:254], "problem": problem}
        return await render(request, "login.html", context, status=429 if problem == "login.throttled" else 401)
    await sign_in(request, user, now)
    request[USER] = user
    flash(await get_session(request), "login.welcome", email=user.email)
    raise web.HTTPFound(_safe_next(str(form.get("next", ""))) or url(request, "home"))


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    async with request.app[DB]() as db:
        record(db, request[USER], "staff_logout", f"staff:{request[USER].email}", request.config_dict[CLOCK]())
        await db.commit()
    await sign_out(request)
    session = await get_session(request)
    flash(session, "login.signed_out", "info")
    raise web.HTTPFound(url(request, "login.form"))


@routes.post("/lang", name="language")
async def switch_language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    chosen = str(form.get("lang", ""))
    if chosen in LANGUAGES:
        (await get_session(request))["lang"] = chosen
    raise web.HTTPFound(_safe_next(str(form.get("next", ""))) or url(request, "home"))


def _safe_next(target: str) -> str:
    """Only a path inside the console (no other site, no scheme) is followed after a form."""
    if target.startswith("/console/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return ""
