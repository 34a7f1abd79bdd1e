"""Understanding one voter message: clean, redact, normalise, language, command, intent, signals.

Pure functions over plain data; reads only its own files under ``nlu/data``.
"""

from __future__ import annotations

from .commands import detect_command
from .encoder import Encoder
from .intent_model import IntentModel
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
    "IntentModel",
    "Language",
    "ParseResult",
    "Signal",
    "clean",
    "normalise",
    "parse",
    "redact",
]


def parse(
    text: str,
    default_language: Language = "id",
    encoder: Encoder | None = None,
    intent_model: IntentModel | None = None,
) -> ParseResult:
    """Understand one message. ``text`` should already be cleaned and cut to the length limit.

    Matching and signals work on the redacted text, so no identifier travels further. With an
    ``encoder`` and a trained ``intent_model`` the intent comes from the model (out of scope when
    it is unsure); without them, from a small keyword table.
    """
    redacted = redact(text)
    normalised = normalise(redacted)
    vector = encoder.encode_queries([redacted])[0] if encoder is not None and normalised else None
    if intent_model is not None and vector is not None:
        prediction = intent_model.predict(vector, normalised)
        intent, ranking = prediction.intent, prediction.ranking
    else:
        intent, ranking = classify(normalised), ()
    return ParseResult(
        text=text,
        redacted=redacted,
        normalised=normalised,
        language=detect_language(normalised, default_language),
        intent=intent,
        command=detect_command(text),
        signals=extract_signals(normalised),
        intent_ranking=ranking,
        vector=vector,
    )
