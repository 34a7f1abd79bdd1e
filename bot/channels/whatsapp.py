"""WhatsApp Cloud API over aiohttp: the verified webhook, message parsing, sending, templates.

``GET /webhooks/whatsapp`` answers Meta's subscription handshake; ``POST /webhooks/whatsapp``
checks ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the app secret), stores each
message and status as a durable event and answers 200; the events run in the background, in
order per voter. Replies go out through the one :class:`~bot.sender.Sender` as text, reply
buttons (at most 3, titles up to 20 characters), list messages (up to 10 rows) or, when a menu
fits neither, numbered text that the voter answers with a number.

Free text may only be sent within 24 hours of the voter's last message (the customer-service
window); after that only approved templates, listed in a small YAML registry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import ChannelIdentity, Message, OutboxMessage
from bot.channels.inbox import Inbox, Unusable
from bot.channels.json_body import decode
from bot.channels.location import coordinates
from bot.server.keys import SETTINGS
from bot.conversation.loop import ConversationLoop
from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.delivery.sender import BULK, Limits, Rejected, RetryLater, Sender, TemplateRequired, Transient, Unreachable
from bot.settings import Settings

from bot.channels.text import split_text

log = logging.getLogger("suara.whatsapp")

CHANNEL = "whatsapp"
SERVICE_WINDOW = timedelta(hours=24)
MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS, MAX_BUTTON_TITLE = 3, 20
MAX_ROWS, MAX_ROW_TITLE = 10, 24
SIGNATURE_HEADER = "X-Hub-Signature-256"
THROTTLED = {130429: "channel", 131056: "path"}  # throughput / per-user pair rate
RE_ENGAGEMENT, UNDELIVERABLE = 131047, 131026
TRANSIENT = {1, 2, 131000, 131016}  # "unknown", "service unavailable", "something went wrong"
_NUMBER = re.compile(r"^\s*([0-9]{1,2})\s*\.?\s*$")
_IDENTIFIER = re.compile(r"^[\x21-\x7e]{1,128}$")  # what Meta's ids are made of: printable ASCII
_WA_ID = re.compile(r"^[0-9]{5,20}$")


@dataclass(frozen=True, slots=True)
class Template:
    """An approved message template: its name, language code and how many body parameters."""

    name: str
    language: str
    parameters: int


class TemplateRegistry:
    """The templates approved in WhatsApp Manager that Suara may send, by name."""

    def __init__(self, templates: list[Template]) -> None:
        self._templates = {t.name: t for t in templates}

    @classmethod
    def load(cls, path: Path | None) -> "TemplateRegistry":
        """Read ``[{name, language, parameters}, …]`` from a YAML file (none: no templates)."""
        if path is None:
            return cls([])
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            return cls([Template(str(i["name"]), str(i["language"]), int(i.get("parameters", 0))) for i in items])
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"SUARA_WHATSAPP_TEMPLATES_FILE {path}: {exc}") from None

    def body(self, name: str, values: list[str]) -> dict[str, Any]:
        """The ``template`` request body for ``name`` filled with ``values``."""
        template = self._templates.get(name)
        if template is None:
            raise TemplateRequired(f"template {name!r} is not in the registry of approved templates")
        if len(values) != template.parameters:
            raise ValueError(f"template {name!r} takes {template.parameters} parameters, got {len(values)}")
        components = [{"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}] if values else []
        return {"type": "template", "template": {"name": name, "language": {"code": template.language},
                                                 "components": components}}


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def render(message: OutboundMessage) -> list[dict[str, Any]]:
    """A reply as Cloud API message bodies: text, reply buttons, a list, or numbered text."""
    buttons = message.buttons
    if not buttons:
        return [{"type": "text", "text": {"body": piece, "preview_url": False}}
                for piece in split_text(message.text, MAX_TEXT)]
    if (len(buttons) <= MAX_BUTTONS and len(message.text) <= MAX_INTERACTIVE_BODY
            and all(len(b.title) <= MAX_BUTTON_TITLE for b in buttons)):
        return [{"type": "interactive", "interactive": {
            "type": "button", "body": {"text": message.text},
            "action": {"buttons": [{"type": "reply", "reply": {"id": b.payload, "title": b.title}} for b in buttons]},
        }}]
    if (len(buttons) <= MAX_ROWS and len(message.text) <= MAX_INTERACTIVE_BODY
            and all(len(b.title) <= MAX_ROW_TITLE for b in buttons)):
        return [{"type": "interactive", "interactive": {
            "type": "list", "body": {"text": message.text},
            "action": {"button": "Pilih / Choose", "sections": [{"title": "Menu", "rows": [
                {"id": b.payload, "title": b.title} for b in buttons]}]},
        }}]
    numbered = "\n".join(f"{n}. {b.title}" for n, b in enumerate(buttons, start=1))
    text = f"{message.text}\n\n{numbered}\n\nBalas dengan nomor pilihan Anda. / Reply with a number."
    return [{"type": "text", "text": {"body": piece, "preview_url": False}} for piece in split_text(text, MAX_TEXT)]


class WhatsAppTransport:
    """Posts to ``/{version}/{phone-number-id}/messages`` and maps Graph API errors."""

    channel = CHANNEL
    service_window: timedelta | None = SERVICE_WINDOW

    def __init__(self, settings: Settings, limits: Limits, http: aiohttp.ClientSession) -> None:
        assert settings.whatsapp_token is not None
        self.limits, self._http = limits, http
        self._url = (f"{settings.whatsapp_api_url.rstrip('/')}/{settings.whatsapp_api_version}/"
                     f"{settings.whatsapp_phone_number_id}/messages")
        self._headers = {"Authorization": f"Bearer {settings.whatsapp_token.get_secret_value()}"}

    def render(self, message: OutboundMessage) -> list[dict[str, Any]]:
        return render(message)

    async def deliver(self, external_id: str, body: dict[str, Any], key: str) -> str:
        request = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": external_id,
                   **body, "biz_opaque_callback_data": key}
        try:
            async with self._http.post(self._url, json=request, headers=self._headers,
                                       timeout=aiohttp.ClientTimeout(total=15)) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {}
        if status == 200 and answer.get("messages"):
            return str(answer["messages"][0]["id"])
        raise _error(status, answer)


def _error(status: int, answer: dict[str, Any]) -> Exception:
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    code, message = error.get("code"), str(error.get("message") or f"HTTP {status}")
    code = int(code) if str(code).isdigit() else None
    if code in THROTTLED:
        return RetryLater(message, 6.0 if code == 131056 else 1.0, THROTTLED[code])  # type: ignore[arg-type]
    if code == RE_ENGAGEMENT:
        return TemplateRequired(f"{message} (outside the 24-hour window: send an approved template)")
    if code == UNDELIVERABLE:
        return Unreachable(message)
    if status >= 500 or code in TRANSIENT:
        return Transient(message)
    if status == 429:
        return RetryLater(message, 1.0, "channel")
    return Rejected(f"{code or status}: {message}")


Event = tuple[str, str, dict[str, Any]]


def events(payload: object) -> tuple[list[Event], list[str]]:
    """Split a webhook payload into ``(event id, voter, event)``, one per message or status, and
    the reasons for the items left out (ids that are not ids). :class:`Unusable` for a payload
    that is not a WhatsApp Business Account webhook at all."""
    if (not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account"
            or not isinstance(payload.get("entry"), list)):
        raise Unusable("not_a_whatsapp_webhook")
    found: list[Event] = []
    dropped: list[str] = []
    for entry in payload["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            for message in _items(value.get("messages")):
                message_id, wa_id = _identifier(message.get("id")), _wa_id(message.get("from"))
                if message_id and wa_id:
                    found.append((message_id, wa_id, {"message": message}))
                else:
                    dropped.append("message_id" if wa_id else "from")
            for status in _items(value.get("statuses")):
                status_id, state = _identifier(status.get("id")), status.get("status")
                recipient = status.get("recipient_id", "")
                if status_id and isinstance(state, str) and _IDENTIFIER.match(state) and (
                        recipient == "" or _wa_id(recipient)):
                    found.append((f"status:{status_id}:{state}", str(recipient), {"status": status}))
                else:
                    dropped.append("status")
    return found, dropped


def _items(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _identifier(value: object) -> str | None:
    """A message or status id as stored (printable, at most 128 characters), else None."""
    return value if isinstance(value, str) and _IDENTIFIER.match(value) else None


def _wa_id(value: object) -> str | None:
    """A WhatsApp user id: the phone number's digits (as a string, or a JSON number)."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return text if isinstance(text, str) and _WA_ID.match(text) else None


def _field(message: dict[str, Any], name: str) -> dict[str, Any]:
    """``message[name]``, which must be an object (empty when absent)."""
    value = message.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unusable(f"{name}_shape")
    return value


def _string(container: dict[str, Any], name: str, reason: str) -> str | None:
    value = container.get(name)
    if value is not None and not isinstance(value, str):
        raise Unusable(reason)
    return value


class WhatsAppChannel:
    """Turns webhook events into loop input and delivery states, and replies into sends."""

    def __init__(
        self, settings: Settings, loop: ConversationLoop, sender: Sender, inbox: Inbox,
        sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime], templates: TemplateRegistry,
    ) -> None:
        self.settings, self.loop, self.sender, self.templates = settings, loop, sender, templates
        self._sessions, self._clock = sessions, clock
        self.inbox = inbox
        inbox.register(CHANNEL, self.process)

    async def send_template(self, wa_id: str, name: str, values: list[str], key: str, priority: int = BULK) -> list[int]:
        """Send an approved template (allowed outside the 24-hour window)."""
        return await self.sender.send_bodies(CHANNEL, wa_id, [self.templates.body(name, values)], key, priority)

    async def process(self, event: dict[str, Any]) -> None:
        if "status" in event:
            await self._on_status(event["status"])
        elif "message" in event:
            await self._on_message(event["message"])

    async def _on_message(self, message: dict[str, Any]) -> None:
        wa_id, kind = str(message["from"]), message.get("type")
        text = payload = location = None
        if kind == "text":
            text = _string(_field(message, "text"), "body", "text_body") or ""
            payload = await self._numbered_choice(wa_id, text)
            text = None if payload else text
        elif kind == "interactive":
            interactive = _field(message, "interactive")
            reply = _field(interactive, "button_reply") or _field(interactive, "list_reply")
            payload = (_string(reply, "id", "interactive_id") or "")[:128] or None
        elif kind == "button":  # a template's quick-reply button
            payload = (_string(_field(message, "button"), "payload", "button_payload") or "")[:128] or None
        elif kind == "location":
            place = message.get("location")
            location = coordinates(place.get("latitude"), place.get("longitude")) if isinstance(place, dict) else None
        received = _timestamp(message.get("timestamp")) or self._clock()
        result = await self.loop.handle(InboundMessage(
            CHANNEL, wa_id, str(message["id"]), received, text=text, payload=payload, location=location))
        if result.replies:  # a duplicate's stored replies too: their outbox keys make that a no-op
            await self.sender.send_replies(result.replies)

    async def _numbered_choice(self, wa_id: str, text: str) -> str | None:
        """A number answering the last numbered menu we sent this voter, as that button's payload."""
        match = _NUMBER.match(text)
        if not match:
            return None
        async with self._sessions() as db:
            last = await db.scalar(
                select(Message).join(ChannelIdentity, ChannelIdentity.contact_id == Message.contact_id)
                .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == wa_id,
                       Message.channel == CHANNEL, Message.direction == "out", Message.buttons.is_not(None))
                .order_by(Message.id.desc()).limit(1))
        buttons = last.buttons or [] if last else []
        number = int(match.group(1))
        return buttons[number - 1]["payload"] if 1 <= number <= len(buttons) else None

    async def _on_status(self, status: dict[str, Any]) -> None:
        state = str(status["status"])[:16]
        errors = status.get("errors")
        error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        detail = f"{error.get('code')}: {error.get('title') or error.get('message', '')}" if error else None
        if detail:  # kept for staff; a NUL or other control character is not text PostgreSQL keeps
            detail = "".join(ch for ch in detail if ch.isprintable())[:256]
        key = _identifier(status.get("biz_opaque_callback_data"))
        match = OutboxMessage.platform_message_id == str(status["id"])
        if key:
            match = or_(match, OutboxMessage.idempotency_key == str(key))
        values: dict[str, Any] = {"delivery_status": state, "updated_at": self._clock()}
        if detail:
            values["delivery_error"] = detail
        async with self._sessions() as db, db.begin():
            await db.execute(update(OutboxMessage).where(OutboxMessage.channel == CHANNEL, match).values(**values))
            # A send whose answer was lost (a crash) is settled by the platform's own report.
            await db.execute(update(OutboxMessage)
                             .where(OutboxMessage.channel == CHANNEL, match, OutboxMessage.status == "pending")
                             .values(status="sent", platform_message_id=str(status["id"])))
            if error.get("code") == UNDELIVERABLE:
                await db.execute(update(ChannelIdentity)
                                 .where(ChannelIdentity.channel == CHANNEL,
                                        ChannelIdentity.external_id == str(status.get("recipient_id")),
                                        ChannelIdentity.unreachable_at.is_(None))
                                 .values(unreachable_at=self._clock()))


def _timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


WHATSAPP = web.AppKey("whatsapp", WhatsAppChannel)


async def verify(request: web.Request) -> web.Response:
    """``GET /webhooks/whatsapp``: Meta's subscription handshake."""
    settings = request.app[SETTINGS]
    query = request.query
    token = query.get("hub.verify_token", "")
    expected = settings.whatsapp_verify_token.get_secret_value() if settings.whatsapp_verify_token else None
    if query.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return web.Response(text=query.get("hub.challenge", ""))
    return web.json_response({"error": "verification failed"}, status=403)


async def webhook(request: web.Request) -> web.Response:
    """``POST /webhooks/whatsapp``: verify the signature, store the events, answer 200."""
    settings = request.app[SETTINGS]
    raw = await request.read()
    secret = settings.whatsapp_app_secret
    given = request.headers.get(SIGNATURE_HEADER, "")
    if secret is None or not hmac.compare_digest(given.encode(), sign(secret.get_secret_value(), raw).encode()):
        log.warning("whatsapp_bad_signature")
        return web.json_response({"error": "unauthorized"}, status=401)
    channel = request.app[WHATSAPP]
    try:
        found, dropped = events(decode(raw))
    except ValueError as exc:
        # Acknowledged all the same: Meta redelivers a refused webhook for days.
        found, dropped = [], [exc.reason if isinstance(exc, Unusable) else "bad_json"]
    for reason in dropped:
        channel.inbox.dropped(CHANNEL, reason)
    for event_id, wa_id, event in found:
        await channel.inbox.accept(CHANNEL, event_id, wa_id, event)
    return web.json_response({"ok": True})
