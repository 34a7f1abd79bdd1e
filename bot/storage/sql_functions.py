"""SQL functions that each database spells its own way, compiled per dialect.

Each is made by :func:`dialect_function` from two templates in which ``{0}`` is the compiled
argument: one for SQLite, one for every other database (PostgreSQL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

from bot.storage.models import UTCDateTime


def dialect_function(name: str, result: TypeEngine[Any], sqlite: str, default: str, doc: str) -> type[FunctionElement[Any]]:
    """A one-argument SQL function ``name`` returning ``result``, spelt ``sqlite`` on SQLite and
    ``default`` elsewhere."""
    function = type(name, (FunctionElement,), {"type": result, "name": name, "inherit_cache": True, "__doc__": doc})

    @compiles(function, "sqlite")
    def _on_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
        return sqlite.format(compiler.process(element.clauses, **kw))

    @compiles(function)
    def _elsewhere(element: Any, compiler: Any, **kw: Any) -> str:
        return default.format(compiler.process(element.clauses, **kw))

    return function


casefold = dialect_function(
    "casefold", String(), "casefold({0})", "lower({0})",
    "Case-folded text: ``casefold(x)`` on SQLite (registered by the engine), ``lower(x)`` elsewhere.")
day_later = dialect_function(
    "day_later", UTCDateTime(), "strftime('%Y-%m-%d %H:%M:%f', {0}, '+1 day')", "({0} + interval '1 day')",
    "A timestamp column plus 24 hours, in each database's own date arithmetic.")
#: SQLite stores timestamps as "YYYY-MM-DD HH:MM:SS…" in UTC, so the day is the first ten characters.
utc_day = dialect_function(
    "utc_day", String(), "substr({0}, 1, 10)", "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    "A timestamp's UTC day as ``YYYY-MM-DD`` text.")
