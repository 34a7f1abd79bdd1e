"""Fitting the hoax decision on a TRAIN split of the hoaxes' own phrasings, and measuring it on the
TEST split it never saw.

The split is fixed by a hash of each text, so it is the same on every machine and a new phrasing
never moves the others: per hoax, two of its phrasings (when it has three or more) are TEST; of the
near-true statements and of the negative examples (FAQ questions that are not hoaxes, out-of-scope
messages), the half whose hash is odd is TEST. A hoax's claim is always indexed, never asked.

Every TRAIN text is asked of an index that holds neither it, nor the other texts of its fold (five
folds, by hash), nor any TEST text, so its features look like those of a new voter message (the
index's classifier never saw it); a logistic model over the features gives
P(repeats a hoax), and the threshold is the one with the best F0.5 on TRAIN (a true statement
"corrected" costs more than a hoax left to the FAQ's general "check official sources" answer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from .matcher import HoaxDoc, HoaxIndex, HoaxRule
from .model import Hoax

TEST_PHRASINGS_PER_HOAX = 2
FOLDS = 5
BETA = 0.5


@dataclass(frozen=True, slots=True)
class Asked:
    """One held-out text: which hoax it repeats (``None``: none), its features and the best hoax."""

    text: str
    expected: str | None
    best: str | None
    features: np.ndarray


@dataclass(frozen=True, slots=True)
class SplitScore:
    """How the rule does on one split: flagged texts that are right, wrong or should not be."""

    hoax_texts: int
    matched_right: int
    matched_wrong_hoax: int
    not_hoax_texts: int
    false_alarms: int

    @property
    def recall(self) -> float:
        return self.matched_right / self.hoax_texts if self.hoax_texts else 0.0

    @property
    def precision(self) -> float:
        flagged = self.matched_right + self.matched_wrong_hoax + self.false_alarms
        return self.matched_right / flagged if flagged else 1.0


@dataclass(frozen=True, slots=True)
class HoaxFit:
    rule: HoaxRule
    train: SplitScore
    test: SplitScore
    test_near_true_flagged: tuple[str, ...]  # near-true TEST statements the rule would "correct"


def is_test(text: str) -> bool:
    """The hash half that is TEST (for near-true statements and negatives)."""
    return _hash(text) % 2 == 1


def held_out_phrasings(hoax: Hoax) -> frozenset[str]:
    """The phrasings of ``hoax`` held out for TEST."""
    if len(hoax.phrasings) < 3:
        return frozenset()
    return frozenset(sorted(hoax.phrasings, key=_hash)[:TEST_PHRASINGS_PER_HOAX])


def fit(hoaxes: Sequence[Hoax], docs: Sequence[HoaxDoc], vectors: np.ndarray) -> HoaxFit:
    """Fit the rule on the TRAIN split of ``docs`` (:func:`documents_of`, with its ``vectors``)."""
    claims = {text for h in hoaxes for text in h.claim.values()}
    held_out = {text for h in hoaxes for text in held_out_phrasings(h)}
    test = np.array([(d.text in held_out) if d.hoax else is_test(d.text) for d in docs])
    asked = np.array([not (d.hoax and d.text in claims) for d in docs])
    fold = np.array([_hash(d.text) % FOLDS for d in docs])
    train: list[Asked] = []
    for k in range(FOLDS):
        train += _ask(hoaxes, docs, vectors, hidden=test | (asked & (fold == k)), rows=asked & ~test & (fold == k))
    tested = _ask(hoaxes, docs, vectors, hidden=test, rows=asked & test)
    rule = _fit_rule(train)
    near_true = {d.text for d in docs if not d.hoax and d.owner}
    flagged = tuple(a.text for a in tested if a.text in near_true and _flags(rule, a))
    return HoaxFit(rule, _score(rule, train), _score(rule, tested), flagged)


def _ask(
    hoaxes: Sequence[Hoax], docs: Sequence[HoaxDoc], vectors: np.ndarray, hidden: np.ndarray, rows: np.ndarray
) -> list[Asked]:
    """Ask the documents at ``rows`` of an index without the ``hidden`` ones (which include them)."""
    index = HoaxIndex(hoaxes, docs, vectors, hidden=hidden)
    asked = []
    for i in np.flatnonzero(rows):
        best, features = index.features(docs[i].text, vectors[i])
        asked.append(Asked(docs[i].text, docs[i].owner if docs[i].hoax else None, best, features))
    return asked


def _fit_rule(train: Sequence[Asked]) -> HoaxRule:
    labels = np.array([a.expected is not None for a in train])
    if labels.all() or not labels.any():
        return HoaxRule()
    features = np.array([a.features for a in train])
    model = LogisticRegression(class_weight="balanced", C=1.0, max_iter=1000).fit(features, labels)
    rule = HoaxRule(tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]), 1.0)
    probabilities = rule.probability(features)
    best = max(np.unique(probabilities), key=lambda t: (_f_beta(_score(HoaxRule(rule.weights, rule.bias, t), train)),
                                                       -t))
    return HoaxRule(rule.weights, rule.bias, round(float(best), 6))


def _flags(rule: HoaxRule, asked: Asked) -> bool:
    return bool(rule.probability(asked.features[None, :])[0] >= rule.threshold)


def _score(rule: HoaxRule, asked: Sequence[Asked]) -> SplitScore:
    hoax = [a for a in asked if a.expected is not None]
    other = [a for a in asked if a.expected is None]
    return SplitScore(
        hoax_texts=len(hoax),
        matched_right=sum(_flags(rule, a) and a.best == a.expected for a in hoax),
        matched_wrong_hoax=sum(_flags(rule, a) and a.best != a.expected for a in hoax),
        not_hoax_texts=len(other),
        false_alarms=sum(_flags(rule, a) for a in other),
    )


def _f_beta(score: SplitScore) -> float:
    p, r = score.precision, score.recall
    return (1 + BETA**2) * p * r / (BETA**2 * p + r) if p + r else 0.0


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")
