"""The web chat channel: a page served at ``/`` and a JSON endpoint it posts messages to.

``POST /api/web/contacts`` answers ``{"contact": str}``: a contact id the server issued
(:mod:`bot.channels.web_contacts`). Every other call must carry such an id; one the server did
not issue gets 403 with ``"code": "unknown_contact"`` before anything is read or changed, so a
guessed id reveals nothing. The page keeps its id in ``localStorage`` and sends it in the body,
not in a cookie: the widget also runs in an iframe on other sites, where browsers block
third-party cookies, and a credential that is never sent automatically cannot be used by
another site's forms (no CSRF). Every call counts against a token bucket per client address
(:mod:`bot.channels.web_limits`); over it: 429 with ``Retry-After``.

``POST /api/web/messages`` takes ``{"contact": str, "id": str, "text": str}``,
``{"contact": str, "id": str, "payload": str}`` or a shared location
``{"contact": str, "id": str, "location": {"latitude": float, "longitude": float}}`` and answers
``{"replies": [...], "duplicate": bool, "live": bool}``.
``id`` is a fresh random id per message, so a retried request is processed once.

``GET /api/web/messages?contact=…&after=N`` answers ``{"messages": [{"id", "text"}], "live": bool}``:
what staff sent this voter from the console inbox after message ``N`` (not direct replies).
``live`` says the conversation is with staff, so the page keeps polling. The contact id is the
voter's only credential, as for the POST: issued by the server and known only to the voter's browser.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.channels import web_contacts
from bot.channels.json_body import BadBody, decode
from bot.channels.web_limits import AddressLimiter, client_address
from bot.conversation.handover import agent_messages
from bot.server.keys import CLOCK, ENGINE, LOOP, METRICS, SETTINGS
from bot.storage.shared_keys import shared_key
from bot.storage.engine import session_factory
from bot.conversation.messages import InboundMessage, OutboundMessage

CHANNEL = "web"
STATIC = Path(__file__).parent / "static"
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_MAX_PAYLOAD = 128
_AFTER = re.compile(r"^[0-9]{1,18}$")

CONTACT_KEY_NAME = "web_contact_key"  # its row in console_secrets when SUARA_WEB_SECRET is unset
UNKNOWN_CONTACT = {
    "error": "Sesi obrolan ini tidak dikenal. Muat ulang halaman untuk memulai sesi baru. / "
             "This chat session is not recognised. Reload the page to start a new one.",
    "code": "unknown_contact",
}

CONTACT_KEY = web.AppKey("web_contact_key", bytes)
LIMITER = web.AppKey("web_limiter", AddressLimiter)

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup(app: web.Application) -> None:
    """Serve the chat page and its API on ``app`` (after its database resources)."""
    app.router.add_routes(routes)
    app.router.add_static("/static/", STATIC)
    app.cleanup_ctx.append(_resources)


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[CONTACT_KEY] = await shared_key(settings.web_secret, app[ENGINE], CONTACT_KEY_NAME, app[CLOCK]())
    app[LIMITER] = AddressLimiter(settings.web_rate_per_second, settings.web_burst)
    yield


def rate_limited(handler: Handler) -> Handler:
    """Answer 429 with ``Retry-After`` when the client's address is over its bucket."""
    @functools.wraps(handler)
    async def limited(request: web.Request) -> web.StreamResponse:
        address = client_address(request.remote, request.headers.get("X-Forwarded-For"),
                                 request.app[SETTINGS].trusted_proxy_networks)
        wait = request.app[LIMITER].take(address)
        if wait:
            request.app[METRICS].web_refused.labels(reason="rate_limited").inc()
            return web.json_response(
                {"error": f"Terlalu banyak pesan. Coba lagi dalam {wait} detik. / "
                          f"Too many messages. Try again in {wait} seconds.", "code": "rate_limited"},
                status=429, headers={"Retry-After": str(wait)})
        return await handler(request)
    return limited


def _unknown(request: web.Request, contact: str) -> web.Response | None:
    """403 for a contact id this server did not issue (``None`` when it did)."""
    if web_contacts.issued(request.app[CONTACT_KEY], contact):
        return None
    request.app[METRICS].web_refused.labels(reason="unknown_contact").inc()
    return web.json_response(UNKNOWN_CONTACT, status=403)


class BadRequest(ValueError):
    """The request is malformed; the message is shown to whoever sent it."""


@routes.get("/")
async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-cache"})


@routes.post("/api/web/contacts")
@rate_limited
async def new_contact(request: web.Request) -> web.Response:
    """A new contact id for a browser that has none (or whose id was refused)."""
    return web.json_response({"contact": web_contacts.issue(request.app[CONTACT_KEY])}, status=201,
                             headers={"Cache-Control": "no-store"})


@routes.post("/api/web/messages")
@rate_limited
async def post_message(request: web.Request) -> web.Response:
    try:
        inbound = parse_body(decode(await request.read()), request.app[CLOCK]())
    except (BadBody, BadRequest) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    if (refused := _unknown(request, inbound.external_id)) is not None:
        return refused
    result = await request.app[LOOP].handle(inbound)
    _, live = await agent_messages(session_factory(request.app[ENGINE]), CHANNEL, inbound.external_id)
    return web.json_response({"replies": [_reply_json(r) for r in result.replies], "duplicate": result.duplicate,
                              "live": live})


@routes.get("/api/web/messages")
@rate_limited
async def poll_messages(request: web.Request) -> web.Response:
    """Messages staff sent this voter after ``after`` (see the module notes)."""
    contact, after = request.query.get("contact", ""), request.query.get("after", "0")
    if not _ID.match(contact) or not _AFTER.match(after):
        return web.json_response({"error": "contact must be a web chat id and after a message id"}, status=400)
    if (refused := _unknown(request, contact)) is not None:
        return refused
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
