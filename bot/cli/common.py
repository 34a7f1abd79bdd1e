"""Helpers every ``suara`` command group shares (never the entry point, so no import circles)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

#: What a command runs: the settings and its parsed arguments in, an exit status out.
Command = Callable[[Settings, argparse.Namespace], int]
Commands = argparse._SubParsersAction  # type: ignore[type-arg]
NLU_HELP = "understanding: parse, train, evaluate"


def migrate(settings: Settings) -> None:
    """Create or upgrade the database at ``SUARA_DATABASE_URL``, with a one-line error."""
    from bot.storage.engine import ensure_database_folder
    from bot.storage.migrate import upgrade

    try:
        ensure_database_folder(settings)
        upgrade(settings.database_url)
    except Exception as exc:  # a database that cannot be reached or migrated
        raise SettingsError(f"cannot migrate the database at SUARA_DATABASE_URL: {reason(exc)}") from None


def reason(exc: BaseException) -> str:
    """The first line of an exception's message, cut to a readable length."""
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def group(commands: Commands, name: str, help_text: str) -> Commands:
    """The sub-commands of ``suara NAME``, shared by every module that adds one to it."""
    parser = commands.choices.get(name) or commands.add_parser(name, help=help_text)
    sub = getattr(parser, "suara_commands", None)
    if sub is None:
        sub = parser.add_subparsers(title=f"{name} commands")
        parser.suara_commands = sub  # type: ignore[attr-defined]
    return sub


async def in_transaction(settings: Settings, work: Callable[[AsyncSession, datetime], Awaitable[T]]) -> T:
    """Run ``work(db, now)`` in one transaction on the configured database."""
    from bot.conversation.loop import utcnow
    from bot.storage.engine import create_engine, session_factory

    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db, db.begin():
            return await work(db, utcnow())
    finally:
        await engine.dispose()
