"""Imports point one way: bot → flows → knowledge → nlu, and the core does no I/O; inside ``bot``
the rooms (sub-packages) form no circle, module by module or room by room."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["bot", "flows", "knowledge", "nlu"]
IO_MODULES = {"aiohttp", "sqlalchemy", "asyncpg", "aiosqlite", "socket", "requests", "urllib", "http", "subprocess"}
#: The only modules allowed directly in ``bot/``: the package, the app factory, settings, wiring.
TOP_MODULES = {"__init__", "app", "settings", "runtime"}
MAX_LINES = 400
#: What each room may import from the others (besides itself and ``bot.settings``).
ALLOWED: dict[str, set[str]] = {
    "storage": set(),
    "telemetry": set(),
    "embedding": set(),
    "understanding": {"embedding", "storage"},
    "conversation": {"storage", "understanding", "telemetry"},
    "delivery": {"storage", "conversation"},
    "server": {"conversation", "telemetry"},
    "channels": {"conversation", "delivery", "storage", "server", "telemetry"},
    "broadcasts": {"storage", "delivery", "conversation", "telemetry"},
    "console": {"storage", "conversation", "understanding", "delivery", "broadcasts", "server", "telemetry",
                "channels"},
    "cli": {"*"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _bot_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in (ROOT / "bot").rglob("*.py") if "migrations" not in p.parts}


def _bot_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every ``bot`` module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path.relative_to(ROOT)}: use absolute imports inside bot")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bot")}
    return {m for m in found if m in modules}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (ROOT / "bot" / parts[1]).is_dir()) else "top"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in ``graph``, or None (depth-first search with colours)."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if node not in colour and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("package", ORDER[1:])
def test_core_packages_import_only_downstream_and_do_no_io(package: str) -> None:
    forbidden = set(ORDER[: ORDER.index(package)]) | IO_MODULES
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_bot_has_no_import_circle_between_modules_or_rooms() -> None:
    modules = _bot_modules()
    graph = {name: _bot_imports(path, modules) - {name} for name, path in modules.items()}
    assert _cycle(graph) is None, f"import circle: {' → '.join(_cycle(graph) or [])}"
    rooms: dict[str, set[str]] = {}
    for name, targets in graph.items():
        rooms.setdefault(_room(name), set()).update(_room(t) for t in targets if _room(t) != _room(name))
    rooms = {room: targets - {"top"} if room != "top" else targets for room, targets in rooms.items()}
    assert _cycle(rooms) is None, f"rooms in a circle: {' → '.join(_cycle(rooms) or [])}"


def test_each_room_imports_only_the_rooms_it_may() -> None:
    modules = _bot_modules()
    for name, path in modules.items():
        room = _room(name)
        if room == "top" or ALLOWED.get(room) == {"*"}:
            continue
        assert room in ALLOWED, f"bot/{room}/ is a new room: add it to ALLOWED with the rooms it may use"
        for target in _bot_imports(path, modules):
            other = _room(target)
            if other == room or target == "bot.settings":
                continue
            assert other in ALLOWED[room], f"{name} (room {room}) imports {target} (room {other})"


def test_bot_top_holds_only_the_factory_settings_and_wiring_and_files_stay_small() -> None:
    top = {p.stem for p in (ROOT / "bot").glob("*.py")}
    assert top <= TOP_MODULES, f"move {sorted(top - TOP_MODULES)} into a room of bot/"
    for path in (ROOT / "bot").rglob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"
