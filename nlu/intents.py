"""Intent recognition from a small keyword table (a placeholder for the trained classifier).

Rules are tried in order; the first whose phrase occurs as whole words in the normalised text
wins. No match means the message is a question for the knowledge base.
"""

from __future__ import annotations

import re

from .types import Intent

_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("human", ("manusia", "petugas", "operator", "bicara dengan orang", "human", "agent", "talk to a person")),
    ("help", ("menu", "bantuan", "help", "tolong bantu")),
    ("greet", ("halo", "hallo", "helo", "hai", "hi", "hello", "hey", "selamat pagi", "selamat siang",
               "selamat sore", "selamat malam", "pagi", "permisi", "assalamualaikum")),
    ("thanks", ("terima kasih", "makasih", "thanks", "thank you", "tengkyu", "nuhun", "matur nuwun")),
)
_PATTERNS = tuple(
    (name, re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)"))
    for name, phrases in _RULES
)
# A greeting longer than this many words is probably a question that starts with "halo".
_MAX_SMALL_TALK_WORDS = 4


def classify(normalised: str) -> Intent | None:
    """Return the keyword intent of ``normalised`` text, or ``None`` for a question."""
    for name, pattern in _PATTERNS:
        if not pattern.search(normalised):
            continue
        if name in ("greet", "thanks") and len(normalised.split()) > _MAX_SMALL_TALK_WORDS:
            continue
        return Intent(name=name, confidence=1.0)
    return None
