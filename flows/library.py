"""A set of flows (with every published version) plus the election settings they use.

:func:`parse_library` turns file texts into a :class:`Library` and the list of problems the
validator found; a library with problems must not go live.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .catalog import Library
from .loader import parse_flow
from .model import NAME, Flow, Problems
from .validate import validate_library
from .yaml_source import Mapping, Pos, SourceError, load

LIBRARY_DIR = Path(__file__).parent / "library"
ELECTION_FILE = "election.yml"
ELECTION_ID = "@election"


def parse_library(sources: dict[str, str], history: Iterable[Flow] = ()) -> tuple[Library, Problems]:
    """Parse every file of a library (``name → text``) and validate the whole.

    ``election.yml`` holds the election settings; every other file holds one flow.
    ``history`` adds older published versions that running sessions may still be on.
    """
    problems = Problems()
    flows: dict[str, Flow] = {}
    election: dict[str, dict[str, str]] = {}
    for name in sorted(sources):
        try:
            raw = load(sources[name], name)
        except SourceError as exc:
            problems.add(exc.pos, exc.message)
            continue
        if Path(name).name == ELECTION_FILE:
            election = _election(raw, name, problems)
            continue
        flow = parse_flow(raw, name, sources[name], problems)
        if flow is None:
            continue
        problems.keep_unique(flows, flow.id, flow, name, "flow")
    problems.extend(validate_library(flows, election))
    versions = {(f.id, f.version): f for f in (*history, *flows.values())}
    unique = {(str(p.pos), p.message): p for p in problems}
    return Library(flows, versions, election), Problems(sorted(unique.values(), key=_order))


def _order(problem: object) -> tuple[str, int, int]:
    pos = problem.pos  # type: ignore[attr-defined]
    return (pos.file, pos.line, pos.column)


def _election(raw: object, file: str, problems: Problems) -> dict[str, dict[str, str]]:
    """``election: {name: value, ...}`` — values a flow uses as ``{election.NAME}``."""
    settings = raw.get("election") if isinstance(raw, Mapping) else None
    if not isinstance(raw, Mapping) or set(raw) != {"election"} or not isinstance(settings, Mapping):
        problems.add(Pos(file, 1, 1), "election.yml must hold one mapping, 'election', of names to values")
        return {}
    values: dict[str, dict[str, str]] = {}
    for key, value in settings.items():
        if not NAME.match(key):
            problems.add(settings.key_at(key), f"'{key}' must be a lower-case name (letters, digits, '_')")
        elif not isinstance(value, Mapping) or set(value) != {"id", "en"}:
            problems.add(settings.at(key), f"'{key}' must have 'id' and 'en' translations")
        else:
            values[key] = {"id": str(value["id"]), "en": str(value["en"])}
    return values


def default_sources() -> dict[str, str]:
    """The texts of the default library shipped in ``flows/library``."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(LIBRARY_DIR.glob("*.yml"))}
