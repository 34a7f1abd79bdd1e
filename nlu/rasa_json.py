"""Rasa's ``POST /model/parse`` JSON, both ways: our parse as Rasa would print it, and Rasa's answer as our types.

Rasa 3 answers ``{"text", "intent": {"name", "confidence"}, "entities": [{"entity", "value", "start",
"end", "extractor", "confidence_entity", …}], "intent_ranking": [{"name", "confidence"}, …]}``
(plus ``response_selector`` and others we ignore). Teams that already run Rasa can point Suara at
their server; staff who know Rasa read ``suara nlu parse`` output in the shape they know.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .types import Entity, Intent, ParseResult

ENTITY_CONFIDENCE_KEYS = ("confidence_entity", "confidence")


class RasaResponseError(ValueError):
    """A Rasa answer that does not have the ``/model/parse`` shape."""


def to_rasa_json(result: ParseResult) -> dict[str, Any]:
    """``result`` in the shape of Rasa's ``/model/parse`` answer."""
    return {
        "text": result.text,
        "intent": _intent_json(result.intent),
        "entities": [
            {"entity": e.entity, "value": e.value, "start": e.start, "end": e.end, "extractor": e.extractor,
             "confidence": e.confidence}
            for e in result.entities
        ],
        "intent_ranking": [_intent_json(intent) for intent in result.intent_ranking],
    }


def _intent_json(intent: Intent | None) -> dict[str, Any]:
    if intent is None:
        return {"name": None, "confidence": 0.0}
    return {"name": intent.name, "confidence": intent.confidence}


def apply_rasa_answer(result: ParseResult, answer: Any) -> ParseResult:
    """``result`` with the intent, ranking and entities from a Rasa ``/model/parse`` answer.

    Rasa was sent ``result.redacted``; its entity offsets are moved onto ``result.text`` (entities
    whose words are no longer there, because they were masked, are dropped). Raises
    :class:`RasaResponseError` when the answer is not in Rasa's shape.
    """
    if not isinstance(answer, Mapping):
        raise RasaResponseError("the answer is not a JSON object")
    intent = _intent(answer.get("intent"), "intent")
    ranking = answer.get("intent_ranking") or []
    if not isinstance(ranking, list):
        raise RasaResponseError("intent_ranking is not a list")
    entities = answer.get("entities") or []
    if not isinstance(entities, list):
        raise RasaResponseError("entities is not a list")
    found = [e for e in (_entity(item, result) for item in entities) if e is not None]
    return dataclasses.replace(
        result,
        intent=intent,
        intent_ranking=tuple(i for i in (_intent(item, "intent_ranking") for item in ranking) if i is not None),
        entities=(*result.entities, *found),
    )


def _intent(item: Any, where: str) -> Intent | None:
    if item is None:
        return None
    if not isinstance(item, Mapping):
        raise RasaResponseError(f"{where} is not an object")
    name, confidence = item.get("name"), item.get("confidence", 0.0)
    if name is None:
        return None
    if not isinstance(name, str) or not isinstance(confidence, int | float) or isinstance(confidence, bool):
        raise RasaResponseError(f"{where} needs a name and a numeric confidence")
    return Intent(name, min(1.0, max(0.0, float(confidence))))


def _entity(item: Any, result: ParseResult) -> Entity | None:
    if not isinstance(item, Mapping):
        raise RasaResponseError("an entity is not an object")
    name, start, end = item.get("entity"), item.get("start"), item.get("end")
    if not isinstance(name, str) or not isinstance(start, int) or not isinstance(end, int):
        raise RasaResponseError("an entity needs entity, start and end")
    surface = result.redacted[start:end] if 0 <= start < end <= len(result.redacted) else ""
    if result.text == result.redacted:
        position = start if surface else -1
    else:  # masking moved the offsets: find the words in the original text
        position = result.text.find(surface) if surface else -1
    if position < 0:
        return None
    confidence = next((item[k] for k in ENTITY_CONFIDENCE_KEYS if isinstance(item.get(k), int | float)), 1.0)
    value = item.get("value", surface)
    return Entity(entity=name, value=str(value), start=position, end=position + len(surface),
                  extractor=str(item.get("extractor") or "rasa"), confidence=float(confidence))
