"""``suara dispatch``: a reminder dispatcher process, until SIGTERM or Ctrl-C.

Run several against one PostgreSQL database for failover: a lease gives each channel credential
to one of them at a time (docs/reminders.md, "Dispatch"). On SQLite run one (or let
``suara serve`` run it in the background).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import Commands, migrate
from bot.delivery.sender import Sender, Transport
from bot.settings import Settings


def register(commands: Commands) -> None:
    """Add ``dispatch`` to the ``suara`` parser."""
    parser = commands.add_parser(
        "dispatch", help="send due reminders on the configured channels until stopped (SIGTERM / Ctrl-C)")
    parser.set_defaults(run=_dispatch)


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    from bot.telemetry.logs import configure_logging

    if not (settings.telegram_enabled or settings.whatsapp_enabled):
        print("suara: nothing to dispatch: set SUARA_TELEGRAM_TOKEN or the SUARA_WHATSAPP_* settings / "
              "tidak ada kanal: atur SUARA_TELEGRAM_TOKEN atau SUARA_WHATSAPP_*", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    migrate(settings)
    return asyncio.run(_run(settings))


async def _run(settings: Settings) -> int:
    from bot.broadcasts.dispatcher import Dispatcher
    from bot.broadcasts.leases import channel_credentials
    from bot.conversation.loop import utcnow
    from bot.storage.engine import create_engine, session_factory

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        async with _sender(settings, sessions) as sender:
            dispatcher = Dispatcher(sessions, sender, channel_credentials(settings), clock=utcnow,
                                    lease_timeout=settings.dispatch_lease_timeout_seconds,
                                    batch_size=settings.dispatch_batch_size)
            print(f"suara: dispatching as {dispatcher.holder} (Ctrl-C to stop)", file=sys.stderr)
            await dispatcher.run(stop)
    finally:
        await engine.dispose()
    return 0


@asynccontextmanager
async def _sender(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Sender]:
    """A sender for the configured channels, without resuming anyone's pending rows at start:
    the dispatcher resumes only the rows of reminders it reclaims."""
    from bot.channels import telegram, whatsapp
    from bot.channels.messaging import build_sender, start_bot, telegram_limits, whatsapp_limits
    from bot.conversation.loop import utcnow

    transports: list[Transport] = []
    bot = await start_bot(settings) if settings.telegram_enabled else None
    http = aiohttp.ClientSession() if settings.whatsapp_enabled else None
    if bot is not None:
        transports.append(telegram.TelegramTransport(bot, telegram_limits(settings)))
    if http is not None:
        transports.append(whatsapp.WhatsAppTransport(settings, whatsapp_limits(settings), http))
    sender = build_sender(settings, sessions, transports, utcnow)
    try:
        yield sender
    finally:
        await sender.close()
        if bot is not None:
            await bot.shutdown()
        if http is not None:
            await http.close()
