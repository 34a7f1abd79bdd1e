"""Does a voter's message repeat (or ask about) a known hoax? The same evidence the FAQ index
fuses — a classifier trained on the hoaxes' texts against messages that repeat none, dense
similarity to the closest hoax compared with the closest message that repeats none, and lexical
overlap — decided by a small logistic model fitted on held-out phrasings (:mod:`knowledge.hoaxes.fit`).

Pure: the caller embeds the texts (as queries) and the message.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu import normalise

from ..classifier import EntryClassifier
from .model import Hoax, HoaxMatch, NearTrue

#: The features, in the order of :attr:`HoaxRule.weights`.
FEATURES = ("p_hoax", "p_none", "similarity", "lead_over_not_hoax", "overlap", "overlap_lead_over_not_hoax")


@dataclass(frozen=True, slots=True)
class HoaxRule:
    """``P(hoax) = sigmoid(weights · features + bias)``; a message is matched at ``threshold`` or above.

    The default never matches: an index without a fitted rule corrects nobody.
    """

    weights: tuple[float, ...] = (0.0,) * len(FEATURES)
    bias: float = -10.0
    threshold: float = 1.0

    def probability(self, features: np.ndarray) -> np.ndarray:
        """The probability of "repeats a hoax" for each row of ``features``."""
        return 1.0 / (1.0 + np.exp(-(features @ np.asarray(self.weights) + self.bias)))


@dataclass(frozen=True, slots=True)
class HoaxDoc:
    """One indexed text: a hoax's claim or phrasing (``hoax`` true), or a message that repeats no
    hoax: a near-true statement (``owner``: the hoax it resembles) or a background question."""

    owner: str
    text: str
    hoax: bool


def documents_of(hoaxes: Sequence[Hoax], near_true: Sequence[NearTrue], background: Sequence[str] = ()) -> list[HoaxDoc]:
    """The texts an index holds, in a stable order: hoaxes, near-true statements, then the
    ``background`` (questions the FAQ answers, out-of-scope examples). Embed them as queries."""
    docs = [HoaxDoc(h.id, text, True) for h in hoaxes for text in h.texts()]
    docs += [HoaxDoc(s.hoax_id, s.text, False) for s in near_true]
    return docs + [HoaxDoc("", text, False) for text in background]


def tokens(text: str) -> frozenset[str]:
    """The normalised words of ``text`` (slang and typos mapped as for intents)."""
    return frozenset(normalise(text).split())


class HoaxIndex:
    """Hoaxes and messages that repeat none, with their vectors; :meth:`match` decides with ``rule``.

    A message is compared with the closest hoax and with the closest message known to repeat none
    (a near-true statement or a question the FAQ answers): a voter repeating a hoax is nearer the
    first. ``hidden`` (a boolean per document) leaves documents out, which is how fitting holds
    texts out without embedding anything again.
    """

    def __init__(
        self, hoaxes: Sequence[Hoax], docs: Sequence[HoaxDoc], vectors: np.ndarray,
        rule: HoaxRule = HoaxRule(), hidden: np.ndarray | None = None,
    ) -> None:
        self.hoaxes = {h.id: h for h in hoaxes}
        self.rule = rule
        keep = np.ones(len(docs), dtype=bool) if hidden is None else ~hidden
        self.positions = np.flatnonzero(keep)  # row → position in ``docs``
        self.docs = [docs[i] for i in self.positions]
        self.vectors = np.ascontiguousarray(vectors[keep], dtype=np.float32)
        self._ids = list(self.hoaxes)
        row_of = {hoax_id: n for n, hoax_id in enumerate(self._ids)}
        self._owner = np.array([row_of[d.owner] if d.hoax else -1 for d in self.docs], dtype=np.int64)
        self._tokens = [tokens(d.text) for d in self.docs]
        frequency = Counter(t for words in self._tokens for t in words)
        self._rare = math.log(1 + len(self.docs))
        self._idf = {t: math.log(1 + len(self.docs) / n) for t, n in frequency.items()}
        labels = np.where(self._owner >= 0, self._owner, len(self._ids))  # the last class: repeats no hoax
        self._classifier = EntryClassifier(
            [normalise(d.text) for d in self.docs], self.vectors, labels, len(self._ids) + 1
        ) if len(self.docs) and self.hoaxes else None

    def __len__(self) -> int:
        return len(self.hoaxes)

    def features(self, text: str, vector: np.ndarray) -> tuple[str | None, np.ndarray]:
        """The most likely hoax (``None`` when the index has none) and the message's features."""
        similarity = self.vectors @ vector.astype(np.float32)
        is_hoax = self._owner >= 0
        if self._classifier is None or not is_hoax.any():
            return None, np.zeros(len(FEATURES))
        by_hoax = np.full(len(self._ids), -1.0)
        np.maximum.at(by_hoax, self._owner[is_hoax], similarity[is_hoax])
        probability = self._classifier.probabilities(normalise(text), vector)
        best = int(np.argmax(probability[:-1]))
        words = tokens(text)
        overlap = self._overlap(words, np.flatnonzero(self._owner == best))
        others = np.flatnonzero(~is_hoax)
        if len(others):
            nearest = int(others[int(np.argmax(similarity[others]))])
            lead = by_hoax[best] - similarity[nearest]
            overlap_lead = overlap - self._overlap(words, [nearest])
        else:
            lead, overlap_lead = 1.0, overlap
        features = [probability[best], probability[-1], by_hoax[best], lead, overlap, overlap_lead]
        return self._ids[best], np.array(features)

    def match(self, text: str, vector: np.ndarray | None) -> HoaxMatch | None:
        """The hoax the message repeats or asks about, or ``None``."""
        if vector is None or not self.hoaxes:
            return None
        best, features = self.features(text, vector)
        if best is None:
            return None
        probability = float(self.rule.probability(features[None, :])[0])
        if probability < self.rule.threshold:
            return None
        return HoaxMatch(self.hoaxes[best], round(probability, 4), round(float(features[2]), 4))

    def _overlap(self, words: frozenset[str], rows: Sequence[int]) -> float:
        """The IDF-weighted share of the message's words found in the documents at ``rows``."""
        if not words:
            return 0.0
        vocabulary = frozenset().union(*(self._tokens[r] for r in rows))
        weight = {w: self._idf.get(w, self._rare) for w in words}
        return sum(weight[w] for w in words & vocabulary) / sum(weight.values())
