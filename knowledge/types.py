"""Plain data for the knowledge base and its answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from nlu import Language


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One curated answer with the questions it answers, in Indonesian and English."""

    id: str
    question: dict[str, str]
    phrasings: tuple[str, ...]
    answer: dict[str, str]
    topics: tuple[str, ...]
    source: Source
    reviewed_on: date | None  # None: imported and not reviewed yet (``suara kb validate`` flags it)
    valid_until: date | None = None
    region: str | None = None
    file: str = ""
    line: int = 0
    phrasing_lines: tuple[int, ...] = ()  # the line of each phrasing, for ``file:line`` problems
    field_lines: dict[str, int] = field(default_factory=dict)  # the line of each top-level field

    def answer_in(self, language: Language) -> str:
        """The answer in ``language``, falling back to Indonesian, then to any translation."""
        return self.answer.get(language) or self.answer.get("id") or next(iter(self.answer.values()))

    def question_in(self, language: Language) -> str:
        """The canonical question in ``language``; imported entries may only have phrasings."""
        if self.question:
            return self.question.get(language) or self.question.get("id") or next(iter(self.question.values()))
        return self.phrasings[0] if self.phrasings else self.answer_in(language)


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The knowledge base answers ``entry`` with confidence ``score``."""

    entry: FaqEntry
    score: float
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Clarify:
    """Two entries are about equally close: ask the voter which one they meant."""

    options: tuple[FaqEntry, FaqEntry]
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Abstain:
    """No entry is close enough: say so honestly, offer a human, queue the question."""

    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
