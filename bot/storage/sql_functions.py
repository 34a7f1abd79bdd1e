"""SQL functions that each database spells its own way, compiled per dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.storage.models import UTCDateTime


class casefold(FunctionElement[str]):
    """Case-folded text: ``casefold(x)`` on SQLite (registered by the engine), ``lower(x)`` elsewhere."""

    type = String()
    name = "casefold"
    inherit_cache = True


@compiles(casefold, "sqlite")
def _casefold_sqlite(element: casefold, compiler: Any, **kw: Any) -> str:
    return f"casefold({compiler.process(element.clauses, **kw)})"


@compiles(casefold)
def _casefold_default(element: casefold, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


class day_later(FunctionElement[Any]):
    """A timestamp column plus 24 hours, in each database's own date arithmetic."""

    type = UTCDateTime()
    name = "day_later"
    inherit_cache = True


@compiles(day_later, "sqlite")
def _day_later_sqlite(element: day_later, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m-%d %H:%M:%f', {compiler.process(element.clauses, **kw)}, '+1 day')"


@compiles(day_later)
def _day_later_default(element: day_later, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} + interval '1 day')"
