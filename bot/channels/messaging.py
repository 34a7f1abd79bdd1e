"""Wiring the messaging channels: the sender, the durable inbox, Telegram and WhatsApp.

Used by the server (webhooks) and by ``suara telegram --polling``. A channel is on only when
its credentials are set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.channels import telegram, whatsapp
from bot.storage.engine import session_factory
from bot.channels.inbox import Inbox
from bot.server.keys import CLOCK, ENGINE, LOOP, METRICS, SETTINGS
from bot.conversation.loop import ConversationLoop
from bot.delivery.sender import Limits, Sender, Transport
from bot.settings import Settings, SettingsError
from bot.telemetry.metrics import Metrics

log = logging.getLogger("suara.messaging")


@dataclass
class Messaging:
    """The running channels of one process."""

    sender: Sender
    inbox: Inbox
    telegram: telegram.TelegramChannel | None = None
    whatsapp: whatsapp.WhatsAppChannel | None = None


def overall_burst(rate: float) -> int:
    """The channel bucket's burst: a tenth of a second's sends, not a whole second's.

    The platform counts a request when it arrives, the bucket when it leaves; with both allowing a
    second's burst, any jitter on the way (a busy event loop, the network) lands more than the
    platform allows in its window and earns a 429 that pauses the whole channel. A short burst
    leaves that much slack and still keeps the rate, since the bucket refills continuously.
    """
    return max(1, int(rate / 10))


def telegram_limits(settings: Settings) -> Limits:
    return Limits(settings.telegram_rate_per_second, overall_burst(settings.telegram_rate_per_second),
                  settings.telegram_chat_rate_per_second, settings.telegram_chat_burst)


def whatsapp_limits(settings: Settings) -> Limits:
    return Limits(settings.whatsapp_rate_per_second, overall_burst(settings.whatsapp_rate_per_second),
                  settings.whatsapp_user_rate_per_second, settings.whatsapp_user_burst)


def build_sender(settings: Settings, sessions: async_sessionmaker[AsyncSession], transports: list[Transport],
                 clock: Callable[[], datetime], metrics: Metrics | None = None) -> Sender:
    """The one sender with the deployment's retry, lifetime and reconciliation settings."""
    dropped = (metrics or Metrics()).sends_dropped
    return Sender(
        sessions, transports, clock=clock,
        backoff=settings.send_backoff_seconds, backoff_cap=settings.send_backoff_cap_seconds,
        reply_lifetime=timedelta(seconds=settings.reply_lifetime_seconds),
        reminder_lifetime=timedelta(seconds=settings.reminder_lifetime_seconds),
        # WhatsApp reports every accepted message by a status webhook that settles its row; Telegram
        # reports nothing, so waiting would only delay its replies (docs/delivery.md).
        reconcile={whatsapp.CHANNEL: settings.whatsapp_reconcile_seconds},
        on_drop=lambda channel, reason: dropped.labels(channel, reason).inc(),
    )


async def start_bot(settings: Settings) -> Bot:
    """The PTB bot, initialised (``getMe``); a rejected token is one clear line, never echoed."""
    bot = telegram.make_bot(settings)
    try:
        await bot.initialize()
    except InvalidToken:
        await bot.shutdown()
        raise SettingsError("SUARA_TELEGRAM_TOKEN was rejected by the Telegram Bot API") from None
    except NetworkError as exc:
        log.warning("telegram_unreachable_at_start", extra={"error": type(exc).__name__})
    return bot


@asynccontextmanager
async def open_messaging(
    settings: Settings, engine: AsyncEngine, loop: ConversationLoop, clock: Callable[[], datetime],
    *, bot: Bot | None = None, metrics: Metrics | None = None,
) -> AsyncIterator[Messaging]:
    """Start the enabled channels, resume unfinished work, and on exit drain and stop them."""
    sessions = session_factory(engine)
    inbox = Inbox(sessions, clock, loop.metrics)
    transports: list[Transport] = []
    http = aiohttp.ClientSession() if settings.whatsapp_enabled else None
    if settings.telegram_enabled and bot is None:
        bot = await start_bot(settings)
    if bot is not None:
        transports.append(telegram.TelegramTransport(bot, telegram_limits(settings)))
    if http is not None:
        transports.append(whatsapp.WhatsAppTransport(settings, whatsapp_limits(settings), http))
    sender = build_sender(settings, sessions, transports, clock, metrics)
    messaging = Messaging(sender, inbox)
    if bot is not None:
        messaging.telegram = telegram.TelegramChannel(bot, loop, sender, inbox, sessions, clock)
    if http is not None:
        templates = whatsapp.TemplateRegistry.load(settings.whatsapp_templates_file)
        messaging.whatsapp = whatsapp.WhatsAppChannel(settings, loop, sender, inbox, sessions, clock, templates)
    try:
        await sender.start()
        await inbox.start()
        yield messaging
    finally:
        await inbox.close()
        try:
            await sender.drain(timeout=5)
        except asyncio.TimeoutError:
            log.info("sender_stopped_with_pending")  # they stay pending for the next start
        await sender.close()
        if bot is not None:
            await bot.shutdown()
        if http is not None:
            await http.close()


MESSAGING = web.AppKey("messaging", Messaging)


def setup(app: web.Application) -> None:
    """Add the webhook routes and start the channels with the app (after the loop exists)."""
    settings = app[SETTINGS]
    if not (settings.telegram_enabled or settings.whatsapp_enabled):
        return
    if settings.telegram_enabled:
        app.router.add_post("/webhooks/telegram/{bot_id}", telegram.webhook)
    if settings.whatsapp_enabled:
        app.router.add_get("/webhooks/whatsapp", whatsapp.verify)
        app.router.add_post("/webhooks/whatsapp", whatsapp.webhook)
    app.cleanup_ctx.append(_channels)


async def _channels(app: web.Application) -> AsyncIterator[None]:
    async with open_messaging(app[SETTINGS], app[ENGINE], app[LOOP], app[CLOCK], metrics=app[METRICS]) as messaging:
        app[MESSAGING] = messaging
        if messaging.telegram is not None:
            app[telegram.TELEGRAM] = messaging.telegram
        if messaging.whatsapp is not None:
            app[whatsapp.WHATSAPP] = messaging.whatsapp
        yield
