"""The knowledge base: entries, their hybrid index and the fitted decision rule."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from nlu import Encoder

from .calibration import Calibration, cross_validation_samples, fit_rule
from .decision import OUT_OF_SCOPE, DecisionRule, decide
from .hoaxes import HoaxIndex, HoaxMatch
from .retrieval import Document, HybridIndex, embed_documents
from .types import Abstain, Answer, Candidate, Clarify, FaqEntry

# Fewer held-out phrasings than this and the rule keeps its defaults.
MIN_CALIBRATION_QUESTIONS = 20


def documents_for(entries: Sequence[FaqEntry], out_of_scope: Sequence[str] = ()) -> list[Document]:
    """The texts that represent each entry in the index, in a stable order, followed by the
    examples of the out-of-scope class."""
    documents: list[Document] = []
    for entry in entries:
        documents += [Document(entry.id, text, "question") for text in entry.question.values()]
        documents += [Document(entry.id, text, "question") for text in entry.phrasings]
        documents += [Document(entry.id, text, "answer") for text in entry.answer.values()]
    documents += [Document(OUT_OF_SCOPE, text, "question") for text in out_of_scope]
    return documents


def content_hash(documents: Sequence[Document], encoder_name: str) -> str:
    """A key for cached document vectors: changes when any indexed text or the model changes."""
    digest = hashlib.sha256(encoder_name.encode())
    for doc in documents:
        digest.update(json.dumps([doc.entry_id, doc.kind, doc.text], ensure_ascii=False).encode())
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class KnowledgeBase:
    """Entries with their index; :meth:`answer` decides answer / clarify / abstain."""

    entries: dict[str, FaqEntry]
    index: HybridIndex
    rule: DecisionRule
    encoder: Encoder
    document_vectors: np.ndarray  # in ``documents_for`` order, for caching
    calibration: Calibration | None = None
    hoaxes: HoaxIndex | None = None  # attached by the caller (``dataclasses.replace``) when it has hoax files

    @classmethod
    def build(
        cls,
        entries: Sequence[FaqEntry],
        encoder: Encoder,
        out_of_scope: Sequence[str] = (),
        vectors: np.ndarray | None = None,
        rule: DecisionRule | None = None,
        index: HybridIndex | None = None,
    ) -> "KnowledgeBase":
        """Index ``entries`` and the ``out_of_scope`` examples (embedding them unless ``vectors``
        come from a cache) and fit the decision rule by cross-validation over their phrasings,
        unless a ``rule`` is given; an ``index`` built before over the same documents and vectors
        (from a cache) is used as it is."""
        documents = documents_for(entries, out_of_scope)
        if vectors is None:
            vectors = embed_documents(documents, encoder)
        calibration = None
        if rule is None:
            held_out = [i for i, doc in enumerate(documents) if doc.kind == "question"]
            if len(held_out) >= MIN_CALIBRATION_QUESTIONS and len(entries) >= 5:
                calibration = fit_rule(cross_validation_samples(documents, vectors, held_out))
                rule = calibration.rule
            else:
                rule = DecisionRule()
        index = index if index is not None else HybridIndex(documents, vectors)
        return cls({e.id: e for e in entries}, index, rule, encoder, vectors, calibration)

    def answer(
        self, question: str, today: date, vector: np.ndarray | None = None, region: str | None = None,
        depth: int = 3,
    ) -> Answer | Clarify | Abstain:
        """Answer ``question``, ask which of two close entries was meant, or abstain.

        ``vector`` is the question's embedding when the caller already has it (``nlu.parse``);
        entries past their valid-until date, or scoped to another region, are never offered.
        The result carries the best ``depth`` candidates (evaluation asks for all of them).
        """
        if vector is None:
            vector = self.encoder.encode_queries([question])[0]
        ids = self.index.entry_ids
        eligible = np.array([i == OUT_OF_SCOPE or _eligible(self.entries[i], today, region) for i in ids])
        decision = decide(ids, self.index.scores(question, vector), self.rule, eligible)
        candidates = tuple(Candidate(ids[i], round(float(decision.fused[i]), 4)) for i in decision.ranked[:depth])
        if decision.kind == "abstain":
            return Abstain(candidates)
        first = self.entries[candidates[0].entry_id]
        if decision.kind == "clarify":
            return Clarify((first, self.entries[candidates[1].entry_id]), candidates)
        return Answer(first, candidates[0].score, candidates)


    def correction(self, text: str, vector: np.ndarray | None) -> HoaxMatch | None:
        """The known hoax the message repeats or asks about, whose correction it should get
        instead of an answer (``None``: no hoax, or no hoax index)."""
        return self.hoaxes.match(text, vector) if self.hoaxes is not None else None


def _eligible(entry: FaqEntry, today: date, region: str | None) -> bool:
    if entry.valid_until is not None and entry.valid_until < today:
        return False
    return entry.region is None or region is None or entry.region.casefold() == region.casefold()
