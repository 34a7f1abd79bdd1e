"""Decoding a request body as JSON without trusting it: what every inbound route uses.

``json.loads`` alone turns ``[`` × 5,000 into a ``RecursionError`` (a 500), ``NaN`` and
``1e999`` into non-finite floats that PostgreSQL's JSON refuses later, and a 4,000-digit
number into seconds of CPU. Here each of those is a :class:`BadBody`, which the routes answer
with a 400 like any other malformed body.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Deeper than any body Telegram, WhatsApp or our web chat sends (theirs stay under 10).
MAX_DEPTH = 32
#: Digits in one integer: Telegram's ids are 64-bit (19 digits), WhatsApp's timestamps 10.
MAX_INT_DIGITS = 24


class BadBody(ValueError):
    """The body is not JSON we accept; the message says why, without echoing the body."""


def decode(raw: bytes) -> Any:
    """``raw`` as JSON, or :class:`BadBody`: not UTF-8, not JSON, too deep, non-finite or huge numbers."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("body is not UTF-8 text") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except RecursionError:
        raise BadBody(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except BadBody:
        raise
    except ValueError:
        raise BadBody("body is not valid JSON") from None
    _check_depth(value)
    return value


def _refuse_constant(name: str) -> Any:
    raise BadBody(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadBody("number out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadBody("number out of range")
    return int(text)


def _check_depth(value: Any) -> None:
    """Walk without recursion, so the check itself cannot overflow the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BadBody(f"JSON nested deeper than {MAX_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
