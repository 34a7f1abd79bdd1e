"""How the conversation loop understands a message: the protocol, and our own models behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import nlu
from nlu.intent_model import IntentModel

from bot.embedding import SentenceEncoder


class Understanding(Protocol):
    """How the conversation loop understands a message (our models, or a Rasa server)."""

    async def parse(self, text: str, language: nlu.Language, today: date | None = None) -> nlu.ParseResult:
        """Understand ``text`` (already cleaned and cut to the length limit); ``today`` is the
        voter's date, for "besok"."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class LocalNlu:
    """``nlu.parse`` with our encoder and intent model; with no models, the keyword fallback."""

    encoder: SentenceEncoder | None = None
    intent_model: IntentModel | None = None

    async def parse(self, text: str, language: nlu.Language, today: date | None = None) -> nlu.ParseResult:
        # Synchronous on purpose: ~15 ms of CPU, and a fast tokenizer must not be shared across threads.
        return nlu.parse(text, language, encoder=self.encoder, intent_model=self.intent_model, today=today)

    async def close(self) -> None:
        return None
