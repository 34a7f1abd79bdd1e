"""``suara serve`` (the server) and ``suara chat`` (the same bot in this terminal)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys

from aiohttp import web

from bot.cli.common import Commands, migrate
from bot.settings import Settings


def register(commands: Commands) -> None:
    """Add ``serve`` and ``chat`` to the ``suara`` parser."""
    serve = commands.add_parser("serve", help="migrate the database and run the server with the web chat")
    serve.add_argument("--host", help="address to listen on (default: SUARA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: SUARA_PORT or 8080)")
    serve.add_argument("--no-dispatch", action="store_true",
                       help="do not send reminders from this process (run `suara dispatch` elsewhere)")
    serve.set_defaults(run=_serve)

    chat = commands.add_parser("chat", help="chat with the bot in this terminal (same database as the server)")
    chat.add_argument("--as", dest="contact", default=None, help="who you are in the conversation (default: your user name)")
    chat.set_defaults(run=_chat)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app
    from bot.telemetry.logs import configure_logging

    configure_logging(settings.log_level)
    migrate(settings)
    host, port = args.host or settings.host, args.port or settings.port
    print(f"suara: web chat at http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    app = create_app(settings, dispatch=not args.no_dispatch)
    web.run_app(app, host=host, port=port, print=None, access_log=None)
    return 0


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    return asyncio.run(_chat_async(settings, args.contact or getpass.getuser()))


async def _chat_async(settings: Settings, contact: str) -> int:
    from bot.channels.console import read_stdin_line, run_console
    from bot.conversation.loop import utcnow
    from bot.runtime import build_loop
    from bot.telemetry.metrics import Metrics
    from bot.storage.content import seed_demo_content
    from bot.storage.engine import create_engine, session_factory

    logging.basicConfig(level=logging.WARNING)
    engine = create_engine(settings)
    try:
        await seed_demo_content(session_factory(engine), utcnow())
        loop = build_loop(settings, engine, Metrics(), utcnow)
        await run_console(loop, contact, utcnow, read_stdin_line, print)
        await loop.close()
    finally:
        await engine.dispose()
    return 0
