"""The intent classifier: sentence embeddings plus lexical n-grams, with calibrated abstention.

One multinomial logistic regression over three feature blocks, each L2-normalised: the message's
sentence embedding (the vector :func:`nlu.parse` computes once and shares), TF-IDF word
unigrams+bigrams and TF-IDF character 2–5-grams within words of the normalised text. The
embedding carries meaning across paraphrase and language; the n-grams carry the exact words,
slang and typos that small training sets rely on.

Confidence is calibrated by temperature scaling fitted on out-of-fold predictions of the training
data, and the out-of-scope threshold is fitted on the same out-of-fold predictions (or on a
validation set with :func:`fit_threshold`), never on test data. A message whose best in-scope
probability falls below the threshold is out of scope instead of being forced into a label.

Training uses scikit-learn; prediction is numpy and scipy.sparse, and the model is plain arrays
(:meth:`IntentModel.to_arrays`) that the shell can save and load.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .encoder import Encoder
from .normalise import normalise
from .training_data import Example
from .types import Intent

# Bump when features or training change, so models cached on disk are retrained.
FORMAT_VERSION = "intent-model-2"
OUT_OF_SCOPE = "out_of_scope"
OOS_LABELS = frozenset({OUT_OF_SCOPE, "oos"})
_CHAR_SIZES = (2, 3, 4, 5)
# Searched by cross-validation: (weight of the embedding block against the lexical blocks, C).
_GRID = tuple((weight, c) for weight in (1.0, 2.0) for c in (4.0, 16.0, 64.0))
_TEMPERATURES = np.exp(np.linspace(math.log(0.05), math.log(20.0), 121))
# Above this many examples the grid is not searched (each fit takes many seconds): _DEFAULT is used.
_SEARCH_LIMIT = 3000
_DEFAULT = (1.0, 16.0)


@dataclass(frozen=True, slots=True)
class Prediction:
    """The decided intent (out of scope when unsure) and every label's calibrated probability."""

    intent: Intent
    ranking: tuple[Intent, ...]


@dataclass(frozen=True, eq=False)
class IntentModel:
    """A trained classifier. Plain data: build it with :func:`train`, keep it with :meth:`to_arrays`."""

    labels: tuple[str, ...]
    terms: tuple[str, ...]  # lexical feature names, in column order
    idf: np.ndarray  # float32 [len(terms)]
    weights: np.ndarray  # float32 [dim + len(terms), len(labels)]
    bias: np.ndarray  # float32 [len(labels)]
    temperature: float
    threshold: float
    encoder_name: str
    embedding_weight: float = 1.0

    @property
    def oos_label(self) -> str | None:
        """The label that means "none of these" in the training data, if it has one."""
        return next((label for label in self.labels if label in OOS_LABELS), None)

    def probabilities(self, vectors: np.ndarray, normalised: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities, [n, len(labels)]."""
        logits = _features(self, vectors, normalised) @ self.weights + self.bias
        return _softmax(logits / self.temperature)

    def predict(self, vector: np.ndarray, normalised: str) -> Prediction:
        """Classify one message from its sentence vector and normalised text."""
        probs = self.probabilities(vector[None, :], [normalised])[0]
        return self.decide(probs)

    def decide(self, probs: np.ndarray) -> Prediction:
        """Turn one row of probabilities into a decision and a ranking."""
        order = np.argsort(-probs)
        ranking = tuple(Intent(self.labels[i], round(float(probs[i]), 4)) for i in order)
        label = decide_labels(probs[None, :], self.labels, self.threshold)[0]
        if label == ranking[0].name:
            return Prediction(ranking[0], ranking)
        oos = self.oos_label or OUT_OF_SCOPE
        confidence = float(probs[self.labels.index(oos)]) if oos in self.labels else 0.0
        return Prediction(Intent(oos, round(max(confidence, 1.0 - float(probs[order[0]])), 4)), ranking)

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """Lexical feature name → column (built once: per message it would dominate the latency)."""
        return {term: i for i, term in enumerate(self.terms)}

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to rebuild the model, as arrays for ``numpy.savez`` (no pickling)."""
        return {
            "labels": np.array(self.labels, dtype=str),
            "terms": np.array(self.terms, dtype=str),
            "idf": self.idf,
            "weights": self.weights,
            "bias": self.bias,
            "scalars": np.array([self.temperature, self.threshold, self.embedding_weight], dtype=np.float64),
            "encoder_name": np.array(self.encoder_name, dtype=str),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> IntentModel:
        """Rebuild a model saved with :meth:`to_arrays`; raises ``ValueError`` when inconsistent."""
        labels = tuple(str(x) for x in arrays["labels"])
        terms = tuple(str(x) for x in arrays["terms"])
        weights = np.asarray(arrays["weights"], dtype=np.float32)
        idf, bias = np.asarray(arrays["idf"], dtype=np.float32), np.asarray(arrays["bias"], dtype=np.float32)
        temperature, threshold, embedding_weight = (float(x) for x in arrays["scalars"])
        if weights.shape[1] != len(labels) or bias.shape != (len(labels),) or idf.shape != (len(terms),):
            raise ValueError("saved intent model arrays do not fit together")
        return cls(labels, terms, idf, weights, bias, temperature, threshold, str(arrays["encoder_name"]),
                   embedding_weight)


def decide_labels(probs: np.ndarray, labels: Sequence[str], threshold: float) -> list[str]:
    """Arg-max labels, except out of scope where the best in-scope probability is below ``threshold``."""
    oos = next((label for label in labels if label in OOS_LABELS), OUT_OF_SCOPE)
    best = probs.argmax(axis=1)
    return [oos if probs[i, best[i]] < threshold else labels[best[i]] for i in range(len(best))]


def fit_threshold(
    probs: np.ndarray, labels: Sequence[str], gold: Sequence[str], *, min_oos_recall: float | None = None
) -> float:
    """The threshold that best separates in-scope from out-of-scope examples in held-out data.

    By default it maximises the mean of in-scope accuracy and out-of-scope recall, so a few
    out-of-scope examples among many in-scope ones still count. With ``min_oos_recall`` it is
    the lowest threshold that rejects at least that share of the out-of-scope examples: the
    operating point for a required recall, keeping as many in-scope answers as possible.
    Without out-of-scope examples there is nothing to separate and the threshold is 0: every
    message gets its best label.
    """
    gold_oos = np.array([label in OOS_LABELS for label in gold])
    if not gold_oos.any() or gold_oos.all():
        return 0.0
    best_p = probs.max(axis=1)
    argmax = [labels[i] for i in probs.argmax(axis=1)]
    right = np.array([p == g for p, g in zip(argmax, gold)])
    predicted_oos = np.array([label in OOS_LABELS for label in argmax])
    best_score, best_threshold = -1.0, 0.0
    for threshold in np.unique(np.concatenate([[0.0], best_p])):
        rejected = predicted_oos | (best_p < threshold)
        in_scope_accuracy = (right & ~rejected)[~gold_oos].mean()
        oos_recall = rejected[gold_oos].mean()
        if min_oos_recall is not None:
            if oos_recall >= min_oos_recall:
                return float(threshold)
            continue
        score = (in_scope_accuracy + oos_recall) / 2
        if score > best_score + 1e-9:
            best_score, best_threshold = score, float(threshold)
    return best_threshold


def train(examples: Sequence[Example], encoder: Encoder, *, c: float | None = None) -> IntentModel:
    """Embed ``examples`` once with ``encoder`` and fit the classifier on them."""
    texts = [example.text for example in examples]
    vectors = encoder.encode_queries(texts)
    return train_arrays(vectors, [normalise(text) for text in texts], [e.intent for e in examples], encoder.name, c=c)


def train_arrays(
    vectors: np.ndarray,
    normalised: Sequence[str],
    labels: Sequence[str],
    encoder_name: str,
    *,
    c: float | None = None,
    embedding_weight: float | None = None,
    folds: int = 5,
    seed: int = 0,
) -> IntentModel:
    """Fit the classifier on sentence ``vectors`` (L2-normalised, one per example) and texts.

    ``c`` is the inverse regularisation strength and ``embedding_weight`` the scale of the
    embedding block against the lexical ones; left out, both are picked by cross-validation on
    these examples (for up to a few thousand; above that, fixed defaults). Temperature and threshold
    come from out-of-fold predictions on the same training data.
    """
    if len(vectors) != len(normalised) or len(normalised) != len(labels):
        raise ValueError("vectors, texts and labels must have the same length")
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise ValueError("training needs at least two intents")
    y = np.array([classes.index(label) for label in labels])
    folds = folds if len(y) >= 2 * folds else 0  # too few examples to hold any out
    temperature, threshold, logits = 1.0, 0.0, None
    grid = tuple((w, k) for w, k in _GRID if embedding_weight in (None, w) and c in (None, k))
    if len(grid) > 1 and folds >= 2 and len(y) <= _SEARCH_LIMIT:
        (embedding_weight, c), logits = _search(vectors, normalised, y, classes, grid, folds, seed)
    embedding_weight, c = embedding_weight or _DEFAULT[0], c or _DEFAULT[1]
    if folds >= 2:
        if logits is None:
            # Large sets: one fold held out is plenty to calibrate on, and each fit takes a minute.
            logits = _out_of_fold_logits(vectors, normalised, y, classes, (embedding_weight, c), folds, seed,
                                         first_fold_only=len(y) > _SEARCH_LIMIT)
        held_out = ~np.isnan(logits[:, 0])
        temperature = _fit_temperature(logits[held_out], y[held_out])
        gold = [label for label, kept in zip(labels, held_out) if kept]
        threshold = fit_threshold(_softmax(logits[held_out] / temperature), classes, gold)
    return _fit(vectors, normalised, y, classes, (embedding_weight, c), encoder_name, temperature, threshold)


def _fit(
    vectors: np.ndarray, normalised: Sequence[str], y: np.ndarray, classes: tuple[str, ...],
    setting: tuple[float, float], encoder_name: str, temperature: float, threshold: float,
) -> IntentModel:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    terms, idf = _lexicon(normalised, min_df=2 if len(normalised) > _SEARCH_LIMIT else 1)
    embedding_weight, c = setting
    model = IntentModel(classes, terms, idf, np.zeros((vectors.shape[1] + len(terms), len(classes)), np.float32),
                        np.zeros(len(classes), np.float32), temperature, threshold, encoder_name, embedding_weight)
    x = _features(model, vectors, normalised)
    # Newton-CG converges in a handful of steps here where L-BFGS needs hundreds, and one BLAS
    # thread avoids fighting the encoder's threads for two cores (measured: 0.8 s against 5–30 s).
    classifier = LogisticRegression(C=c, solver="newton-cg", max_iter=200, class_weight="balanced")
    with threadpool_limits(1):
        classifier.fit(x, y)
    weights, bias = classifier.coef_.T, classifier.intercept_
    if len(classes) == 2:  # sklearn keeps one column for two classes
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    return IntentModel(classes, terms, idf, np.asarray(weights, np.float32), np.asarray(bias, np.float32),
                       temperature, threshold, encoder_name, embedding_weight)


def _out_of_fold_logits(
    vectors: np.ndarray, normalised: Sequence[str], y: np.ndarray, classes: tuple[str, ...],
    setting: tuple[float, float], folds: int, seed: int, first_fold_only: bool = False,
) -> np.ndarray:
    """Logits of every example from a model that did not see it (NaN rows: never held out)."""
    from sklearn.model_selection import StratifiedKFold

    # An intent with fewer examples than folds is missing from some training parts: it gets a very
    # low logit there (held-out examples of it then count as errors, as they would in use).
    logits = np.full((len(y), len(classes)), np.nan, np.float32)
    texts = list(normalised)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(vectors, y))
    for train_idx, test_idx in splits[:1] if first_fold_only else splits:
        present = np.unique(y[train_idx])
        fold_classes = tuple(classes[i] for i in present)
        model = _fit(vectors[train_idx], [texts[i] for i in train_idx], np.searchsorted(present, y[train_idx]),
                     fold_classes, setting, "", 1.0, 0.0)
        held_out = _features(model, vectors[test_idx], [texts[i] for i in test_idx]) @ model.weights + model.bias
        logits[test_idx] = -1e4
        logits[np.ix_(test_idx, present)] = held_out
    return logits


def _search(
    vectors: np.ndarray, normalised: Sequence[str], y: np.ndarray, classes: tuple[str, ...],
    grid: tuple[tuple[float, float], ...], folds: int, seed: int,
) -> tuple[tuple[float, float], np.ndarray]:
    """The setting with the best out-of-fold accuracy (ties: lower log-loss), and its logits."""
    found = {setting: _out_of_fold_logits(vectors, normalised, y, classes, setting, folds, seed) for setting in grid}
    best = max(grid, key=lambda s: ((found[s].argmax(axis=1) == y).mean(), -_nll(found[s], y, 1.0)))
    return best, found[best]


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of held-out predictions."""
    best, best_nll = 1.0, math.inf
    for temperature in _TEMPERATURES:
        nll = _nll(logits, y, float(temperature))
        if nll < best_nll:
            best, best_nll = float(temperature), nll
    return best


def _nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of held-out logits, leaving out intents a fold never saw."""
    seen = logits[np.arange(len(y)), y] > -1e3
    scaled = logits[seen] / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(scaled).sum(axis=1))
    return float((log_z - scaled[np.arange(len(scaled)), y[seen]]).mean())


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def lexical_terms(normalised: str) -> Counter[str]:
    """Word unigrams and bigrams (``w:``) and character n-grams within padded words (``c:``)."""
    words = normalised.split()
    terms: Counter[str] = Counter("w:" + word for word in words)
    terms.update("w:" + a + " " + b for a, b in zip(words, words[1:]))
    for word in words:
        padded = f" {word} "
        for n in _CHAR_SIZES:
            terms.update("c:" + padded[i:i + n] for i in range(len(padded) - n + 1))
    return terms


def _lexicon(normalised: Sequence[str], min_df: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Feature names and smoothed inverse document frequencies (as scikit-learn computes them)."""
    df: Counter[str] = Counter()
    for text in normalised:
        df.update(lexical_terms(text).keys())
    terms = tuple(sorted(term for term, count in df.items() if count >= min_df))
    n = len(normalised)
    idf = np.array([math.log((1 + n) / (1 + df[term])) + 1 for term in terms], dtype=np.float32)
    return terms, idf


def _features(model: IntentModel, vectors: np.ndarray, normalised: Sequence[str]):
    """[embedding | word TF-IDF | char TF-IDF] as a sparse matrix, each block L2-normalised."""
    from scipy import sparse

    vocabulary = model.vocabulary
    rows, cols, values = [], [], []
    for row, text in enumerate(normalised):
        counts = lexical_terms(text)
        for prefix in ("w:", "c:"):
            block = [(vocabulary[t], (1 + math.log(k)) * model.idf[vocabulary[t]])
                     for t, k in counts.items() if t.startswith(prefix) and t in vocabulary]
            norm = math.sqrt(sum(v * v for _, v in block)) or 1.0
            for col, value in block:
                rows.append(row)
                cols.append(col)
                values.append(value / norm)
    lexical = sparse.csr_matrix((values, (rows, cols)), shape=(len(normalised), len(model.terms)), dtype=np.float32)
    dense = sparse.csr_matrix(np.asarray(vectors, np.float32) * model.embedding_weight)
    return sparse.hstack([dense, lexical], format="csr")
