"""Imports point one way: bot → flows → knowledge → nlu, and the core does no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["bot", "flows", "knowledge", "nlu"]
IO_MODULES = {"aiohttp", "sqlalchemy", "asyncpg", "aiosqlite", "socket", "requests", "urllib", "http", "subprocess"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ORDER[1:])
def test_core_packages_import_only_downstream_and_do_no_io(package: str) -> None:
    forbidden = set(ORDER[: ORDER.index(package)]) | IO_MODULES
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
