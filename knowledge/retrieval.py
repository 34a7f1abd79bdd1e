"""Hybrid retrieval: dense sentence-embedding similarity fused with BM25 over normalised text
and a supervised entry classifier.

Each entry is indexed through several documents (its questions, phrasings and answers). An
entry's dense score is its best document's cosine similarity to the question; its lexical
score is its best document's BM25 score divided by the best BM25 score of the query (so in
[0, 1]); its classifier score is P(entry | question) (see :mod:`knowledge.classifier`). The
fused score is ``dense + lexical_weight * lexical + classifier_weight * classifier``; the
weights are learned by cross-validation (see :mod:`knowledge.calibration`).

Questions and phrasings are embedded as queries (a symmetric match for e5), answers as passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np

from nlu import Encoder, normalise

from .classifier import EntryClassifier

DocKind = Literal["question", "answer"]


@dataclass(frozen=True, slots=True)
class Document:
    """One indexed text of an entry."""

    entry_id: str
    text: str
    kind: DocKind


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-entry scores for one query, aligned with :attr:`HybridIndex.entry_ids`."""

    dense: np.ndarray
    lexical: np.ndarray
    classifier: np.ndarray

    def fused(self, lexical_weight: float, classifier_weight: float) -> np.ndarray:
        return self.dense + lexical_weight * self.lexical + classifier_weight * self.classifier


def tokens(text: str) -> list[str]:
    """BM25 tokens: the ``nlu``-normalised words."""
    return normalise(text).split()


def embed_documents(documents: Sequence[Document], encoder: Encoder) -> np.ndarray:
    """Embed documents: questions as queries, answers as passages (rows follow ``documents``)."""
    vectors = np.zeros((len(documents), encoder.dim), dtype=np.float32)
    for kind, encode in (("question", encoder.encode_queries), ("answer", encoder.encode_passages)):
        rows = [i for i, doc in enumerate(documents) if doc.kind == kind]
        if rows:
            vectors[rows] = encode([documents[i].text for i in rows])
    return vectors


class HybridIndex:
    """Dense + BM25 search over documents grouped by entry.

    ``mask`` (a boolean per document) hides documents, which is how cross-validation holds
    phrasings out without re-embedding anything.
    """

    def __init__(self, documents: Sequence[Document], vectors: np.ndarray, mask: np.ndarray | None = None) -> None:
        keep = np.ones(len(documents), dtype=bool) if mask is None else ~mask
        kept = [i for i in range(len(documents)) if keep[i]]
        self.entry_ids: list[str] = list(dict.fromkeys(documents[i].entry_id for i in kept))
        position = {entry_id: n for n, entry_id in enumerate(self.entry_ids)}
        # Documents grouped by entry, so per-entry maxima are one ``np.maximum.reduceat``.
        kept.sort(key=lambda i: position[documents[i].entry_id])
        self.documents = [documents[i] for i in kept]
        self.vectors = np.ascontiguousarray(vectors[kept], dtype=np.float32)
        doc_entry = np.array([position[doc.entry_id] for doc in self.documents], dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, doc_entry[1:] != doc_entry[:-1]]) if len(doc_entry) else doc_entry
        self._bm25 = bm25s.BM25()
        corpus = [tokens(doc.text) or ["_"] for doc in self.documents]
        self._bm25.index(corpus, show_progress=False)
        self._vocabulary = self._bm25.vocab_dict
        self._classifier = EntryClassifier(
            [" ".join(words) for words in corpus], self.vectors, doc_entry, len(self.entry_ids)
        ) if self.documents else None

    def __len__(self) -> int:
        return len(self.entry_ids)

    def scores(self, query: str, vector: np.ndarray) -> Scores:
        """Dense and lexical scores of every entry for ``query`` (whose embedding is ``vector``)."""
        if self._classifier is None:
            empty = np.zeros(0, dtype=np.float32)
            return Scores(empty, empty, empty)
        dense = np.maximum.reduceat(self.vectors @ vector.astype(np.float32), self._starts)
        lexical = np.zeros(len(self.entry_ids), dtype=np.float32)
        known = [token for token in tokens(query) if token in self._vocabulary]
        if known:
            lexical = np.maximum.reduceat(self._bm25.get_scores(known).astype(np.float32), self._starts)
            top = lexical.max()
            if top > 0:
                lexical /= top
        classifier = self._classifier.probabilities(normalise(query), vector)
        return Scores(dense, lexical, classifier)
