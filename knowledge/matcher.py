"""Word-overlap matching of a question against FAQ entries (a placeholder for the hybrid index).

Scores are the weighted share of the question's words found in an entry's question or
phrasings, with rarer words weighing more (an IDF weight).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from nlu import normalise

from .types import Candidate, FaqEntry


@dataclass(frozen=True, slots=True)
class WordOverlapIndex:
    entries: tuple[FaqEntry, ...]
    texts: tuple[tuple[int, frozenset[str]], ...]
    idf: dict[str, float]

    @classmethod
    def build(cls, entries: list[FaqEntry]) -> "WordOverlapIndex":
        texts = []
        for position, entry in enumerate(entries):
            for text in (*entry.question.values(), *entry.phrasings):
                texts.append((position, frozenset(normalise(text).split())))
        document_frequency = Counter(word for _, words in texts for word in words)
        idf = {word: math.log((1 + len(texts)) / (1 + count)) + 1 for word, count in document_frequency.items()}
        return cls(tuple(entries), tuple(texts), idf)

    def search(self, question: str, k: int = 3) -> list[Candidate]:
        """Return up to ``k`` entries, best first, each with a score in [0, 1]."""
        words = set(normalise(question).split())
        if not words:
            return []
        default_idf = max(self.idf.values(), default=1.0)
        total = sum(self.idf.get(word, default_idf) for word in words)
        best: dict[int, float] = {}
        for position, text_words in self.texts:
            shared = words & text_words
            if not shared:
                continue
            union = sum(self.idf.get(word, default_idf) for word in words | text_words)
            score = 0.5 * sum(self.idf[word] for word in shared) / total + 0.5 * sum(
                self.idf[word] for word in shared
            ) / union
            best[position] = max(best.get(position, 0.0), score)
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)[:k]
        return [Candidate(self.entries[position].id, round(score, 4)) for position, score in ranked]
