"""A draft of the knowledge base: the live one with an edited entry, built in a moment by
reusing the live document vectors (only new texts are embedded) and the live decision rule.

Used to try a question against a draft, to validate it exactly as ``suara kb validate`` does,
and to hand the running server the edited knowledge base without re-fitting its rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

import nlu
from knowledge import Abstain, Answer, Clarify, FaqEntry, KnowledgeBase, documents_for
from knowledge.retrieval import Document, embed_documents
from knowledge.validate import check_entries, confusable_phrasings, phrasing_documents

DRAFT_FILE = "draft"


def with_entry(entries: Sequence[FaqEntry], draft: FaqEntry) -> list[FaqEntry]:
    """``entries`` with ``draft`` in place of the entry with its id (appended when new)."""
    replaced = [draft if entry.id == draft.id else entry for entry in entries]
    return replaced if any(entry.id == draft.id for entry in entries) else [*replaced, draft]


def reuse_vectors(live: KnowledgeBase, out_of_scope: Sequence[str], documents: Sequence[Document]) -> np.ndarray:
    """Embeddings of ``documents``: the live knowledge base's where it has the same text of the
    same kind, freshly embedded otherwise."""
    known = {(doc.kind, doc.text): row for row, doc in enumerate(documents_for(list(live.entries.values()), out_of_scope))}
    vectors = np.zeros((len(documents), live.document_vectors.shape[1]), dtype=np.float32)
    missing = []
    for n, doc in enumerate(documents):
        row = known.get((doc.kind, doc.text))
        if row is None:
            missing.append(n)
        else:
            vectors[n] = live.document_vectors[row]
    if missing:
        vectors[missing] = embed_documents([documents[n] for n in missing], live.encoder)
    return vectors


def draft_knowledge(live: KnowledgeBase, out_of_scope: Sequence[str], entries: Sequence[FaqEntry]) -> KnowledgeBase:
    """The knowledge base of ``entries`` with ``live``'s vectors and decision rule."""
    vectors = reuse_vectors(live, out_of_scope, documents_for(entries, out_of_scope))
    return KnowledgeBase.build(entries, live.encoder, out_of_scope, vectors=vectors, rule=live.rule)


def draft_problems(live: KnowledgeBase, out_of_scope: Sequence[str], entries: Sequence[FaqEntry],
                   draft: FaqEntry, today: date) -> dict[str, list[str]]:
    """What ``suara kb validate`` would say about ``draft`` among ``entries``, by field
    (``question``, ``phrasings``, ``answer``, ``source``, ``reviewed_on``, …)."""
    problems = check_entries(entries, today)
    vectors = reuse_vectors(live, out_of_scope, phrasing_documents(entries))
    problems += confusable_phrasings(entries, vectors)
    by_line = {line: field for field, line in draft.field_lines.items()}
    by_line |= {line: "phrasings" for line in draft.phrasing_lines}
    found: dict[str, list[str]] = {}
    for problem in problems:
        if problem.file == draft.file:
            found.setdefault(by_line.get(problem.line, "id"), []).append(problem.message)
    return found


@dataclass(frozen=True, slots=True)
class Trial:
    """What the bot would do with a question: the decision, the top entries, the answer."""

    decision: str  # answer | clarify | abstain
    candidates: tuple[tuple[str, float, str], ...]  # entry id, score, its question
    answer: str | None


def try_question(kb: KnowledgeBase, question: str, today: date, default_language: str) -> Trial:
    """Ask ``kb`` as the server would (the same cleaning and language detection as ``suara kb ask``)."""
    question = nlu.clean(question)[: nlu.MAX_TEXT_CHARS]
    language = nlu.detect_language(nlu.normalise(question), default_language)
    result = kb.answer(question, today)
    decision = {Answer: "answer", Clarify: "clarify", Abstain: "abstain"}[type(result)]
    candidates = tuple((c.entry_id, c.score, kb.entries[c.entry_id].question_in(language))
                       for c in result.candidates if c.entry_id in kb.entries)
    answer = result.entry.answer_in(language) if isinstance(result, Answer) else None
    return Trial(decision, candidates, answer)
