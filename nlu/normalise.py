"""Normalisation of voter text for matching (never for display or storage).

Lower-cases, folds Unicode compatibility forms, drops zero-width and control characters and
emoji, collapses letters repeated three or more times, maps informal spellings to standard
ones from ``nlu/data/slang.tsv`` and strips punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

MAX_TEXT_CHARS = 4096
_DATA = Path(__file__).parent / "data"

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Make raw input safe to keep: NFC, no invisible or control characters, trimmed.

    Line breaks survive; everything else a voter typed (emoji, any script) is kept.
    """
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()


def normalise(text: str) -> str:
    """Return the matching form of ``text``: lower-case standard Indonesian words, no symbols."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _INVISIBLE.sub("", text)
    text = "".join(" " if unicodedata.category(ch)[0] in "SCP" else ch for ch in text)
    text = _REPEATS.sub(r"\1", text)
    slang = _slang_table()
    words = [slang.get(word, word) for word in _SPACES.split(text) if word]
    return " ".join(words)


@lru_cache(maxsize=1)
def _slang_table() -> dict[str, str]:
    """Informal → standard spellings, read once from the package's own data file."""
    path = _DATA / "slang.tsv"
    table: dict[str, str] = {}
    if not path.exists():
        return table
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        informal, _, standard = line.partition("\t")
        if informal.strip() and standard.strip():
            table[informal.strip().casefold()] = standard.strip().casefold()
    return table
