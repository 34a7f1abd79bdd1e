"""The answer / clarify / abstain decision over fused entry scores.

One function, used both when answering and when fitting the rule, so the rule is fitted for
exactly the decision it will make.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .retrieval import Scores

# The pseudo-entry trained on messages the knowledge base must not answer.
OUT_OF_SCOPE = "__out_of_scope__"


@dataclass(frozen=True, slots=True)
class DecisionRule:
    """Fusion weights and thresholds, fitted by :func:`knowledge.calibration.fit_rule`.

    Abstain when the classifier gives the out-of-scope class at least
    ``out_of_scope_threshold`` or the best entry's fused score is below ``answer_threshold``;
    ask which of two entries was meant when the runner-up is within ``clarify_margin`` and also
    above the threshold; otherwise answer.
    """

    lexical_weight: float = 0.1
    classifier_weight: float = 0.3
    answer_threshold: float = 0.85
    clarify_margin: float = 0.0
    out_of_scope_threshold: float = 1.0

    @property
    def weights(self) -> tuple[float, float]:
        return self.lexical_weight, self.classifier_weight


@dataclass(frozen=True, slots=True)
class Decision:
    kind: Literal["answer", "clarify", "abstain"]
    ranked: tuple[int, ...]  # eligible entry positions, best first (out-of-scope excluded)
    fused: np.ndarray


def decide(
    entry_ids: Sequence[str], scores: Scores, rule: DecisionRule, eligible: np.ndarray | None = None
) -> Decision:
    """Decide from ``scores`` aligned with ``entry_ids`` (``eligible`` masks entries out)."""
    fused = scores.fused(*rule.weights)
    order = np.argsort(-fused, kind="stable")
    ranked = tuple(
        int(i) for i in order if entry_ids[i] != OUT_OF_SCOPE and (eligible is None or eligible[i])
    )
    if not ranked or fused[ranked[0]] < rule.answer_threshold or _out_of_scope(entry_ids, scores, rule):
        return Decision("abstain", ranked, fused)
    if len(ranked) > 1:
        first, second = fused[ranked[0]], fused[ranked[1]]
        if second >= rule.answer_threshold and first - second < rule.clarify_margin:
            return Decision("clarify", ranked, fused)
    return Decision("answer", ranked, fused)


def _out_of_scope(entry_ids: Sequence[str], scores: Scores, rule: DecisionRule) -> bool:
    if OUT_OF_SCOPE not in entry_ids:
        return False
    return bool(scores.classifier[entry_ids.index(OUT_OF_SCOPE)] >= rule.out_of_scope_threshold)
