"""Whole-message commands that must work everywhere, before any flow runs.

Only the *whole* message counts: "STOP" opts out, "stop harga naik!" does not. ``/datasaya``
shows a voter what we keep about them and ``HAPUS DATA`` erases it (after a confirmation).
"""

from __future__ import annotations

import re

from .types import Command

_OPT_OUT = frozenset({"stop", "berhenti", "/stop", "unsubscribe"})
_OPT_IN = frozenset({"mulai", "/start"})
_MY_DATA = frozenset({"/datasaya", "datasaya", "data saya", "/mydata", "my data"})
_ERASE_DATA = frozenset({"hapus data", "/hapusdata", "hapusdata", "hapus data saya", "delete my data", "/deletemydata"})
_YES = frozenset({"ya", "iya", "y", "yes", "ya hapus", "setuju", "ok", "oke"})
_TRAILING = re.compile(r"[\s.!]+$")


def detect_command(text: str) -> Command | None:
    """Return ``"opt_out"`` or ``"opt_in"`` when the whole message is such a command."""
    word = _TRAILING.sub("", text.strip()).casefold()
    if word in _OPT_OUT:
        return "opt_out"
    if word in _OPT_IN:
        return "opt_in"
    if word in _MY_DATA:
        return "my_data"
    if word in _ERASE_DATA:
        return "erase_data"
    return None


def is_yes(text: str) -> bool:
    """Whether the whole message is a plain "yes" ("YA", "iya", "yes"), e.g. to confirm an erasure."""
    return _TRAILING.sub("", text.strip()).casefold() in _YES
