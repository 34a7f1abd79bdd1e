"""What the bot knows: curated FAQ entries and the index that finds an answer or abstains.

Pure: reads only its own content files; callers pass in time and language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .faq_loader import FAQ_DIR, FaqFormatError, load_faq
from .matcher import WordOverlapIndex
from .tps import Nearby, ParsedFile, PollingStation, RejectedRow, TpsFileError, TpsIndex, haversine_km, parse_csv
from .types import Abstain, Answer, Candidate, FaqEntry, Source

__all__ = [
    "FAQ_DIR",
    "Abstain",
    "Answer",
    "Candidate",
    "FaqEntry",
    "FaqFormatError",
    "KnowledgeBase",
    "Nearby",
    "ParsedFile",
    "PollingStation",
    "RejectedRow",
    "Source",
    "TpsFileError",
    "TpsIndex",
    "load_faq",
    "haversine_km",
    "parse_csv",
]

# Below this overlap score the question is not answered.
ANSWER_THRESHOLD = 0.45


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """A loaded set of entries with its search index."""

    entries: dict[str, FaqEntry]
    index: WordOverlapIndex

    @classmethod
    def from_entries(cls, entries: list[FaqEntry]) -> "KnowledgeBase":
        return cls({entry.id: entry for entry in entries}, WordOverlapIndex.build(entries))

    def answer(self, question: str, today: date) -> Answer | Abstain:
        """Answer ``question`` from the entries valid on ``today``, or abstain."""
        candidates = tuple(
            candidate
            for candidate in self.index.search(question, k=5)
            if _is_valid(self.entries[candidate.entry_id], today)
        )[:3]
        if candidates and candidates[0].score >= ANSWER_THRESHOLD:
            best = candidates[0]
            return Answer(self.entries[best.entry_id], best.score, candidates)
        return Abstain(candidates)


def _is_valid(entry: FaqEntry, today: date) -> bool:
    return entry.valid_until is None or entry.valid_until >= today
