"""Fitting the answer / clarify / abstain rule on held-out questions, never on a test set.

Held-out questions come from cross-validation over the knowledge base's own phrasings: in fold
k, the phrasings of fold k are hidden and asked as questions. Out-of-scope questions are the
held-out examples of the out-of-scope class; a knowledge base without such examples hides every
document of one group of entries per fold instead, so their phrasings play out-of-scope
questions (a harsher test: their sibling entries stay in the index). Each held-out question yields a
:class:`Sample` (its per-entry scores and the right entry, or none); :func:`fit_rule` picks the
fusion weights, the answer threshold and the clarify margin from the samples.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .decision import OUT_OF_SCOPE, DecisionRule, decide
from .retrieval import Document, HybridIndex, Scores

LEXICAL_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
CLASSIFIER_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
CLARIFY_MARGINS = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04)
OUT_OF_SCOPE_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
# Utility of each outcome when choosing the clarify margin: a wrong confident answer about
# voting costs more than the extra tap of a clarifying question.
_UTILITY = {"right": 1.0, "wrong": -1.0, "clarified": 0.8, "clarify_missed": -0.2}


@dataclass(frozen=True, slots=True)
class Sample:
    """One held-out question: its scores over the entries of the index it was asked of."""

    scores: Scores
    entry_ids: tuple[str, ...]
    expected: str | None  # None: out of scope


@dataclass(frozen=True, slots=True)
class Calibration:
    rule: DecisionRule
    questions: int
    out_of_scope: int
    recall_at_1: float
    abstain_f1: float


def cross_validation_samples(
    documents: Sequence[Document], vectors: np.ndarray, held_out: Sequence[int], folds: int = 5, seed: int = 13
) -> list[Sample]:
    """Samples from ``folds``-fold cross-validation over the documents at ``held_out``."""
    rng = random.Random(seed)
    order = list(held_out)
    rng.shuffle(order)
    entries = sorted({doc.entry_id for doc in documents} - {OUT_OF_SCOPE})
    rng.shuffle(entries)
    has_examples = any(documents[i].entry_id == OUT_OF_SCOPE for i in held_out)
    out_group = {entry_id: -1 if has_examples else n % folds for n, entry_id in enumerate(entries)}
    out_group[OUT_OF_SCOPE] = -1
    samples: list[Sample] = []
    for fold in range(folds):
        asked = order[fold::folds]
        mask = np.array([out_group[doc.entry_id] == fold for doc in documents])
        mask[asked] = True
        index = HybridIndex(documents, vectors, mask)
        ids = tuple(index.entry_ids)
        for i in asked:
            doc = documents[i]
            in_scope = doc.entry_id != OUT_OF_SCOPE and out_group[doc.entry_id] != fold
            samples.append(Sample(index.scores(doc.text, vectors[i]), ids, doc.entry_id if in_scope else None))
    return samples


def fit_rule(samples: Sequence[Sample]) -> Calibration:
    """Choose the fusion weights (best Recall@1), then the threshold (best abstention F1),
    then the clarify margin (best utility)."""
    in_scope = [s for s in samples if s.expected is not None]
    grid = [(lexical, classifier) for lexical in LEXICAL_WEIGHTS for classifier in CLASSIFIER_WEIGHTS]
    weights = max(grid, key=lambda w: (_recall_at_1(in_scope, w), -sum(w)))
    fits = [
        (*_best_threshold(samples, DecisionRule(*weights, answer_threshold=float("-inf"), out_of_scope_threshold=t)), t)
        for t in OUT_OF_SCOPE_THRESHOLDS
    ]
    threshold, abstain_f1, out_of_scope_threshold = max(fits, key=lambda fit: fit[1])
    rule = DecisionRule(*weights, answer_threshold=threshold, out_of_scope_threshold=out_of_scope_threshold)
    margin = max(CLARIFY_MARGINS, key=lambda m: (_utility(samples, replace(rule, clarify_margin=m)), -m))
    return Calibration(
        rule=replace(rule, clarify_margin=margin),
        questions=len(samples),
        out_of_scope=len(samples) - len(in_scope),
        recall_at_1=_recall_at_1(in_scope, weights),
        abstain_f1=abstain_f1,
    )


def _recall_at_1(samples: Sequence[Sample], weights: tuple[float, float]) -> float:
    if not samples:
        return 0.0
    hits = sum(_best_entry(s, weights) == s.expected for s in samples)
    return hits / len(samples)


def _best_entry(sample: Sample, weights: tuple[float, float]) -> str | None:
    fused = sample.scores.fused(*weights)
    ranked = [i for i in np.argsort(-fused) if sample.entry_ids[i] != OUT_OF_SCOPE]
    return sample.entry_ids[ranked[0]] if ranked else None


def _best_threshold(samples: Sequence[Sample], rule: DecisionRule) -> tuple[float, float]:
    """The answer threshold that maximises abstention F1 (out of scope = positive) given the
    rule's other settings."""
    out = np.array([s.expected is None for s in samples])
    best_scores = []
    abstains_anyway = []
    for sample in samples:
        decision = decide(sample.entry_ids, sample.scores, rule)
        abstains_anyway.append(decision.kind == "abstain")
        best_scores.append(decision.fused[decision.ranked[0]] if decision.ranked else float("-inf"))
    best_scores, abstains_anyway = np.array(best_scores), np.array(abstains_anyway)
    if not out.any():
        # No out-of-scope questions to learn from: abstain only below every in-scope score.
        return float(best_scores.min()) if len(best_scores) else DecisionRule().answer_threshold, 0.0
    best = (DecisionRule().answer_threshold, -1.0)
    for threshold in np.unique(np.round(best_scores[np.isfinite(best_scores)], 4)):
        abstain = abstains_anyway | (best_scores < threshold)
        true_positive = (abstain & out).sum()
        precision = true_positive / abstain.sum() if abstain.any() else 0.0
        recall = true_positive / out.sum()
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best[1]:
            best = (float(threshold), float(f1))
    return best


def _utility(samples: Sequence[Sample], rule: DecisionRule) -> float:
    total = 0.0
    for sample in samples:
        if sample.expected is None:
            continue  # out-of-scope questions do not depend on the margin
        decision = decide(sample.entry_ids, sample.scores, rule)
        top = [sample.entry_ids[i] for i in decision.ranked[:2]]
        if decision.kind == "clarify":
            total += _UTILITY["clarified" if sample.expected in top else "clarify_missed"]
        elif decision.kind == "answer":
            total += _UTILITY["right" if sample.expected == top[0] else "wrong"]
    return total
