"""Understanding one voter message: clean, redact, normalise, language, command, intent, signals.

Pure functions over plain data; reads only its own files under ``nlu/data``.
"""

from __future__ import annotations

from .commands import detect_command
from .encoder import Encoder
from .intents import classify
from .language import detect_language
from .normalise import MAX_TEXT_CHARS, clean, normalise
from .redact import redact
from .signals import extract_signals
from .types import Command, Entity, Intent, Language, ParseResult, Signal

__all__ = [
    "MAX_TEXT_CHARS",
    "Command",
    "Encoder",
    "Entity",
    "Intent",
    "Language",
    "ParseResult",
    "Signal",
    "clean",
    "normalise",
    "parse",
    "redact",
]


def parse(text: str, default_language: Language = "id", encoder: Encoder | None = None) -> ParseResult:
    """Understand one message. ``text`` should already be cleaned and cut to the length limit.

    Matching and signals work on the redacted text, so no identifier travels further.
    """
    redacted = redact(text)
    normalised = normalise(redacted)
    return ParseResult(
        text=text,
        redacted=redacted,
        normalised=normalised,
        language=detect_language(normalised, default_language),
        intent=classify(normalised),
        command=detect_command(text),
        signals=extract_signals(normalised),
        vector=encoder.encode_queries([redacted])[0] if encoder is not None and normalised else None,
    )
