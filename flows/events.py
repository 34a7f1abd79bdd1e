"""Events: what the engine decided, for ``bot`` to apply in one transaction.

The engine never does anything itself; like goflow's event log, every effect of a message is
one of these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge import Candidate
from nlu import Language


@dataclass(frozen=True, slots=True)
class Button:
    """A quick reply: ``title`` is shown, ``payload`` comes back when pressed."""

    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """Send ``text`` (with optional quick-reply buttons) to the voter."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    answer_id: str | None = None


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """The voter writes in ``language``; reply in it from now on."""

    language: Language


@dataclass(frozen=True, slots=True)
class SetSignal:
    """Record a segment signal (``bot`` stores it only for consenting voters)."""

    name: str
    value: str
    confidence: float
    evidence: str
    source: str


@dataclass(frozen=True, slots=True)
class RecordConsent:
    """The voter agreed (``granted``) or refused the consent text of ``version``."""

    granted: bool
    version: str


@dataclass(frozen=True, slots=True)
class QueueUnanswered:
    """The bot could not answer ``question``; staff should see it with the near misses."""

    question: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class Handover:
    """The voter asked for a human."""

    reason: str


Event = Reply | SetLanguage | SetSignal | RecordConsent | QueueUnanswered | Handover
