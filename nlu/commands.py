"""Whole-message commands that must work everywhere, before any flow runs.

Only the *whole* message counts: "STOP" opts out, "stop harga naik!" does not.
"""

from __future__ import annotations

import re

from .types import Command

_OPT_OUT = frozenset({"stop", "berhenti", "/stop", "unsubscribe"})
_OPT_IN = frozenset({"mulai", "/start"})
_TRAILING = re.compile(r"[\s.!]+$")


def detect_command(text: str) -> Command | None:
    """Return ``"opt_out"`` or ``"opt_in"`` when the whole message is such a command."""
    word = _TRAILING.sub("", text.strip()).casefold()
    if word in _OPT_OUT:
        return "opt_out"
    if word in _OPT_IN:
        return "opt_in"
    return None
