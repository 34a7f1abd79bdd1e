"""One inbox conversation: the (redacted) history, the voter's language, region and signals
with their evidence, private notes, and the forms to take, assign, reply and resolve.

``GET /inbox/{id}/updates?after=N`` answers the messages after ``N`` as JSON, which
``console.js`` adds to the open page; without script a reload shows them.
"""

from __future__ import annotations

from aiohttp import web

from bot.console.inbox_actions import gone
from bot.console.inbox_data import agents, canned_replies, emails, evidence, find, history, notes, number
from bot.console.inbox_reply import plan
from bot.console.keys import DB, USER
from bot.console.render import render
from bot.storage.inbox_models import STATES

routes = web.RouteTableDef()


@routes.get("/inbox/{conversation_id}", name="inbox.conversation")
async def conversation_page(request: web.Request) -> web.StreamResponse:
    async with request.app[DB]() as db:
        found = await find(db, request.match_info["conversation_id"])
        if found is None:
            raise await gone(request)
        conversation, contact = found
        lines = await history(db, contact.id)
        context = {
            "conversation": conversation, "contact": contact, "lines": lines,
            "last_id": lines[-1].message.id if lines else 0,
            "assignee": (await emails(db, [conversation.assignee_id])).get(conversation.assignee_id or 0),
            "signals": await evidence(db, contact.id), "notes": await notes(db, conversation.id),
            "canned": await canned_replies(db), "agents": await agents(db), "route": await plan(request, db, contact),
            "states": STATES, "mine": conversation.assignee_id == request[USER].id,
        }
    return await render(request, "inbox_conversation.html", context)


@routes.get("/inbox/{conversation_id}/updates", name="inbox.updates")
async def conversation_updates(request: web.Request) -> web.StreamResponse:
    """New messages of the conversation as JSON, for the open page to add."""
    after = number(request.query.get("after", "0")) or 0
    async with request.app[DB]() as db:
        found = await find(db, request.match_info["conversation_id"])
        if found is None:
            return web.json_response({"error": "gone"}, status=410)
        conversation, contact = found
        lines = await history(db, contact.id, after)
    return web.json_response({"messages": [line.as_json() for line in lines], "state": conversation.state})
