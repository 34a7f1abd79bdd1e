"""The ``suara`` command line: one parser, each command group registered from its own module."""

from __future__ import annotations

import argparse
import logging
import sys

from knowledge import FaqFormatError
from nlu.signals import SignalConfigError

from bot.cli import broadcast, db, dialogues, dispatch, flows, kb, nlu, segments, serve, signals, staff, telegram
from bot.settings import SettingsError, load_settings
from bot.storage.staff_files import StaffFileError

log = logging.getLogger("suara.cli")

#: Every command group, in the order ``suara --help`` lists them.
GROUPS = (serve, db, telegram, flows, kb, nlu, signals, dialogues, segments, broadcast, dispatch, staff)


def main(argv: list[str] | None = None) -> int:
    """Run ``suara`` with ``argv`` (default: the process arguments); return the exit status."""
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
    for module in GROUPS:
        module.register(commands)
    return parser
