"""Events: what the engine decided, for ``bot`` to apply in one transaction.

The engine never does anything itself; like goflow's event log, every effect of a message is
one of these values. ``bot`` applies them in order (see ``bot/loop.py``).
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


#: What a reply is, for dialogue tests and reports: a flow's question, a knowledge answer, a hoax
#: correction with its source, a question between two entries, "I don't know", a neutral decline
#: (candidates, parties), small talk, an acknowledged concern, the STOP confirmation, a handover,
#: a confirmation, or other.
REPLY_KINDS = frozenset({
    "ask", "answer", "correction", "clarify", "not_known", "decline_neutral", "small_talk", "acknowledge",
    "stopped", "handover", "confirm", "say",
})
#: A kind that is a special case of another: a hoax correction is an answer from what the bot knows,
#: so an expectation of ``answer`` is met by a ``correction`` too.
REPLY_KIND_PARENTS = {"correction": "answer"}


@dataclass(frozen=True, slots=True)
class Reply:
    """Send ``text`` (with optional quick-reply buttons) to the voter; ``kind`` is one of REPLY_KINDS."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    answer_id: str | None = None
    kind: str = "say"


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
class SetField:
    """Set a contact field (only ``region`` today; ``bot`` stores it only with consent)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class RecordConsent:
    """The voter agreed (``granted``) or refused the consent text of ``version``."""

    granted: bool
    version: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Subscribe the voter to the reminders of ``topic`` (only emitted with consent)."""

    topic: str


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """Stop the reminders of ``topic``."""

    topic: str


#: Why a question is queued for staff: the bot said it does not know, or it asked the voter
#: which of two close entries they meant (both show that the knowledge could be better).
UNANSWERED_KINDS = ("abstained", "clarified")


@dataclass(frozen=True, slots=True)
class QueueUnanswered:
    """The bot could not answer ``question`` outright (``kind``: one of UNANSWERED_KINDS); staff
    should see it with the near misses."""

    question: str
    candidates: tuple[Candidate, ...]
    kind: str = "abstained"


@dataclass(frozen=True, slots=True)
class Handover:
    """The voter asked for a human."""

    reason: str


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """Ask ``bot`` to do something with side effects the engine must not do itself.

    Today: ``record_report`` with ``what``, ``where``, ``when`` and ``kind``.
    """

    name: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class FlowStarted:
    """The voter entered flow ``flow_id`` at ``version`` (its content hash)."""

    flow_id: str
    version: str


@dataclass(frozen=True, slots=True)
class FlowEnded:
    """The voter left flow ``flow_id``; ``reason`` is completed, cancelled, expired, replaced or failed."""

    flow_id: str
    version: str
    reason: str


Event = (
    Reply | SetLanguage | SetSignal | SetField | RecordConsent | Subscribe | Unsubscribe | QueueUnanswered
    | Handover | ActionRequest | FlowStarted | FlowEnded
)
