"""The state of one turn while steps execute, and what a step returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from knowledge import KnowledgeBase, TpsIndex
from nlu import Language, ParseResult

from .events import Button, Event, Reply
from .catalog import EMPTY_LIBRARY, Library
from .model import PLACEHOLDER, ButtonSpec, Flow, Text


@dataclass(frozen=True, slots=True)
class Turn:
    """One input from the voter at time ``now``: a parsed text, a pressed button or a location."""

    now: datetime
    parse: ParseResult | None = None
    payload: str | None = None
    location: tuple[float, float] | None = None
    notices: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Context:
    """What the engine may read about the world, all loaded by ``bot`` beforehand.

    ``library`` holds every published flow version (so a session finishes on the version it
    started with); ``tps`` is the polling-station index; ``region`` is the contact's region.
    """

    knowledge: KnowledgeBase
    language: Language
    consent: bool | None
    session_timeout: timedelta = timedelta(minutes=30)
    library: Library = EMPTY_LIBRARY
    tps: TpsIndex | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Wait:
    """The step asked a question: stop here until the voter answers."""


@dataclass(frozen=True, slots=True)
class End:
    """The flow is over."""


@dataclass(frozen=True, slots=True)
class StartFlow:
    """Leave this flow and start ``flow_id`` from its first step."""

    flow_id: str


Outcome = str | Wait | End | StartFlow
WAIT, END = Wait(), End()


@dataclass(slots=True)
class Run:
    """A flow being executed during one turn. Steps read it and append events to it."""

    context: Context
    turn: Turn
    language: Language
    flow: Flow
    results: dict[str, str]
    memory: dict[str, str]
    events: list[Event]
    consent: bool | None
    region: str

    def value(self, name: str) -> str:
        """The value of a placeholder or condition operand (``""`` when unset)."""
        namespace, _, key = name.partition(".")
        if namespace == "contact" and key:
            return {
                "region": self.region,
                "language": self.language,
                "consent": {True: "yes", False: "no"}.get(self.consent, "unknown"),  # type: ignore[arg-type]
            }.get(key, "")
        if namespace in ("signal", "session") and key:
            return self.memory.get(name, "")
        if namespace == "election" and key:
            return self.context.library.election.get(key, {}).get(self.language, "")
        return self.results.get(name, "")

    def render(self, text: Text | str) -> str:
        raw = text if isinstance(text, str) else text.get(self.language)
        return PLACEHOLDER.sub(lambda m: self.value(m.group(1)), raw)

    def say(
        self, text: Text | str, buttons: tuple[ButtonSpec, ...] = (), answer_id: str | None = None, kind: str = "say"
    ) -> None:
        rendered = tuple(Button(self.render(b.label), b.payload) for b in buttons)
        self.events.append(Reply(self.render(text), rendered, answer_id, kind))
