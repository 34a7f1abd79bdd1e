"""Scoring the knowledge base on a labelled test set: ranking, abstention and latency.

Pure: the caller asks the questions and times them; :func:`score` turns the outcomes into the
numbers ``suara kb eval`` prints.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .jsonl import JsonlFormatError

Kind = Literal["answer", "clarify", "abstain"]
REQUIRED_KEYS = ("recall_at_1", "recall_at_3", "mrr", "abstain_precision", "abstain_recall", "abstain_f1",
                 "p50_ms", "p99_ms")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the knowledge base did with one test question."""

    expected: str | None  # the right entry; None: out of scope, the right move is to abstain
    ranked: tuple[str, ...]  # entry ids, best first
    kind: Kind
    milliseconds: float


def labelled_questions(
    rows: Iterable[tuple[int, Mapping[str, object]]], known: Collection[str]
) -> list[tuple[str, str | None]]:
    """(query, expected entry or ``None`` for out of scope) of numbered test rows
    ``{"query", "answer_id"}``; ``answer_id`` must be null or one of the ``known`` entries."""
    questions = []
    for line, row in rows:
        query, answer_id = row.get("query"), row.get("answer_id", "")
        if not isinstance(query, str) or not query.strip():
            raise JsonlFormatError("test", line, "a test row needs a text 'query'")
        if answer_id is not None and answer_id not in known:
            raise JsonlFormatError("test", line, f"answer_id {answer_id!r} is not in the knowledge base "
                                   "(null marks an out-of-scope question)")
        questions.append((query, answer_id))
    return questions


def score(outcomes: Sequence[Outcome]) -> dict[str, float | int | None]:
    """Recall@1/@3 and MRR over in-scope rows; abstention precision / recall / F1 (abstaining
    is the positive class; a clarify or an answer on an out-of-scope row is a miss) when some
    rows are out of scope; answered accuracy (of the answers given, the share naming the right
    entry); p50/p99 latency. ``None`` where a number has no rows to stand on."""
    in_scope = [o for o in outcomes if o.expected is not None]
    out_of_scope = [o for o in outcomes if o.expected is None]
    ranks = [o.ranked.index(o.expected) + 1 if o.expected in o.ranked else None for o in in_scope]
    report: dict[str, float | int | None] = {
        "recall_at_1": _share(sum(r == 1 for r in ranks), len(ranks)),
        "recall_at_3": _share(sum(r is not None and r <= 3 for r in ranks), len(ranks)),
        "mrr": _share(sum(1 / r for r in ranks if r), len(ranks)),
        "abstain_precision": None,
        "abstain_recall": None,
        "abstain_f1": None,
    }
    if out_of_scope:
        caught = sum(o.kind == "abstain" for o in out_of_scope)
        abstained = sum(o.kind == "abstain" for o in outcomes)
        precision, recall = caught / abstained if abstained else 0.0, caught / len(out_of_scope)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report |= {"abstain_precision": precision, "abstain_recall": recall, "abstain_f1": f1}
    answered = [o for o in outcomes if o.kind == "answer"]
    times = sorted(o.milliseconds for o in outcomes)
    return report | {
        "p50_ms": statistics.median(times) if times else None,
        "p99_ms": times[math.ceil(0.99 * len(times)) - 1] if times else None,
        "answered_accuracy": _share(sum(o.ranked[:1] == (o.expected,) for o in answered), len(answered)),
        "n": len(outcomes),
        "n_in_scope": len(in_scope),
        "n_out_of_scope": len(out_of_scope),
        "answered": len(answered),
        "clarified": sum(o.kind == "clarify" for o in outcomes),
        "abstained": sum(o.kind == "abstain" for o in outcomes),
    }


def _share(count: float, total: int) -> float | None:
    return count / total if total else None
