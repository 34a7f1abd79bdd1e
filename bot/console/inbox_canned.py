"""Canned replies: the ready answers agents pick in the reply box — list, add, delete."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from bot.console.audit import record
from bot.console.inbox_data import canned_replies, number
from bot.console.keys import DB, USER
from bot.console.render import render, url
from bot.console.sessions import LANGUAGES, flash
from bot.server.keys import CLOCK
from bot.storage.inbox_models import CannedReply

MAX_TITLE, MAX_TEXT = 80, 4096

routes = web.RouteTableDef()


@routes.get("/canned-replies", name="canned.list")
async def canned_list(request: web.Request) -> web.StreamResponse:
    async with request.app[DB]() as db:
        replies = await canned_replies(db)
    return await render(request, "inbox_canned.html", {"replies": replies, "languages": LANGUAGES})


@routes.post("/canned-replies/add", name="canned.add")
async def canned_add(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    title, text = str(form.get("title", "")).strip(), str(form.get("text", "")).strip()
    language = str(form.get("language", ""))
    if not title or not text or language not in LANGUAGES or len(title) > MAX_TITLE or len(text) > MAX_TEXT:
        raise web.HTTPBadRequest(reason=f"a title (at most {MAX_TITLE} characters), a language and a text "
                                        f"(at most {MAX_TEXT} characters)")
    now = request.config_dict[CLOCK]()
    async with request.app[DB]() as db:
        reply = CannedReply(title=title, language=language, text=text, created_at=now)
        db.add(reply)
        await db.flush()
        record(db, request[USER], "canned_reply_added", f"canned:{reply.id}", now,
               after={"title": title, "language": language, "text": text})
        await db.commit()
    flash(await get_session(request), "canned.added", title=title)
    raise web.HTTPFound(url(request, "canned.list"))


@routes.post("/canned-replies/{canned_id}/delete", name="canned.delete")
async def canned_delete(request: web.Request) -> web.StreamResponse:
    raw, now = request.match_info["canned_id"], request.config_dict[CLOCK]()
    async with request.app[DB]() as db:
        wanted = number(raw)
        reply = await db.get(CannedReply, wanted) if wanted is not None else None
        if reply is not None:
            record(db, request[USER], "canned_reply_deleted", f"canned:{reply.id}", now,
                   before={"title": reply.title, "language": reply.language, "text": reply.text})
            await db.delete(reply)
            await db.commit()
    flash(await get_session(request), "canned.deleted" if reply else "canned.not_found", "ok" if reply else "error")
    raise web.HTTPFound(url(request, "canned.list"))
