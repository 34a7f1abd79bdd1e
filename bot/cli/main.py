"""The ``suara`` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys

from aiohttp import web

from knowledge import FaqFormatError
from nlu.signals import SignalConfigError

from . import cli_channels
from . import cli_flows
from . import cli_kb
from . import cli_nlu
from .cli_signals import nlu_commands
from .cli_signals import register as register_signals
from .settings import Settings, SettingsError, load_settings
from .staff_files import StaffFileError

log = logging.getLogger("suara.cli")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        return args.run(settings, args)
    except (SettingsError, FaqFormatError, SignalConfigError, StaffFileError) as exc:
        print(f"suara: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suara", description="Suara: election conversations for Indonesian voters.")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="migrate the database and run the server with the web chat")
    serve.add_argument("--host", help="address to listen on (default: SUARA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: SUARA_PORT or 8080)")
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(title="db commands")
    upgrade = db_commands.add_parser("upgrade", help="apply all database migrations")
    upgrade.set_defaults(run=_db_upgrade)

    chat = commands.add_parser("chat", help="chat with the bot in this terminal (same database as the server)")
    chat.add_argument("--as", dest="contact", default=None, help="who you are in the conversation (default: your user name)")
    chat.set_defaults(run=_chat)
    cli_channels.register(commands)
    cli_flows.register(commands)
    cli_kb.register(commands)
    nlu_group = nlu_commands(commands)
    cli_nlu.register(nlu_group)
    register_signals(nlu_group)
    return parser


def _migrate(settings: Settings) -> None:
    from .db.engine import ensure_database_folder
    from .db.migrate import upgrade

    try:
        ensure_database_folder(settings)
        upgrade(settings.database_url)
    except Exception as exc:  # a database that cannot be reached or migrated
        raise SettingsError(f"cannot migrate the database at SUARA_DATABASE_URL: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    _migrate(settings)
    print("suara: database is up to date")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from .app import create_app
    from .logs import configure_logging

    configure_logging(settings.log_level)
    _migrate(settings)
    host, port = args.host or settings.host, args.port or settings.port
    print(f"suara: web chat at http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    web.run_app(create_app(settings), host=host, port=port, print=None, access_log=None)
    return 0


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    _migrate(settings)
    return asyncio.run(_chat_async(settings, args.contact or getpass.getuser()))


async def _chat_async(settings: Settings, contact: str) -> int:
    from .channels.console import read_stdin_line, run_console
    from .content import seed_demo_content
    from .db.engine import create_engine, session_factory
    from .loop import utcnow
    from .metrics import Metrics
    from .runtime import build_loop

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


if __name__ == "__main__":
    sys.exit(main())
