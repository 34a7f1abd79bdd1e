"""The flows a turn can run: the live version of each, every published version, election settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Flow


@dataclass(frozen=True, slots=True)
class Library:
    """The live flows by id, every known version by ``(id, version)``, and election settings."""

    flows: dict[str, Flow] = field(default_factory=dict)
    versions: dict[tuple[str, str], Flow] = field(default_factory=dict)
    election: dict[str, dict[str, str]] = field(default_factory=dict)

    def version(self, flow_id: str, version: str) -> Flow | None:
        """The flow ``flow_id`` as it was at ``version`` (``None`` when that version is unknown)."""
        return self.versions.get((flow_id, version))

    def for_payload(self, payload: str) -> Flow | None:
        if payload.startswith("flow:"):
            return self.flows.get(payload[5:])
        return next((f for f in self.flows.values() if payload in f.triggers.payloads), None)

    def for_text(self, text: str, normalised: str, intent: str | None) -> Flow | None:
        """The flow a message starts: a ``/command`` (first word of ``text``), a keyword, an intent."""
        words = text.strip().split(maxsplit=1)
        first = words[0].casefold() if words else ""
        for flow in self.flows.values():
            if first.startswith("/") and first in flow.triggers.commands:
                return flow
        for flow in self.flows.values():
            if any(_contains(normalised, keyword) for keyword in flow.triggers.keywords):
                return flow
        return next((f for f in self.flows.values() if intent and intent in f.triggers.intents), None)


EMPTY_LIBRARY = Library()


def _contains(text: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text) is not None
