"""Intent, topic and sentiment accuracy of Suara's NLU against a TF-IDF + logistic-regression baseline.

Reads the public benchmarks in ``../shared/datasets`` (or ``--datasets``), trains on train, tunes on
valid/dev where the task needs it (the CLINC150 out-of-scope threshold) and reports on test. Also
measures ``nlu.parse`` latency with the e5-small encoder and our voter intent model, and the peak RSS.
Sentence embeddings are cached under ``./var/bench-cache`` keyed by encoder and texts, so a second run
skips the slow part.

    .venv/bin/python bench/nlu.py [--datasets ../shared/datasets] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nlu  # noqa: E402
from bot.understanding.models import settings_encoder  # noqa: E402
from bot.settings import Settings  # noqa: E402
from nlu.intent_model import IntentModel, decide_labels, fit_threshold, train, train_arrays  # noqa: E402
from nlu.rasa_format import default_training_data  # noqa: E402

CACHE = ROOT / "var" / "bench-cache"
TARGETS = {"intent_id_xsid": 0.93, "clinc_in_scope": 0.96, "clinc_oos_recall": 0.70, "topic_id_sib200": 0.82,
           "sentiment_id_nusax": 0.86, "p50_ms": 20.0}


def read_jsonl(path: Path) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["text"] for row in rows], [row["label"] for row in rows]


class Embedder:
    """Embeds texts with the encoder, caching each list of texts on disk by content hash."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        CACHE.mkdir(parents=True, exist_ok=True)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        digest = hashlib.sha256(("\x00".join([self.encoder.name, *texts])).encode()).hexdigest()[:24]
        path = CACHE / f"{digest}.npy"
        if path.exists():
            return np.load(path)
        started = time.perf_counter()
        vectors = self.encoder.encode_queries(list(texts), batch_size=64)
        np.save(path, vectors)
        print(f"  (embedded {len(texts)} texts in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
        return vectors


class Split:
    """One split of a dataset: texts, their normalised form, labels and (lazily) vectors."""

    def __init__(self, path: Path, embed: Embedder) -> None:
        self.texts, self.labels = read_jsonl(path)
        self.normalised = [nlu.normalise(text) for text in self.texts]
        self._embed = embed

    @property
    def vectors(self) -> np.ndarray:
        return self._embed(self.texts)


def ours(train: Split) -> IntentModel:
    return train_arrays(train.vectors, train.normalised, train.labels, "bench")


def baseline(train: Split) -> Callable[[Split], np.ndarray]:
    """TF-IDF word 1–2-grams + logistic regression; returns a function giving probabilities."""
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    classifier = LogisticRegression(C=10.0, max_iter=2000)
    classifier.fit(vectoriser.fit_transform(train.texts), train.labels)

    def probabilities(split: Split) -> np.ndarray:
        return classifier.predict_proba(vectoriser.transform(split.texts))

    probabilities.labels = tuple(classifier.classes_)  # type: ignore[attr-defined]
    return probabilities


def classification(train: Split, test: Split) -> dict[str, dict[str, float]]:
    model = ours(train)
    predicted = decide_labels(model.probabilities(test.vectors, test.normalised), model.labels, model.threshold)
    base = baseline(train)
    base_predicted = decide_labels(base(test), base.labels, 0.0)
    return {
        "ours": _scores(test.labels, predicted),
        "tfidf_lr": _scores(test.labels, base_predicted),
    }


def _scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    return {"accuracy": round(accuracy_score(gold, predicted), 4),
            "macro_f1": round(f1_score(gold, predicted, average="macro"), 4)}


def clinc(train: Split, valid: Split, test: Split) -> dict[str, dict[str, float]]:
    """In-scope accuracy and out-of-scope recall; the threshold is fitted on valid."""
    model = ours(train)
    found = {"ours": _oos_scores(model.probabilities(valid.vectors, valid.normalised), model.labels, valid,
                                 model.probabilities(test.vectors, test.normalised), test)}
    base = baseline(train)
    found["tfidf_lr"] = _oos_scores(base(valid), base.labels, valid, base(test), test)
    return found


def _oos_scores(valid_probs: np.ndarray, labels: Sequence[str], valid: Split, test_probs: np.ndarray,
                test: Split) -> dict[str, float]:
    threshold = fit_threshold(valid_probs, labels, valid.labels)
    floor = fit_threshold(valid_probs, labels, valid.labels, min_oos_recall=TARGETS["clinc_oos_recall"])
    gold = np.array(test.labels)
    is_oos = gold == "oos"
    floor_hits = np.array(decide_labels(test_probs, labels, floor)) == gold
    predicted = decide_labels(test_probs, labels, threshold)
    hits = np.array(predicted) == gold
    argmax_hits = np.array(decide_labels(test_probs, labels, 0.0)) == gold
    return {"in_scope_accuracy": round(float(hits[~is_oos].mean()), 4),
            "oos_recall": round(float(hits[is_oos].mean()), 4), "threshold": round(threshold, 4),
            "in_scope_accuracy_without_threshold": round(float(argmax_hits[~is_oos].mean()), 4),
            "oos_recall_without_threshold": round(float(argmax_hits[is_oos].mean()), 4),
            "floor_threshold": round(floor, 4), "in_scope_accuracy_at_floor": round(float(floor_hits[~is_oos].mean()), 4),
            "oos_recall_at_floor": round(float(floor_hits[is_oos].mean()), 4)}


def latency(encoder, texts: Sequence[str]) -> dict[str, float]:
    """p50/p99 of one full ``nlu.parse`` (embedding included) with our voter intent model."""
    model = train(default_training_data().examples, encoder)
    for text in texts[:20]:  # warm-up
        nlu.parse(text, encoder=encoder, intent_model=model)
    times = []
    for text in texts:
        started = time.perf_counter()
        nlu.parse(text, encoder=encoder, intent_model=model)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(times[int(0.99 * (len(times) - 1))], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--latency-only", action="store_true", help="measure only nlu.parse latency and RSS")
    args = parser.parse_args(argv)
    if not args.datasets.is_dir():
        print(f"bench/nlu.py: no datasets at {args.datasets}: skipped", file=sys.stderr)
        return 0
    encoder = settings_encoder(Settings(_env_file=None))  # as the server runs (SUARA_EMBEDDING_*)
    embed = Embedder(encoder)

    def split(name: str, part: str) -> Split:
        return Split(args.datasets / name / f"{part}.jsonl", embed)

    results: dict[str, object] = {}
    started = time.perf_counter()
    # First, in a process that has not yet trained the big benchmark models: as the server serves.
    results["parse_latency"] = latency(encoder, split("intent_id_xsid", "test").texts)
    if args.latency_only:
        results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(results))
        return 0
    results["intent_id_xsid"] = classification(split("intent_id_xsid", "train"), split("intent_id_xsid", "test"))
    results["topic_id_sib200"] = classification(split("topic_id_sib200", "train"), split("topic_id_sib200", "test"))
    results["sentiment_id_nusax"] = classification(split("sentiment_id_nusax", "train"),
                                                   split("sentiment_id_nusax", "test"))
    results["intent_en_clinc150"] = clinc(split("intent_en_clinc150", "train"), split("intent_en_clinc150", "valid"),
                                          split("intent_en_clinc150", "test"))
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(results))
    else:
        _print_table(results)
    return 0


def _print_table(results: dict) -> None:
    rows = [
        ("intent_id_xsid accuracy", "intent_id_xsid", "accuracy", TARGETS["intent_id_xsid"]),
        ("intent_id_xsid macro-F1", "intent_id_xsid", "macro_f1", None),
        ("intent_en_clinc150 in-scope accuracy", "intent_en_clinc150", "in_scope_accuracy", TARGETS["clinc_in_scope"]),
        ("intent_en_clinc150 out-of-scope recall", "intent_en_clinc150", "oos_recall", TARGETS["clinc_oos_recall"]),
        ("topic_id_sib200 accuracy", "topic_id_sib200", "accuracy", TARGETS["topic_id_sib200"]),
        ("sentiment_id_nusax macro-F1", "sentiment_id_nusax", "macro_f1", TARGETS["sentiment_id_nusax"]),
    ]
    print(f"{'metric':42} {'ours':>8} {'tfidf+lr':>9} {'target':>7}")
    for title, dataset, key, target in rows:
        found = results[dataset]
        target_text = f"{target:.2f}" if target else ""
        print(f"{title:42} {found['ours'][key]:8.3f} {found['tfidf_lr'][key]:9.3f} {target_text:>7}")
    clinc = results["intent_en_clinc150"]
    for name in ("ours", "tfidf_lr"):
        found = clinc[name]
        print(f"  clinc150 {name}: threshold {found['threshold']:.3f} (fitted on valid); without it in-scope "
              f"{found['in_scope_accuracy_without_threshold']:.3f}, out-of-scope recall "
              f"{found['oos_recall_without_threshold']:.3f}; at the lowest threshold with out-of-scope recall "
              f">= {TARGETS['clinc_oos_recall']:.2f} on valid ({found['floor_threshold']:.3f}): in-scope "
              f"{found['in_scope_accuracy_at_floor']:.3f}, out-of-scope recall {found['oos_recall_at_floor']:.3f}")
    timing = results["parse_latency"]
    print(f"{'nlu.parse p50 ms (embedding included)':42} {timing['p50_ms']:8.1f} {'':9} {TARGETS['p50_ms']:7.0f}")
    print(f"{'nlu.parse p99 ms':42} {timing['p99_ms']:8.1f}")
    print(f"{'peak RSS (MiB)':42} {results['peak_rss_mib']:8.0f}")
    print(f"{'bench time (s)':42} {results['seconds']:8.0f}")


if __name__ == "__main__":
    sys.exit(main())
