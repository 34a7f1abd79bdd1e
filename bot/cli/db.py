"""``suara db upgrade``: database maintenance."""

from __future__ import annotations

import argparse

from bot.cli.common import Commands, group, migrate
from bot.settings import Settings


def register(commands: Commands) -> None:
    """Add ``db upgrade`` to the ``suara`` parser."""
    upgrade = group(commands, "db", "database maintenance").add_parser("upgrade", help="apply all database migrations")
    upgrade.set_defaults(run=_db_upgrade)


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    print("suara: database is up to date")
    return 0
