"""The inbox list: conversations where a voter asked for a person or the bot gave up, the one
with the newest message first, filtered by state and by "assigned to me"."""

from __future__ import annotations

from aiohttp import web

from bot.console.inbox_data import conversation_page, number, parse_state
from bot.console.keys import DB, USER
from bot.console.render import render
from bot.storage.inbox_models import STATES

routes = web.RouteTableDef()


@routes.get("/inbox", name="inbox.list")
async def inbox_list(request: web.Request) -> web.StreamResponse:
    state, mine = parse_state(request.query.get("state")), request.query.get("mine") == "1"
    page = min(number(request.query.get("page", "1")) or 1, 10**6)
    async with request.app[DB]() as db:
        rows, pages = await conversation_page(db, state, request[USER].id if mine else None, max(1, page))
    return await render(request, "inbox_list.html", {"rows": rows, "state": state, "mine": mine, "states": STATES,
                                                     "page": min(max(1, page), pages), "pages": pages})
