"""The parsed form of a flow: plain frozen data with source positions for error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from nlu import Language

from .yaml_source import Mapping, Pos

if TYPE_CHECKING:
    from .run import Outcome, Run

LANGUAGES: tuple[Language, ...] = ("id", "en")
# WhatsApp reply buttons allow 20 characters, the strictest channel we support.
MAX_BUTTON_LABEL = 20
# Telegram's callback_data limit is 64 bytes.
MAX_PAYLOAD_BYTES = 64
# The payload of an answer button: "answer:" followed by the choice's value.
PAYLOAD_ANSWER = "answer:"
PAYLOAD_QUESTION = "q:"  # followed by an FAQ entry id
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a flow, printed as ``file:line:column: message``."""

    pos: Pos
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}"


class Problems(list[Problem]):
    """Collects problems while parsing and validating."""

    def add(self, pos: Pos, message: str) -> None:
        self.append(Problem(pos, message))

    def keep_unique(self, found: dict[str, Any], item_id: str, item: Any, file: str, kind: str) -> None:
        """Keep ``item`` (parsed from ``file``) under ``item_id`` in ``found``, unless another file
        already uses that id: then it is a problem at the start of ``file`` and is left out."""
        if item_id in found:
            self.add(Pos(file, 1, 1), f"{kind} id '{item_id}' is already used by {found[item_id].file}")
        else:
            found[item_id] = item


@dataclass(frozen=True, slots=True)
class Text:
    """A message in every language (``id`` and ``en``), possibly with ``{placeholders}``."""

    values: dict[str, str]
    pos: Pos

    def get(self, language: Language) -> str:
        return self.values.get(language) or self.values.get("id") or next(iter(self.values.values()), "")

    def placeholders(self) -> list[str]:
        return [name for value in self.values.values() for name in PLACEHOLDER.findall(value)]


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button under a message: its label and the payload it sends back."""

    label: Text
    payload: str


@dataclass(frozen=True, slots=True)
class Step:
    """What every step has: an id, a position, and the step that follows it (``None``: end)."""

    KEY: ClassVar[str] = ""
    id: str
    pos: Pos
    next: str | None

    def targets(self) -> list[tuple[str, Pos]]:
        """The steps this step can continue to, for the validator's graph checks."""
        return [(self.next, self.pos)] if self.next else []

    def waits(self) -> bool:
        """True for a step that waits for the voter (a question)."""
        return False

    def texts(self) -> list[tuple[str, Pos]]:
        """Every string with placeholders this step renders, for the placeholder check."""
        return []

    def texts_of(self, *texts: Text | None) -> list[tuple[str, Pos]]:
        return [(name, t.pos) for t in texts if t is not None for name in t.placeholders()]

    def sets(self) -> set[str]:
        """The flow results (placeholders) this step sets."""
        return set()

    def flows(self) -> list[tuple[str, Pos]]:
        """Other flows this step may start."""
        return []

    def execute(self, run: "Run") -> "Outcome":
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Triggers:
    """What starts a flow outside another one: intents, keywords, commands, button payloads."""

    intents: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    payloads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Flow:
    """One flow: its steps in file order, the first of which starts it."""

    id: str
    title: Text
    triggers: Triggers
    steps: dict[str, Step]
    start: str
    file: str
    version: str = ""
    source: str = field(default="", repr=False, compare=False)
    broken_steps: frozenset[str] = frozenset()  # steps that failed to parse (already reported)


def parse_text(raw: object, pos: Pos, problems: Problems, what: str = "text") -> Text | None:
    """Parse ``{id: ..., en: ...}``; both translations are required."""
    if not isinstance(raw, Mapping):
        problems.add(pos, f"{what} must be a mapping with 'id' and 'en' translations")
        return None
    values: dict[str, str] = {}
    for key, value in raw.items():
        if key not in LANGUAGES:
            problems.add(raw.key_at(key), f"unknown language '{key}' (use id and en)")
        elif not isinstance(value, str) or not value.strip():
            problems.add(raw.at(key), f"{what} in '{key}' must be non-empty text")
        else:
            values[key] = value
    for language in LANGUAGES:
        if language not in raw:
            problems.add(raw.pos, f"missing translation '{language}'")
    return Text(values, raw.pos)


def parse_buttons(raw: object, pos: Pos, problems: Problems) -> tuple[ButtonSpec, ...]:
    """Parse ``[{label: {id, en}, payload: str}, ...]`` and check labels fit every channel."""
    if not isinstance(raw, list):
        problems.add(pos, "buttons must be a list")
        return ()
    buttons: list[ButtonSpec] = []
    for item, item_pos in zip(raw, getattr(raw, "item_pos", [pos] * len(raw))):
        if not isinstance(item, Mapping):
            problems.add(item_pos, "a button must be a mapping with 'label' and 'payload'")
            continue
        check_keys(item, {"label", "payload"}, problems)
        label = parse_label(item.get("label"), item.at("label"), problems)
        payload = item.get("payload")
        if not isinstance(payload, str) or not payload or len(payload.encode()) > MAX_PAYLOAD_BYTES:
            problems.add(item.at("payload"), f"payload must be text of 1-{MAX_PAYLOAD_BYTES} bytes")
            continue
        if label is not None:
            buttons.append(ButtonSpec(label, payload))
    return tuple(buttons)


def parse_label(raw: object, pos: Pos, problems: Problems) -> Text | None:
    """A button label: a translated text no longer than :data:`MAX_BUTTON_LABEL` characters."""
    label = parse_text(raw, pos, problems, "label")
    if label is not None and isinstance(raw, Mapping):
        for language, value in label.values.items():
            if len(value) > MAX_BUTTON_LABEL:
                problems.add(raw.at(language), f"button label '{value}' is longer than {MAX_BUTTON_LABEL} "
                             "characters (the WhatsApp limit)")
    return label


def check_keys(raw: Mapping, allowed: set[str], problems: Problems) -> None:
    for key in raw:
        if key not in allowed:
            problems.add(raw.key_at(key), f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})")


def parse_name(raw: object, pos: Pos, problems: Problems, what: str) -> str | None:
    if not isinstance(raw, str) or not NAME.match(raw):
        problems.add(pos, f"{what} must be a lower-case name (letters, digits, '_')")
        return None
    return raw
