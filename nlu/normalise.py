"""Normalisation of voter text for matching (never for display or storage).

Lower-cases, folds Unicode compatibility forms, drops zero-width and control characters and
emoji, collapses letters repeated three or more times, strips punctuation and maps informal
spellings to standard ones from ``nlu/data/slang.tsv``: first phrases ("srt suara", "tuna netra"),
longest first, then single words, then words carrying a suffix (-nya, -ku, -mu, -lah, -kah) whose
stem is in the table ("rmhnya" → "rumahnya").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

MAX_TEXT_CHARS = 4096
SLANG_FILE = Path(__file__).parent / "data" / "slang.tsv"

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")
_SUFFIXES = ("nya", "lah", "kah", "ku", "mu")
# Shorter stems turn ordinary words into nonsense ("buku" is not "ibu" + "ku").
_MIN_STEM = 3


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
    return " ".join(_standard_words([word for word in _SPACES.split(text) if word]))


def _standard_words(words: list[str]) -> list[str]:
    slang, phrases, longest = _slang_table(), _phrase_table(), _longest_phrase()
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 1, -1):
            standard = phrases.get(" ".join(words[i:i + size]))
            if standard is not None:
                out.append(standard)
                i += size
                break
        else:
            out.append(_standard_word(words[i], slang))
            i += 1
    return out


def _standard_word(word: str, slang: dict[str, str]) -> str:
    if word in slang:
        return slang[word]
    for suffix in _SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= _MIN_STEM and stem in slang and " " not in slang[stem]:
            return slang[stem] + suffix
    return word


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, str]:
    """Informal → standard spellings, read once from the package's own data file."""
    path = SLANG_FILE
    table: dict[str, str] = {}
    if not path.exists():
        return table
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        informal, _, standard = line.partition("\t")
        if informal.strip() and standard.strip():
            table[" ".join(informal.split()).casefold()] = standard.strip().casefold()
    return table


@lru_cache(maxsize=1)
def _slang_table() -> dict[str, str]:
    """One-word informal spellings."""
    return {k: v for k, v in _lexicon().items() if " " not in k}


@lru_cache(maxsize=1)
def _phrase_table() -> dict[str, str]:
    """Several-word informal spellings ("srt suara" → "surat suara")."""
    return {k: v for k, v in _lexicon().items() if " " in k}


@lru_cache(maxsize=1)
def _longest_phrase() -> int:
    return max((len(k.split()) for k in _phrase_table()), default=1)


def slang_standard_words() -> frozenset[str]:
    """Every word of the standard forms in ``slang.tsv``: a small Indonesian lexicon."""
    return frozenset(word for standard in _lexicon().values() for word in standard.split())
