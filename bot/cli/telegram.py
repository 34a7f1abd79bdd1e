"""``suara telegram --polling`` and ``suara telegram set-webhook``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.cli.common import migrate
from bot.settings import Settings, SettingsError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``telegram`` command to the ``suara`` parser."""
    telegram = commands.add_parser("telegram", help="run or connect the Telegram bot")
    telegram.add_argument("--polling", action="store_true",
                          help="fetch updates with long polling instead of a webhook (for local use)")
    telegram.set_defaults(run=_telegram)
    actions = telegram.add_subparsers(title="telegram commands")
    set_webhook = actions.add_parser("set-webhook", help="tell Telegram to deliver updates to SUARA_PUBLIC_URL")
    set_webhook.set_defaults(run=_set_webhook)


def _require_token(settings: Settings) -> None:
    if settings.telegram_token is None:
        raise SettingsError("set SUARA_TELEGRAM_TOKEN (from @BotFather) first")


def _set_webhook(settings: Settings, args: argparse.Namespace) -> int:
    _require_token(settings)
    if settings.public_url is None or settings.telegram_webhook_secret is None:
        raise SettingsError("set-webhook needs SUARA_PUBLIC_URL and SUARA_TELEGRAM_WEBHOOK_SECRET")
    url = asyncio.run(set_webhook(settings))
    print(f"suara: Telegram will deliver updates to {url}")
    return 0


async def set_webhook(settings: Settings) -> str:
    """Register ``<public url>/webhooks/telegram/<bot id>`` with the secret; return the URL."""
    from telegram.error import TelegramError

    from bot.channels.telegram import ALLOWED_UPDATES, bot_id
    from bot.channels.messaging import start_bot

    assert settings.public_url is not None and settings.telegram_webhook_secret is not None
    url = f"{settings.public_url.rstrip('/')}/webhooks/telegram/{bot_id(settings)}"
    bot = await start_bot(settings)
    try:
        await bot.set_webhook(url, secret_token=settings.telegram_webhook_secret.get_secret_value(),
                              allowed_updates=list(ALLOWED_UPDATES))
    except TelegramError as exc:
        raise SettingsError(f"Telegram refused the webhook: {exc.message}") from None
    finally:
        await bot.shutdown()
    return url


def _telegram(settings: Settings, args: argparse.Namespace) -> int:
    if not args.polling:
        print("suara: use `suara telegram --polling` or `suara telegram set-webhook`", file=sys.stderr)
        return 2
    _require_token(settings)
    from bot.telemetry.logs import configure_logging

    configure_logging(settings.log_level)
    migrate(settings)
    print("suara: Telegram long polling (Ctrl-C to stop)", file=sys.stderr)
    asyncio.run(run_polling(settings))
    return 0


async def run_polling(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve Telegram through ``getUpdates`` until ``stop`` is set (or SIGINT/SIGTERM)."""
    from bot.channels.telegram import poll
    from bot.storage.engine import create_engine
    from bot.conversation.loop import utcnow
    from bot.channels.messaging import open_messaging, start_bot
    from bot.telemetry.metrics import Metrics
    from bot.runtime import build_loop

    stop = stop or asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        except (RuntimeError, ValueError):  # not the main thread
            pass
    engine = create_engine(settings)
    bot = await start_bot(settings)
    try:
        await bot.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
        loop = build_loop(settings, engine, Metrics(), utcnow)
        async with open_messaging(settings, engine, loop, utcnow, bot=bot) as messaging:
            assert messaging.telegram is not None
            polling = asyncio.create_task(poll(bot, messaging.telegram, stop, timeout=10))
            await stop.wait()
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            logging.getLogger("suara.telegram").info("polling_stopped")
    finally:
        await engine.dispose()
