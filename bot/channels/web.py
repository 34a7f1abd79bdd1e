"""The web chat channel: a page served at ``/`` and a JSON endpoint it posts messages to.

``POST /api/web/messages`` takes ``{"contact": str, "id": str, "text": str}``,
``{"contact": str, "id": str, "payload": str}`` or a shared location
``{"contact": str, "id": str, "location": {"latitude": float, "longitude": float}}`` and answers
``{"replies": [...], "duplicate": bool, "live": bool}``.
The page keeps a random contact id in the browser's storage; ``id`` is a fresh random id per
message, so a retried request is processed once.

``GET /api/web/messages?contact=…&after=N`` answers ``{"messages": [{"id", "text"}], "live": bool}``:
what staff sent this voter from the console inbox after message ``N`` (not direct replies).
``live`` says the conversation is with staff, so the page keeps polling. The contact id is the
voter's only credential, as for the POST: it is random and known only to the voter's browser.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot.channels.json_body import BadBody, decode
from bot.conversation.handover import agent_messages
from bot.server.keys import CLOCK, ENGINE, LOOP
from bot.storage.engine import session_factory
from bot.conversation.messages import InboundMessage, OutboundMessage

CHANNEL = "web"
STATIC = Path(__file__).parent / "static"
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_MAX_PAYLOAD = 128
_AFTER = re.compile(r"^[0-9]{1,18}$")

routes = web.RouteTableDef()


class BadRequest(ValueError):
    """The request is malformed; the message is shown to whoever sent it."""


@routes.get("/")
async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-cache"})


@routes.post("/api/web/messages")
async def post_message(request: web.Request) -> web.Response:
    try:
        inbound = parse_body(decode(await request.read()), request.app[CLOCK]())
    except (BadBody, BadRequest) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    result = await request.app[LOOP].handle(inbound)
    _, live = await agent_messages(session_factory(request.app[ENGINE]), CHANNEL, inbound.external_id)
    return web.json_response({"replies": [_reply_json(r) for r in result.replies], "duplicate": result.duplicate,
                              "live": live})


@routes.get("/api/web/messages")
async def poll_messages(request: web.Request) -> web.Response:
    """Messages staff sent this voter after ``after`` (see the module notes)."""
    contact, after = request.query.get("contact", ""), request.query.get("after", "0")
    if not _ID.match(contact) or not _AFTER.match(after):
        return web.json_response({"error": "contact must be a web chat id and after a message id"}, status=400)
    found, live = await agent_messages(session_factory(request.app[ENGINE]), CHANNEL, contact, int(after))
    return web.json_response({"messages": [{"id": i, "text": text} for i, text in found], "live": live},
                             headers={"Cache-Control": "no-store"})


def parse_body(body: object, received_at) -> InboundMessage:  # noqa: ANN001 - datetime
    """Validate a web chat request body into an :class:`InboundMessage`."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    contact, message_id = body.get("contact"), body.get("id")
    if not isinstance(contact, str) or not _ID.match(contact):
        raise BadRequest("contact must be 1-64 letters, digits, '-' or '_'")
    if not isinstance(message_id, str) or not _ID.match(message_id):
        raise BadRequest("id must be 1-64 letters, digits, '-' or '_'")
    text, payload = body.get("text"), body.get("payload")
    if body.get("location") is not None:
        location = parse_location(body["location"])
        return InboundMessage(CHANNEL, contact, f"{contact}/{message_id}", received_at, location=location)
    if payload is not None:
        if not isinstance(payload, str) or not 0 < len(payload) <= _MAX_PAYLOAD:
            raise BadRequest(f"payload must be a string of 1-{_MAX_PAYLOAD} characters")
        text = None
    elif not isinstance(text, str):
        raise BadRequest("text must be a string")
    return InboundMessage(CHANNEL, contact, f"{contact}/{message_id}", received_at, text=text, payload=payload)


def parse_location(raw: object) -> tuple[float, float]:
    """``{"latitude": -6.9, "longitude": 107.6}`` → ``(latitude, longitude)``, validated."""
    if not isinstance(raw, dict) or set(raw) != {"latitude", "longitude"}:
        raise BadRequest("location must be an object with exactly latitude and longitude")
    values = []
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not -limit <= value <= limit:
            raise BadRequest(f"location.{name} must be a number from -{limit} to {limit}")
        values.append(float(value))
    return values[0], values[1]


def _reply_json(reply: OutboundMessage) -> dict[str, object]:
    return {"text": reply.text, "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons]}
