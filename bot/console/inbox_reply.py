"""An agent's reply to a voter: over the voter's own channel, through the one sender.

The reply goes to the channel the voter last wrote on. The web chat picks it up by polling
(``GET /api/web/messages``); Telegram and WhatsApp get it through the sender's outbox like
any reply. WhatsApp allows free text only within 24 hours of the voter's last message: after
that the reply goes out as the approved template :data:`AGENT_TEMPLATE` when the template
registry has it, or is refused with a clear message in the page. A voter who said STOP gets
nothing. Replying to a conversation nobody holds takes it, so the bot stays quiet from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

import nlu

from bot.channels import whatsapp
from bot.channels.messaging import MESSAGING
from bot.channels.web import CHANNEL as WEB
from bot.console.audit import record
from bot.console.inbox_actions import back, gone, take
from bot.console.inbox_data import find, number, reply_channel
from bot.console.keys import DB, USER
from bot.console.sessions import flash
from bot.conversation.messages import OutboundMessage
from bot.delivery.sender import REPLY, TemplateRequired
from bot.server.keys import CLOCK
from bot.storage.inbox_models import AgentReply, CannedReply
from bot.storage.models import Contact, Message

#: The approved WhatsApp template for an agent's reply outside the 24-hour window: one body
#: parameter (the reply) or none (a "please write back" nudge). Listed in the template registry.
AGENT_TEMPLATE = "balasan_petugas"
MAX_REPLY = 4096
#: Channels that only take free text for a while after the voter's last message.
WINDOWS: dict[str, timedelta] = {whatsapp.CHANNEL: whatsapp.SERVICE_WINDOW}

routes = web.RouteTableDef()


@dataclass(frozen=True, slots=True)
class Route:
    """How a reply to this voter would go out now, or why it cannot (a text key)."""

    channel: str
    external_id: str
    refusal: str | None = None
    template: dict[str, Any] | None = None
    window_ends: datetime | None = None


def _template(request: web.Request, text: str) -> dict[str, Any] | None:
    """The WhatsApp template body for ``text`` outside the window, if one is configured."""
    channel = request.config_dict.get(whatsapp.WHATSAPP)
    if channel is None:
        return None
    for values in ([" ".join(text.split())[:1000]], []):
        try:
            return channel.templates.body(AGENT_TEMPLATE, values)
        except TemplateRequired:
            return None
        except ValueError:
            continue  # the template takes no parameter (or a different number)
    return None


async def plan(request: web.Request, db: AsyncSession, contact: Contact, text: str = "…") -> Route:
    """How a reply to ``contact`` (``text``) would go out now, or why it cannot."""
    channel, identity, last_in = await reply_channel(db, contact.id)
    external_id = identity.external_id if identity else ""
    messaging = request.config_dict.get(MESSAGING)
    if contact.opted_out:
        return Route(channel, external_id, "inbox.refuse.stopped")
    if identity is None or (channel != WEB and (messaging is None or not messaging.sender.handles(channel))):
        return Route(channel, external_id, "inbox.refuse.no_channel")
    if identity.unreachable_at is not None:
        return Route(channel, external_id, "inbox.refuse.unreachable")
    window = WINDOWS.get(channel)
    if window is None:
        return Route(channel, external_id)
    ends = last_in + window if last_in else None
    if ends is not None and request.config_dict[CLOCK]() < ends:
        return Route(channel, external_id, window_ends=ends)
    template = _template(request, text)
    return Route(channel, external_id, None if template else "inbox.refuse.window", template, ends)


@routes.post("/inbox/{conversation_id}/reply", name="inbox.reply")
async def reply(request: web.Request) -> web.StreamResponse:
    raw, form = request.match_info["conversation_id"], await request.post()
    text, canned = str(form.get("text", "")).strip(), str(form.get("canned", ""))
    now, user, session = request.config_dict[CLOCK](), request[USER], await get_session(request)
    async with request.app[DB]() as db:
        found = await find(db, raw)
        if found is None:
            raise await gone(request)
        if not text and (canned_id := number(canned)) is not None:  # chosen without script to fill the box
            chosen = await db.get(CannedReply, canned_id)
            text = chosen.text if chosen else ""
        if not text or len(text) > MAX_REPLY:
            flash(session, "inbox.reply_empty", "error", limit=str(MAX_REPLY))
            raise back(request, raw)
        conversation, contact = found
        route = await plan(request, db, contact, text)
        if route.refusal:
            flash(session, route.refusal, "error")
            raise back(request, raw)
        message = Message(contact_id=contact.id, direction="out", channel=route.channel, text=nlu.redact(text),
                          created_at=now)
        db.add(message)
        await db.flush()
        template = AGENT_TEMPLATE if route.template else None
        db.add(AgentReply(message_id=message.id, contact_id=contact.id, author=user.email, via_template=template))
        if conversation.assignee_id is None or conversation.state == "resolved":
            await take(db, user, conversation, contact, now)
        record(db, user, "inbox_replied", f"conversation:{conversation.id}", now, channel=route.channel,
               message_id=message.id, template=template)
        await db.commit()
    if not await _deliver(request, route, text, message.id):
        async with request.app[DB]() as db:
            await db.execute(delete(Message).where(Message.id == message.id))
            record(db, user, "inbox_reply_refused", f"conversation:{conversation.id}", now, channel=route.channel)
            await db.commit()
        flash(session, "inbox.refuse.window", "error")
        raise back(request, raw)
    flash(session, "inbox.sent_template" if template else "inbox.sent", channel=route.channel)
    raise back(request, raw)


async def _deliver(request: web.Request, route: Route, text: str, message_id: int) -> bool:
    """Hand the stored reply to the sender (the web chat polls for it instead); ``False`` when
    the platform window closed meanwhile."""
    if route.channel == WEB:
        return True
    sender = request.config_dict[MESSAGING].sender
    try:
        if route.template is not None:
            await sender.send_bodies(route.channel, route.external_id, [route.template],
                                     f"{route.channel}:m{message_id}", REPLY)
        else:
            await sender.send_replies([OutboundMessage(route.channel, route.external_id, text, (), message_id)], REPLY)
    except TemplateRequired:
        return False
    return True
