"""Conditions for ``branch`` steps: a few comparisons staff can read, nothing more.

A condition compares two operands, and conditions join with ``and`` / ``or`` (``and`` binds
tighter)::

    answer == "ya"
    contact.consent != "yes"
    signal.first_time_voter == "true" and contact.region != ""
    answer in ["ya", "iya", "y"]
    age >= 17

Operands are names (``answer``, a flow result such as ``village``, ``contact.region``,
``contact.language``, ``contact.consent``, ``signal.NAME``, ``session.NAME``), quoted strings
or numbers. Every value is text; missing values are ``""``. ``<``, ``<=``, ``>``, ``>=``
compare numbers (false when either side is not a number). Comparison ignores case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"[^"]*")|(?P<number>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|<|>)|(?P<punct>[\[\],])"""
    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))"""
)
_KEYWORDS = {"and", "or", "in"}


class ExpressionError(ValueError):
    """A condition does not parse; ``column`` is the 0-based offset in the expression."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True, slots=True)
class Operand:
    name: str | None = None
    literal: str | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Operand
    op: str
    right: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    """``any`` of ``all`` of comparisons: ``a and b or c`` is ``((a, b), (c,))``."""

    source: str
    groups: tuple[tuple[Comparison, ...], ...]

    def names(self) -> list[str]:
        return [o.name for group in self.groups for c in group for o in (c.left, *c.right) if o.name]

    def evaluate(self, value_of: Callable[[str], str]) -> bool:
        return any(all(_compare(c, value_of) for c in group) for group in self.groups)


def parse_condition(source: str) -> Condition:
    tokens = _tokenise(source)
    position = 0

    def take(kind: str | None = None, text: str | None = None) -> tuple[str, str, int]:
        nonlocal position
        if position >= len(tokens):
            raise ExpressionError("the condition ends too early", len(source))
        token = tokens[position]
        if (kind and token[0] != kind) or (text and token[1] != text):
            raise ExpressionError(f"unexpected '{token[1]}'", token[2])
        position += 1
        return token

    def operand() -> Operand:
        kind, text, column = take()
        if kind == "string":
            return Operand(literal=text[1:-1])
        if kind == "number":
            return Operand(literal=text)
        if kind == "name" and text not in _KEYWORDS:
            return Operand(name=text)
        raise ExpressionError(f"expected a name, a \"string\" or a number, found '{text}'", column)

    def comparison() -> Comparison:
        left = operand()
        kind, text, column = take()
        if kind == "op":
            return Comparison(left, text, (operand(),))
        if (kind, text) == ("name", "in"):
            take("punct", "[")
            items = [operand()]
            while tokens[position:position + 1] and tokens[position][1] == ",":
                position_advance()
                items.append(operand())
            take("punct", "]")
            return Comparison(left, "in", tuple(items))
        raise ExpressionError(f"expected ==, !=, <, <=, >, >= or in, found '{text}'", column)

    def position_advance() -> None:
        nonlocal position
        position += 1

    groups: list[tuple[Comparison, ...]] = []
    group = [comparison()]
    while position < len(tokens):
        kind, text, column = take("name")
        if text == "and":
            group.append(comparison())
        elif text == "or":
            groups.append(tuple(group))
            group = [comparison()]
        else:
            raise ExpressionError(f"expected 'and' or 'or', found '{text}'", column)
    groups.append(tuple(group))
    return Condition(source, tuple(groups))


def _tokenise(source: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None or match.lastgroup is None:
            column = len(source) - len(source[position:].lstrip())
            raise ExpressionError(f"cannot read '{source[column:column + 10]}'", column)
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    if not tokens:
        raise ExpressionError("the condition is empty", 0)
    return tokens


def _compare(comparison: Comparison, value_of: Callable[[str], str]) -> bool:
    def value(operand: Operand) -> str:
        return (operand.literal if operand.name is None else value_of(operand.name)) or ""

    left = value(comparison.left).strip().casefold()
    rights = [value(o).strip().casefold() for o in comparison.right]
    match comparison.op:
        case "==":
            return left == rights[0]
        case "!=":
            return left != rights[0]
        case "in":
            return left in rights
    try:
        a, b = float(left), float(rights[0])
    except ValueError:
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[comparison.op]
