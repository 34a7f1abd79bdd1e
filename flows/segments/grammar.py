"""The segment query grammar (lark, LALR), kept apart from what the parse tree means.

Kept as a Python string rather than a ``.lark`` file so it ships with the package without a
package-data rule. Terminal names are what :mod:`.parse` turns into bilingual messages.

``AND`` binds tighter than ``OR``; ``NOT`` applies to the condition or group right after it.
Keywords are case-insensitive and must stand alone (``notes`` is a word, ``not(`` a keyword).
A bare word is anything without spaces, quotes, parentheses or operator characters, so
``poster-unmul``, ``64.72``, ``30d`` and ``Samarinda`` need no quotes.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr (_OR and_expr)*
?and_expr: unary (_AND unary)*
?unary: negation
      | group
      | clause
negation: _NOT unary
group: LPAR or_expr RPAR
clause: WORD OP (WORD | STRING)

_OR.2: /or(?![^\s"()=!<>~])/i
_AND.2: /and(?![^\s"()=!<>~])/i
_NOT.2: /not(?![^\s"()=!<>~])/i
LPAR: "("
RPAR: ")"
OP: "!=" | "=" | "<" | ">" | "~"
STRING: /"(?:[^"\\]|\\.)*"/s
WORD: /[^\s"()=!<>~]+/

%ignore /\s+/
"""


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser, built once (positions on: every node knows where it starts)."""
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)
