"""Understanding one voter message: clean, redact, normalise, language, command, intent, signals.

Pure functions over plain data; reads only its own files under ``nlu/data``.
"""

from __future__ import annotations

from datetime import date

from .commands import detect_command, is_yes
from .encoder import Encoder
from .entities import extract_entities
from .intent_model import IntentModel
from .intents import classify
from .language import detect_language, other_language
from .normalise import MAX_TEXT_CHARS, clean, normalise
from .redact import redact
from .signals import extract_signals, language_signal, signal_model_for
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
    "detect_language",
    "is_yes",
    "normalise",
    "parse",
    "redact",
]


def parse(
    text: str,
    default_language: Language = "id",
    encoder: Encoder | None = None,
    intent_model: IntentModel | None = None,
    today: date | None = None,
) -> ParseResult:
    """Understand one message. ``text`` should already be cleaned and cut to the length limit.

    Matching and signals work on the redacted text, so no identifier travels further. With an
    ``encoder`` and a trained ``intent_model`` the intent comes from the model (out of scope when
    it is unsure); without them, from a small keyword table. Dates ("besok") are resolved only
    when ``today`` is given.
    """
    redacted = redact(text)
    normalised = normalise(redacted)
    vector = encoder.encode_queries([redacted])[0] if encoder is not None and normalised else None
    signal_model = signal_model_for(encoder) if vector is not None and encoder is not None else None
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
        signals=extract_signals(redacted, normalised, vector, signal_model)
        + language_signal(redacted, other_language(redacted, normalised)),
        entities=extract_entities(redacted, today),
        intent_ranking=ranking,
        vector=vector,
    )
