"""``suara flows validate|publish`` and ``suara tps import``: staff content from the command line.

Every problem is one ``file:line:column: message`` line (flows) or ``file:row: reason`` line
(TPS); never a stack trace.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

import flows
from flows.yaml_source import Pos
from knowledge import TpsFileError, parse_csv

from bot.cli.common import in_transaction, migrate
from bot.settings import Settings
from bot.storage.staff_files import StaffFileError, read_text


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``flows`` and ``tps`` commands to the ``suara`` parser."""
    flow = commands.add_parser("flows", help="validate and publish conversation flows")
    flow_commands = flow.add_subparsers(title="flows commands")
    validate = flow_commands.add_parser("validate", help="check flow files; prints file:line:column: problem")
    validate.add_argument("path", nargs="?", default=str(flows.LIBRARY_DIR),
                          help="a folder of flow files or one file (default: the built-in library)")
    validate.set_defaults(run=_validate)
    publish = flow_commands.add_parser("publish", help="validate, then make the flows live (running sessions "
                                       "finish on their version)")
    publish.add_argument("path", nargs="?", default=str(flows.LIBRARY_DIR), help="a folder of flow files")
    publish.add_argument("--author", default=None, help="who publishes (default: your user name)")
    publish.set_defaults(run=_publish)

    tps = commands.add_parser("tps", help="polling stations")
    tps_commands = tps.add_subparsers(title="tps commands")
    load = tps_commands.add_parser("import", help="import polling stations from a CSV file (see knowledge/tps.py)")
    load.add_argument("file", help="the CSV file")
    load.set_defaults(run=_tps_import)


def read_sources(path: Path) -> tuple[dict[str, str], list[flows.Problem]]:
    """The flow files under ``path`` (a folder, or a file and its sibling files) by display name,
    and a problem for each file that cannot be read as UTF-8 text."""
    folder = path if path.is_dir() else path.parent
    sources: dict[str, str] = {}
    unreadable: list[flows.Problem] = []
    for file in sorted(folder.glob("*.yml")):
        name = str(file) if folder != Path(".") else file.name
        try:
            sources[name] = read_text(file)
        except StaffFileError as exc:
            unreadable.append(flows.Problem(Pos(name, exc.line or 1, 1), exc.reason))
    return sources, unreadable


def _problems(path: Path) -> tuple[dict[str, str], list[flows.Problem]]:
    if not path.exists():
        return {}, [flows.Problem(Pos(str(path), 1, 1), "no such file or folder")]
    sources, unreadable = read_sources(path)
    _, problems = flows.parse_library(sources)
    found = [*unreadable, *problems]
    if path.is_file():
        found = [p for p in found if Path(p.pos.file) == path]
    return sources, found


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    _, problems = _problems(Path(args.path))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def _publish(settings: Settings, args: argparse.Namespace) -> int:

    path = Path(args.path)
    sources, problems = _problems(path)
    if problems:
        for problem in problems:
            print(problem)
        print("suara: nothing was published; the running flows stay live", file=sys.stderr)
        return 1
    migrate(settings)
    from bot.storage.content import publish

    author = args.author or getpass.getuser()
    published = asyncio.run(in_transaction(settings, lambda db, now: publish(db, sources, author, now)))
    changed = published.changed
    print(f"suara: published {', '.join(changed)}" if changed else "suara: no flow changed")
    return 0



def _tps_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import the valid rows; list every rejected row. Exit 0: all rows, 1: some rejected, 2: none."""
    path = Path(args.file)
    try:
        parsed = parse_csv(read_text(path))
    except StaffFileError as exc:
        print(f"suara: {exc}; nothing was imported", file=sys.stderr)
        return 2
    except TpsFileError as exc:
        print(f"suara: {path}: {exc}; nothing was imported", file=sys.stderr)
        return 2
    for rejected in parsed.rejected:
        print(f"{path}:{rejected.row}: {rejected.reason}")
    if not parsed.stations:
        print(f"suara: {path}: no valid rows; nothing was imported", file=sys.stderr)
        return 2

    from bot.storage.content import import_tps

    migrate(settings)
    asyncio.run(in_transaction(settings, lambda db, now: import_tps(db, parsed, now)))
    print(f"suara: imported {len(parsed.stations)} polling stations, rejected {len(parsed.rejected)} rows")
    return 1 if parsed.rejected else 0
