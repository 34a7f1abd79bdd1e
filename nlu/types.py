"""Plain data returned by :func:`nlu.parse`. No behaviour, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Language = Literal["id", "en"]
Command = Literal["opt_out", "opt_in", "my_data", "erase_data"]


@dataclass(frozen=True, slots=True)
class Intent:
    """The intent a message most likely expresses, with a confidence in [0, 1]."""

    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity found in the text, in the shape of Rasa's ``/model/parse`` entities.

    ``start``/``end`` index the original text; ``value`` is the canonical value (for a region,
    its official name or code); ``extractor`` names the rule or model that found it.
    """

    entity: str
    value: str
    start: int
    end: int
    extractor: str
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Signal:
    """A segment signal and why we believe it.

    ``evidence`` is the span of the original text that produced the signal and ``source``
    names the rule or model, so a staff member can see why a voter is in a segment.
    """

    name: str
    value: str
    confidence: float
    evidence: str
    source: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What the NLU understood of one message.

    ``text`` is the original text (as received, cut to the length limit); ``redacted`` is the
    same text with personal identifiers masked and is the only form that may be stored or
    logged; ``normalised`` is the form used for matching; ``vector`` is the message's sentence
    embedding when an encoder was given, computed once and shared by every consumer.
    """

    text: str
    redacted: str
    normalised: str
    language: Language
    intent: Intent | None
    command: Command | None = None
    signals: tuple[Signal, ...] = field(default_factory=tuple)
    entities: tuple[Entity, ...] = field(default_factory=tuple)
    intent_ranking: tuple[Intent, ...] = field(default_factory=tuple)
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
