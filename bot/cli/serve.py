"""``suara serve`` (the server) and ``suara chat`` (the same bot in this terminal)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import logging
import os
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection

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
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="worker processes on the one port (default 1; more than 1 needs PostgreSQL)")
    serve.set_defaults(run=_serve)

    chat = commands.add_parser("chat", help="chat with the bot in this terminal (same database as the server)")
    chat.add_argument("--as", dest="contact", default=None, help="who you are in the conversation (default: your user name)")
    chat.set_defaults(run=_chat)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.telemetry.logs import configure_logging

    configure_logging(settings.log_level)
    if args.workers < 1:
        print("suara: --workers must be 1 or more", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.is_sqlite:
        print(SQLITE_ONE_WORKER, file=sys.stderr)
        return 2
    migrate(settings)
    host, port = args.host or settings.host, args.port or settings.port
    url = f"http://{host}:{port}/"
    if args.workers == 1:
        _listen(settings, host, port, not args.no_dispatch, reuse_port=False,
                on_ready=lambda: _announce(url, 1))
        return 0
    from bot.server.workers import Supervisor

    target = functools.partial(_worker, settings, host, port, not args.no_dispatch)
    return Supervisor(target, args.workers, on_all_ready=lambda: _announce(url, args.workers)).run()


SQLITE_ONE_WORKER = (
    "suara: --workers N > 1 needs PostgreSQL (SUARA_DATABASE_URL=postgresql://…). SQLite lets one "
    "process write at a time, so more workers add lock waits, not speed, and a voter's messages stay "
    "in order across processes only through PostgreSQL's per-contact locks. Use --workers 1 with SQLite."
)


def _announce(url: str, workers: int) -> None:
    """Said only once the port accepts connections (every worker's, with several)."""
    many = f", {workers} workers" if workers > 1 else ""
    print(f"suara: web chat at {url} (Ctrl-C to stop{many})", file=sys.stderr, flush=True)


def _listen(settings: Settings, host: str, port: int, dispatch: bool, *, reuse_port: bool,
            on_ready: Callable[[], None]) -> None:
    """Build the app in this process and serve until SIGINT/SIGTERM (aiohttp's graceful stop)."""
    from bot.app import create_app

    app = create_app(settings, dispatch=dispatch)
    # aiohttp calls ``print`` once every site has started listening: the moment we are reachable.
    web.run_app(app, host=host, port=port, print=lambda _banner: on_ready(), access_log=None,
                reuse_port=reuse_port or None)


def _worker(settings: Settings, host: str, port: int, dispatch: bool, index: int, ready: Connection) -> None:
    """One of ``--workers N``: a process of its own, on the shared port (SO_REUSEPORT)."""
    from bot.telemetry.logs import configure_logging

    configure_logging(settings.log_level)
    _listen(settings, host, port, dispatch, reuse_port=True, on_ready=lambda: ready.send(os.getpid()))


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
