"""The parsed form of a segment query: small frozen dataclasses a compiler can walk.

A query is a tree of :class:`And`, :class:`Or` and :class:`Not` over :class:`Clause` leaves.
Clause values are already typed and resolved (region names to Kemendagri codes, ``ya`` to
``True``, ``30d`` to a :class:`~datetime.timedelta`), so the SQL compiler and the in-memory
evaluator never re-interpret text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

#: A clause value after parsing: text or enum value, region codes, yes/no, or a duration.
Value = str | tuple[str, ...] | bool | timedelta

_BARE = re.compile(r'[^\s"()=!<>~]+')
_KEYWORDS = frozenset({"and", "or", "not"})


@dataclass(frozen=True, slots=True)
class Clause:
    """One condition, ``field op value``.

    ``value`` is typed (see :data:`Value`); ``raw`` is the value as the staff member wrote it
    (quotes removed, ``\\"`` escapes resolved); ``position`` is the 1-based position of the
    field name in the query text.
    """

    field: str
    op: str
    value: Value
    raw: str
    position: int

    def __str__(self) -> str:
        return f"{self.field} {self.op} {quote(self.raw)}"


@dataclass(frozen=True, slots=True)
class And:
    """All of ``items`` hold (two or more nodes)."""

    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(f"({item})" if isinstance(item, Or) else str(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Or:
    """At least one of ``items`` holds (two or more nodes)."""

    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(str(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Not:
    """``item`` does not hold."""

    item: Node

    def __str__(self) -> str:
        inner = self.item
        return f"NOT ({inner})" if isinstance(inner, (And, Or)) else f"NOT {inner}"


Node = Clause | And | Or | Not


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its tree ``root`` and the ``text`` it came from."""

    root: Node
    text: str

    def clauses(self) -> Iterator[Clause]:
        """The clause leaves, left to right (for "why is this voter in the segment?")."""
        return iter_clauses(self.root)

    def __str__(self) -> str:
        """The query in canonical form (keywords upper-case, values quoted only when needed)."""
        return str(self.root)


def iter_clauses(node: Node) -> Iterator[Clause]:
    """The clause leaves under ``node``, left to right (iterative: no recursion limit)."""
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Clause):
            yield current
        elif isinstance(current, Not):
            stack.append(current.item)
        else:
            stack.extend(reversed(current.items))


def quote(raw: str) -> str:
    """``raw`` as a query value: bare when it reads back as the same word, else double-quoted
    (also when it holds invisible or control characters, so its extent stays visible)."""
    visible = all(unicodedata.category(c)[0] not in "CZ" for c in raw)
    if _BARE.fullmatch(raw) and raw.casefold() not in _KEYWORDS and visible:
        return raw
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
