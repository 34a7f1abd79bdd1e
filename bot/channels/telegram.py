"""Telegram through python-telegram-bot's ``Bot``: webhook or long polling, one set of handlers.

Updates arrive at ``POST /webhooks/telegram/<bot id>`` (checked against the secret given to
``setWebhook``) or from ``getUpdates`` (``suara telegram --polling``); both hand them to the
durable :class:`~bot.inbox.Inbox`, which runs :meth:`TelegramChannel.process` in the background,
in order per chat. Replies are sent by the one :class:`~bot.sender.Sender`, as plain text (no
parse mode, so nothing needs escaping) with inline keyboards for buttons.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.storage import turns as store
from bot.storage.models import Message, OutboxMessage
from bot.channels.inbox import Inbox, Unusable
from bot.channels.json_body import decode
from bot.channels.location import coordinates
from bot.server.keys import SETTINGS
from bot.conversation.loop import ConversationLoop
from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.delivery.sender import Limits, Rejected, RetryLater, Sender, Transient, Unreachable
from bot.settings import Settings

from bot.channels.text import split_text

log = logging.getLogger("suara.telegram")

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
_DEEP_LINK = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{1,64})$")
_HASHED = "h:"
GROUP_LINE = (
    "Halo! Saya hanya menjawab di chat pribadi. Silakan kirim pesan langsung ke saya. "
    "/ Hi! I only answer in private chats. Please message me directly."
)


def make_bot(settings: Settings) -> Bot:
    """The PTB ``Bot`` for the configured token and Bot API server, with a connection pool."""
    if settings.telegram_token is None:
        raise ValueError("SUARA_TELEGRAM_TOKEN is not set")
    # Bot API URLs contain the token: httpx logs every request URL at INFO and PTB logs its
    # base URL at DEBUG, so neither may log below these levels.
    for name, level in (("httpx", logging.WARNING), ("httpcore", logging.WARNING), ("telegram", logging.INFO)):
        logging.getLogger(name).setLevel(max(level, logging.getLogger(name).getEffectiveLevel()))
    return Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_api_url,
        request=HTTPXRequest(connection_pool_size=64, read_timeout=10, connect_timeout=5, pool_timeout=10),
        get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=60),
    )


def bot_id(settings: Settings) -> str:
    """The numeric part of the token: public, used in the webhook path."""
    return settings.telegram_token.get_secret_value().split(":", 1)[0] if settings.telegram_token else ""


def callback_data(payload: str) -> str:
    """A button payload as Telegram ``callback_data`` (at most 64 bytes).

    A longer payload is sent as a hash and looked up again in the outbox row of the message
    that carried the keyboard.
    """
    if len(payload.encode()) <= MAX_CALLBACK_BYTES:
        return payload
    return _HASHED + hashlib.sha256(payload.encode()).hexdigest()[:40]


class TelegramTransport:
    """Sends outbox bodies with ``sendMessage`` and maps Bot API errors for the sender."""

    channel = CHANNEL
    service_window: timedelta | None = None

    def __init__(self, bot: Bot, limits: Limits) -> None:
        self.bot, self.limits = bot, limits

    def render(self, message: OutboundMessage) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = [{"text": piece} for piece in split_text(message.text, MAX_TEXT)]
        if message.buttons:
            bodies[-1]["reply_markup"] = {"inline_keyboard": [
                [{"text": button.title[:64], "callback_data": callback_data(button.payload)}]
                for button in message.buttons
            ]}
        return bodies

    async def deliver(self, external_id: str, body: dict[str, Any], key: str) -> str:
        markup = body.get("reply_markup")
        try:
            sent = await self.bot.send_message(
                chat_id=int(external_id), text=body["text"],
                reply_markup=InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None,
            )
        except RetryAfter as exc:
            raise RetryLater(str(exc), _seconds(exc), "path") from None
        except Forbidden as exc:
            raise Unreachable(str(exc)) from None
        except (BadRequest, InvalidToken) as exc:
            raise Rejected(str(exc)) from None
        except NetworkError as exc:  # time-outs, 5xx, connection errors
            raise Transient(str(exc)) from None
        return str(sent.message_id)


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 deprecates the int form; accept both
        warnings.simplefilter("ignore")
        after = exc.retry_after
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


def chat_key(update: dict[str, Any]) -> str | None:
    """The chat an update belongs to (its ordering key), from the raw JSON."""
    for field in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(update.get(field), dict):
            return str(update[field].get("chat", {}).get("id", ""))
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        message = callback.get("message") or {}
        return str(message.get("chat", {}).get("id") or callback.get("from", {}).get("id", ""))
    return None


def check_update(update: dict[str, Any], bot: Bot) -> Update:
    """The update as PTB's :class:`Update`, or :class:`Unusable` for one that could never be
    processed: checked before it is stored, and again when a stored one runs."""
    if not _is_int64(update.get("update_id")):
        raise Unusable("update_id")
    try:
        parsed = Update.de_json(update, bot)
    except (TypeError, KeyError, AttributeError, ValueError, OverflowError, OSError) as exc:
        # PTB documents no exception set; these are what odd fields (a null, a date out of
        # range, a wrong type) raise while it builds the objects.
        raise Unusable(f"shape_{type(exc).__name__}") from None
    query = parsed.callback_query
    for message in (parsed.message, parsed.edited_message, query.message if query else None):
        if message is None:
            continue
        chat = getattr(message, "chat", None)
        if chat is None or not _is_int64(chat.id) or not isinstance(chat.type, str):
            raise Unusable("chat")
        if not _is_int64(message.message_id):
            raise Unusable("message_id")
        if not isinstance(getattr(message, "text", None), str | None):
            raise Unusable("text")
    if query is not None and not isinstance(query.data, str | None):
        raise Unusable("callback_data")
    return parsed


def _is_int64(value: object) -> bool:
    """An integer Telegram could send as an id (64-bit; ``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


class TelegramChannel:
    """Turns Telegram updates into loop input, and the loop's replies into sends."""

    def __init__(
        self, bot: Bot, loop: ConversationLoop, sender: Sender, inbox: Inbox,
        sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime],
    ) -> None:
        self.bot, self.loop, self.sender, self.inbox = bot, loop, sender, inbox
        self._sessions, self._clock = sessions, clock
        inbox.register(CHANNEL, self.process)

    async def accept(self, update: dict[str, Any]) -> bool:
        """Store an update (from the webhook or a poll) for background processing."""
        check_update(update, self.bot)
        return await self.inbox.accept(CHANNEL, str(update["update_id"]), chat_key(update) or "none", update)

    async def process(self, data: dict[str, Any]) -> None:
        update = check_update(data, self.bot)
        if update.callback_query is not None:
            await self._on_callback(update)
        elif update.message is not None:
            await self._on_message(update)
        # Edited messages, channel posts and the rest are ignored on purpose.

    async def _on_message(self, update: Update) -> None:
        message = update.message
        assert message is not None
        if message.chat.type != ChatType.PRIVATE:
            await self._greet_group_once(update)
            return
        text, source, location = message.text, None, None
        if text and (link := _DEEP_LINK.match(text.strip())):
            text, source = "/start", link.group(1)
        if message.location is not None:
            text, location = None, coordinates(message.location.latitude, message.location.longitude)
        await self._handle(InboundMessage(
            CHANNEL, str(message.chat.id), str(update.update_id), message.date,
            text=text, location=location, source=source,
        ))

    async def _on_callback(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        try:
            await query.answer()  # stops the button's spinner; harmless if it fails
        except TelegramError as exc:
            log.info("callback_answer_failed", extra={"error": type(exc).__name__})
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE or not query.data:
            return
        payload = query.data
        if payload.startswith(_HASHED):
            payload = await self._unhash(str(message.chat.id), str(message.message_id), payload) or payload
        await self._handle(InboundMessage(
            CHANNEL, str(message.chat.id), str(update.update_id), self._clock(), payload=payload[:128],
        ))

    async def _handle(self, inbound: InboundMessage) -> None:
        result = await self.loop.handle(inbound)
        if result.replies:  # a duplicate's stored replies too: their outbox keys make that a no-op
            await self.sender.send_replies(result.replies)

    async def _greet_group_once(self, update: Update) -> None:
        chat_id = str(update.effective_chat.id) if update.effective_chat else ""
        # The loop's receipts table doubles as "this group was already greeted".
        async with self._sessions() as db, db.begin():
            if await store.already_received(db, "telegram-group", chat_id):
                return
            store.add_receipt(db, "telegram-group", chat_id, self._clock())
        await self.sender.send_bodies(CHANNEL, chat_id, [{"text": GROUP_LINE}], f"{CHANNEL}:group:{chat_id}")

    async def _unhash(self, chat_id: str, message_id: str, hashed: str) -> str | None:
        """The full payload behind a hashed ``callback_data``, from the message that carried it."""
        async with self._sessions() as db:
            stored = await db.scalar(
                select(Message).join(OutboxMessage, OutboxMessage.message_id == Message.id).where(
                    OutboxMessage.channel == CHANNEL, OutboxMessage.external_id == chat_id,
                    OutboxMessage.platform_message_id == message_id))
        for button in (stored.buttons or []) if stored else []:
            if callback_data(button["payload"]) == hashed:
                return button["payload"]
        return None


TELEGRAM = web.AppKey("telegram", TelegramChannel)


async def webhook(request: web.Request) -> web.Response:
    """``POST /webhooks/telegram/<bot id>``: check the secret, store the update, answer 200."""
    settings = request.app[SETTINGS]
    if request.match_info["bot_id"] != bot_id(settings):
        raise web.HTTPNotFound()
    secret = settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        log.warning("telegram_bad_secret")
        return web.json_response({"error": "unauthorized"}, status=401)
    try:
        update = decode(await request.read())
        if not isinstance(update, dict):
            raise Unusable("not_an_object")
        await request.app[TELEGRAM].accept(update)
    except ValueError as exc:
        # Acknowledged all the same: Telegram would redeliver a refused update for a day.
        request.app[TELEGRAM].inbox.dropped(CHANNEL, exc.reason if isinstance(exc, Unusable) else "bad_json")
    return web.json_response({"ok": True})


#: Waits between ``getUpdates`` calls that came back at once empty or failed: doubling from the
#: first to the cap, back to none once updates arrive or a long poll is really held open.
POLL_BACKOFF_FIRST, POLL_BACKOFF_CAP = 0.5, 30.0


async def poll(bot: Bot, channel: TelegramChannel, stop: asyncio.Event, *, timeout: int = 30) -> None:
    """Long-poll ``getUpdates`` until ``stop`` is set, accepting each update once.

    A Bot API server that answers at once with nothing (a proxy, a misconfigured local server)
    or with an error would otherwise be asked hundreds of times a second: such answers back off.
    """
    offset: int | None = None
    delay = 0.0
    clock = asyncio.get_running_loop().time
    while not stop.is_set():
        asked = clock()
        try:
            updates = await bot.get_updates(offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES))
        except RetryAfter as exc:
            await _pause(stop, _seconds(exc))
            continue
        except TelegramError as exc:  # network errors, 5xx, a webhook still set (409)
            log.warning("telegram_poll_failed", extra={"error": type(exc).__name__})
            delay = _backoff(delay)
            await _pause(stop, delay)
            continue
        for update in updates:
            try:
                await channel.accept(update.to_dict())
            except ValueError as exc:
                channel.inbox.dropped(CHANNEL, exc.reason if isinstance(exc, Unusable) else "bad_update")
            offset = update.update_id + 1
        held_open = clock() - asked >= min(1.0, timeout / 2)
        delay = 0.0 if updates or held_open else _backoff(delay)
        if delay:
            await _pause(stop, delay)


def _backoff(delay: float) -> float:
    return min(POLL_BACKOFF_CAP, max(POLL_BACKOFF_FIRST, delay * 2))


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
