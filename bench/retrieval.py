"""Answer retrieval on public FAQ benchmarks: BM25 only, dense only and the hybrid, in one run.

Reads ``../shared/datasets`` (or ``--datasets``); builds every index from the knowledge base
and training files only, fits the hybrid's weight and thresholds by cross-validation on them,
and reports on the test files. Prints Recall@1, MRR, index build time, p50/p99 latency per
query (embedding included) and peak RSS. The last line measures latency on a knowledge base
of about 1,000 entries.

    .venv/bin/python bench/retrieval.py [--datasets PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.understanding.models import settings_encoder  # noqa: E402
from bot.settings import Settings  # noqa: E402
from knowledge import KnowledgeBase, documents_for  # noqa: E402
from knowledge.calibration import cross_validation_samples, fit_rule, Sample  # noqa: E402
from knowledge.jsonl import entries_from_rows  # noqa: E402
from knowledge.retrieval import HybridIndex, embed_documents  # noqa: E402


def read_jsonl(path: Path) -> list[tuple[int, dict]]:
    return [(n, json.loads(line)) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]


def faq_dataset(folder: Path):
    kb = read_jsonl(folder / "kb.jsonl")
    questions = read_jsonl(folder / "kb_questions.jsonl")
    test = [(row["query"], row["answer_id"]) for _, row in read_jsonl(folder / "test.jsonl")]
    return entries_from_rows(kb, questions, reviewed_on=date.today()), test, None


def passage_dataset(folder: Path):
    """FacQA: questions → passages. The test passages are the knowledge base; the training
    passages and questions (a disjoint set) are where the hybrid's weight is learned."""
    def split(name: str):
        passages = [(n, {"answer_id": r["passage_id"], "answer": r["passage"]}) for n, r in read_jsonl(folder / f"{name}_passages.jsonl")]
        queries = [(r["query"], r["passage_id"]) for _, r in read_jsonl(folder / f"{name}_queries.jsonl")]
        return entries_from_rows(passages, reviewed_on=date.today()), queries
    test_entries, test_queries = split("test")
    return test_entries, test_queries, split("train")


def samples_from_queries(entries, queries, encoder) -> list[Sample]:
    documents = documents_for(entries)
    index = HybridIndex(documents, embed_documents(documents, encoder))
    vectors = encoder.encode_queries([q for q, _ in queries])
    ids = tuple(index.entry_ids)
    return [Sample(index.scores(q, v), ids, expected) for (q, expected), v in zip(queries, vectors)]


def evaluate(name: str, entries, test, train, encoder) -> None:
    started = time.perf_counter()
    documents = documents_for(entries)
    vectors = embed_documents(documents, encoder)
    if train is None:
        held_out = [i for i, d in enumerate(documents) if d.kind == "question"]
        calibration = fit_rule(cross_validation_samples(documents, vectors, held_out))
    else:
        calibration = fit_rule(samples_from_queries(*train, encoder))
    kb = KnowledgeBase.build(entries, encoder, vectors=vectors, rule=calibration.rule)
    build_seconds = time.perf_counter() - started

    queries = [q for q, _ in test]
    query_vectors = encoder.encode_queries(queries)
    methods = {
        "bm25": lambda s: s.lexical,
        "dense": lambda s: s.dense,
        "hybrid": lambda s: s.fused(*kb.rule.weights),
    }
    for method, score in methods.items():
        ranks = []
        for (query, expected), vector in zip(test, query_vectors):
            order = [kb.index.entry_ids[i] for i in np.argsort(-score(kb.index.scores(query, vector)), kind="stable")]
            ranks.append(order.index(expected) + 1 if expected in order else None)
        r1 = sum(r == 1 for r in ranks) / len(ranks)
        mrr = sum(1 / r for r in ranks if r) / len(ranks)
        print(f"{name:<16} {method:<7} R@1={r1:.3f}  MRR={mrr:.3f}")
    latencies = _latencies(kb, queries[:300])
    print(f"{name:<16} hybrid  build={build_seconds:6.1f} s  p50={latencies[0]:5.1f} ms  p99={latencies[1]:5.1f} ms  "
          f"entries={len(entries)} docs={len(documents)}  weights={kb.rule.weights} "
          f"threshold={kb.rule.answer_threshold:.3f} margin={kb.rule.clarify_margin}")


def _latencies(kb: KnowledgeBase, queries: list[str]) -> tuple[float, float]:
    """Per query, as the bot answers one message: embed the question, score, decide."""
    times = []
    for query in queries:
        started = time.perf_counter()
        kb.answer(query, date.today())
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    args = parser.parse_args()
    if not args.datasets.is_dir():
        print(f"skipped: no datasets folder at {args.datasets}")
        return
    encoder = settings_encoder(Settings(_env_file=None))  # as the server runs (SUARA_EMBEDDING_*)
    loaders = {"faq_id_egov": faq_dataset, "faq_en_rasademo": faq_dataset, "faq_id_facqa": passage_dataset}
    for name, loader in loaders.items():
        if (args.datasets / name).is_dir():
            evaluate(name, *loader(args.datasets / name), encoder)
        else:
            print(f"{name}: skipped (not in {args.datasets})")
    facqa = args.datasets / "faq_id_facqa"
    if facqa.is_dir():
        entries, _ = passage_dataset(facqa)[2]
        kb = KnowledgeBase.build(entries[:1000], encoder)
        questions = [q for q, _ in passage_dataset(facqa)[1]]
        p50, p99 = _latencies(kb, questions[:300])
        print(f"1000-entry KB    hybrid  p50={p50:5.1f} ms  p99={p99:5.1f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
