"""Text → :class:`~flows.segments.nodes.Query`, with every failure a bilingual
:class:`~flows.segments.errors.SegmentQueryError` at a 1-based position.

Limits keep hostile input harmless: at most :data:`MAX_LENGTH` characters and
:data:`MAX_DEPTH` levels of parentheses/``NOT``. The LALR parser uses its own stack, and the
depth is checked with an explicit stack too, so no input can raise ``RecursionError``.
"""

from __future__ import annotations

import re

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .clauses import build_clause
from .errors import SegmentQueryError, shown
from .grammar import parser
from .nodes import And, Node, Not, Or, Query

MAX_LENGTH = 2000
MAX_DEPTH = 50

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_LAST_WORD = re.compile(r'[^\s"()=!<>~]+$')
_ESCAPE = re.compile(r'\\(["\\])')
_VALUE = frozenset({"WORD", "STRING"})
_AFTER_CONDITION = frozenset({"_AND", "_OR", "RPAR", "$END"})
_OPERATORS = "=, !=, <, >, ~"


def parse(text: str) -> Query:
    """Parse a segment query; raises :class:`SegmentQueryError` for anything unusable."""
    if not isinstance(text, str):
        raise TypeError(f"a segment query is text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise SegmentQueryError(MAX_LENGTH + 1, f"kueri terlalu panjang ({len(text)} karakter, paling banyak {MAX_LENGTH})",
                                f"query too long ({len(text)} characters, at most {MAX_LENGTH})")
    if not text.strip():
        raise SegmentQueryError(1, "kueri kosong: tulis minimal satu kondisi, mis. zone = WITA",
                                "empty query: write at least one condition, e.g. zone = WITA")
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    _check_depth(tree)
    return Query(_node(tree), text)


def unquote(token: str) -> str:
    """A STRING token's content: quotes removed, ``\\"`` and ``\\\\`` resolved (other backslashes kept)."""
    return _ESCAPE.sub(r"\1", token[1:-1])


def _node(tree: Tree) -> Node:
    """The tree as nodes (recursion bounded by :data:`MAX_DEPTH`, checked before)."""
    kind = tree.data
    if kind == "clause":
        field, op, value = tree.children
        raw = unquote(value) if value.type == "STRING" else str(value)
        return build_clause(str(field), field.start_pos + 1, str(op), op.start_pos + 1, raw, value.start_pos + 1)
    if kind == "group":
        return _node(tree.children[1])
    if kind == "negation":
        return Not(_node(tree.children[0]))
    items = tuple(_node(child) for child in tree.children)
    return And(items) if kind == "and_expr" else Or(items)


def _check_depth(tree: Tree) -> None:
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in ("group", "negation"):
            depth += 1
            if depth > MAX_DEPTH:
                raise SegmentQueryError(
                    node.meta.start_pos + 1,
                    f"terlalu banyak tanda kurung atau NOT bertingkat (paling banyak {MAX_DEPTH})",
                    f"too deeply nested parentheses or NOT (at most {MAX_DEPTH} levels)",
                )
        stack.extend((child, depth) for child in node.children if isinstance(child, Tree))


def _syntax_error(text: str, exc: UnexpectedInput) -> SegmentQueryError:
    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(text, exc.pos_in_stream)
    if isinstance(exc, UnexpectedToken):
        return _unexpected(text, exc.token, frozenset(exc.expected))
    position = len(text.rstrip()) + 1  # pragma: no cover - LALR raises only the two above
    return SegmentQueryError(position, "kueri tidak lengkap", "incomplete query")  # pragma: no cover


def _bad_character(text: str, index: int) -> SegmentQueryError:
    char = text[index]
    if char == '"':
        return SegmentQueryError(index + 1, 'tanda kutip " tidak ditutup', 'unclosed double quote "')
    if char == "!":
        return SegmentQueryError(index + 1, 'tanda "!" harus diikuti "=" (tidak sama dengan: !=)',
                                 '"!" must be followed by "=" (does not equal: !=)', "!=")
    return SegmentQueryError(index + 1, f'karakter "{shown(char)}" tidak terduga', f'unexpected character "{shown(char)}"')


def _unexpected(text: str, token: Token, expected: frozenset[str]) -> SegmentQueryError:
    at_end = token.type == "$END"
    position = len(text.rstrip()) + 1 if at_end else token.start_pos + 1
    found = "" if at_end else shown(str(token))
    if expected <= _VALUE:
        if at_end:
            return SegmentQueryError(position, "nilai tidak ada setelah operator", "a value is missing after the operator")
        return SegmentQueryError(position, f'nilai diharapkan setelah operator, bukan "{found}"',
                                 f'expected a value after the operator, not "{found}"',
                                 "=" if found == "=" and text[token.start_pos - 1] == "=" else None)
    if expected == {"OP"}:
        return _missing_operator(text, token, position, found)
    if expected <= _AFTER_CONDITION:
        return _after_condition(text, token, position, found)
    # Where a condition should start: after AND, OR, NOT, "(" or at the very beginning.
    if at_end:
        return SegmentQueryError(position, "kondisi tidak ada di akhir kueri (setelah AND, OR, NOT atau \"(\")",
                                 'a condition is missing at the end of the query (after AND, OR, NOT or "(")')
    if token.type == "STRING":
        return SegmentQueryError(position, "nama kolom ditulis tanpa tanda kutip", "field names are written without quotes",
                                 unquote(str(token)))
    if token.type == "RPAR":
        return SegmentQueryError(position, 'kondisi tidak ada sebelum ")"', 'a condition is missing before ")"')
    if token.type == "OP":
        return SegmentQueryError(position, f'nama kolom tidak ada sebelum "{found}"', f'a field name is missing before "{found}"')
    return SegmentQueryError(position, f'kondisi tidak ada sebelum "{found}"', f'a condition is missing before "{found}"')


def _missing_operator(text: str, token: Token, position: int, found: str) -> SegmentQueryError:
    """The parser took a word as a field name and found no operator after it."""
    before = text[: token.start_pos].rstrip() if token.type != "$END" else text.rstrip()
    word = _LAST_WORD.search(before)
    name = word.group(0) if word else ""
    if name.casefold() in ("and", "or"):  # "AND zone = WIB": the keyword came where a condition starts
        return SegmentQueryError(word.start() + 1, f'kondisi tidak ada sebelum "{shown(name)}"',  # type: ignore[union-attr]
                                 f'a condition is missing before "{shown(name)}"')
    if token.type == "$END":
        return SegmentQueryError(position, f'operator ({_OPERATORS}) tidak ada setelah "{shown(name)}"',
                                 f'an operator ({_OPERATORS}) is missing after "{shown(name)}"')
    return SegmentQueryError(position, f'operator ({_OPERATORS}) diharapkan setelah "{shown(name)}", bukan "{found}"',
                             f'expected an operator ({_OPERATORS}) after "{shown(name)}", not "{found}"')


def _after_condition(text: str, token: Token, position: int, found: str) -> SegmentQueryError:
    """A complete condition was followed by something other than AND, OR or ")"."""
    if token.type == "$END":
        return SegmentQueryError(_unclosed_parenthesis(text), 'tanda kurung "(" tidak ditutup', 'unclosed parenthesis "("')
    if token.type == "RPAR":
        return SegmentQueryError(position, 'tanda kurung ")" tanpa pasangan "("', '")" has no matching "("')
    if token.type in ("WORD", "STRING"):
        before = text[: token.start_pos].rstrip()
        word = _LAST_WORD.search(before)
        value = unquote(str(token)) if token.type == "STRING" else str(token)
        # "Kalimantan Timur" unquoted, not "zone = WIB zone = WIT" (a missing AND, no value to quote)
        operator_next = text[token.end_pos:].lstrip()[:1] in ("=", "!", "<", ">", "~")
        joined = word and token.type == "WORD" and not before.endswith('"') and not operator_next
        suggestion = " ".join([word.group(0), value, *_more_words(text[token.end_pos:])]) if joined else None  # type: ignore[union-attr]
        return SegmentQueryError(
            position,
            f'"{found}" tidak terduga: gabungkan kondisi dengan AND atau OR; nilai yang memuat spasi ditulis dalam tanda kutip',
            f'unexpected "{found}": join conditions with AND or OR; put values with spaces in double quotes',
            suggestion,
        )
    return SegmentQueryError(position, f'"{found}" tidak terduga: gabungkan kondisi dengan AND atau OR',
                             f'unexpected "{found}": join conditions with AND or OR')


def _more_words(rest: str) -> list[str]:
    """The bare words that follow, up to AND, OR, a parenthesis, a quote or an operator."""
    words = []
    for word in rest.split():
        if word.casefold() in ("and", "or") or not _LAST_WORD.fullmatch(word):
            break
        words.append(word)
    return words


def _unclosed_parenthesis(text: str) -> int:
    """1-based position of the last "(" never closed (quoted text skipped)."""
    outside = _STRING.sub(lambda m: " " * len(m.group(0)), text)
    opened: list[int] = []
    for index, char in enumerate(outside):
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            opened.pop()
    return opened[-1] + 1 if opened else len(text.rstrip()) + 1
