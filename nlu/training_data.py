"""Labelled examples for training and evaluating the intent classifier.

Plain data shared by the Rasa ``nlu.yml`` reader (:mod:`nlu.rasa_format`) and the JSONL reader
here (one ``{"text": …, "label": …}`` object per line, the shape of the public benchmarks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .types import Entity


class TrainingDataError(ValueError):
    """A training file is malformed; the message reads ``source:line: problem`` (``source: problem`` for line 0)."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(f"{source}:{line}: {problem}" if line else f"{source}: {problem}")
        self.source, self.line, self.problem = source, line, problem


@dataclass(frozen=True, slots=True)
class Example:
    """One training sentence: its plain text (annotations removed), intent and entities.

    For a Rasa 2 retrieval intent such as ``faq/ask_tps`` the intent is the full name;
    :attr:`base_intent` is the part before the slash.
    """

    text: str
    intent: str
    entities: tuple[Entity, ...] = ()
    line: int = 0

    @property
    def base_intent(self) -> str:
        return self.intent.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class TrainingData:
    """Everything a training file holds."""

    examples: tuple[Example, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    regexes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def intents(self) -> tuple[str, ...]:
        """Intent names in order of first appearance."""
        return tuple(dict.fromkeys(example.intent for example in self.examples))


def parse_jsonl(text: str, source: str = "<jsonl>") -> TrainingData:
    """Read JSON Lines with a ``text`` and a ``label`` on every non-empty line."""
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainingDataError(source, number, f"not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise TrainingDataError(source, number, "each line must be a JSON object with text and label")
        sentence, label = row.get("text"), row.get("label")
        if not isinstance(sentence, str) or not sentence.strip():
            raise TrainingDataError(source, number, "missing text (a non-empty string)")
        if not isinstance(label, str) or not label.strip():
            raise TrainingDataError(source, number, "missing label (a non-empty string)")
        examples.append(Example(text=sentence.strip(), intent=label.strip(), line=number))
    if not examples:
        raise TrainingDataError(source, 1, "no examples found")
    return TrainingData(examples=tuple(examples))
