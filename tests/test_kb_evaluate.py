"""The numbers ``suara kb eval`` prints, from hand-made outcomes."""

from __future__ import annotations

import pytest

from knowledge.evaluate import Outcome, labelled_questions, score
from knowledge.jsonl import JsonlFormatError


def test_ranking_abstention_and_latency_are_counted_as_documented() -> None:
    outcomes = [
        Outcome("a", ("a", "b", "c"), "answer", 10.0),   # right, answered
        Outcome("b", ("a", "b", "c"), "clarify", 20.0),  # rank 2
        Outcome("c", ("a", "b", "d", "c"), "answer", 30.0),  # rank 4: outside Recall@3, answered wrong
        Outcome("a", ("a", "b"), "abstain", 40.0),       # in scope but abstained: a false abstention
        Outcome(None, ("a", "b"), "abstain", 50.0),      # out of scope, abstained: caught
        Outcome(None, ("b", "a"), "clarify", 60.0),      # out of scope, clarified: missed
    ]
    report = score(outcomes)
    assert report["recall_at_1"] == pytest.approx(2 / 4)
    assert report["recall_at_3"] == pytest.approx(3 / 4)
    assert report["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 4 + 1) / 4)
    assert report["abstain_precision"] == pytest.approx(1 / 2)
    assert report["abstain_recall"] == pytest.approx(1 / 2)
    assert report["abstain_f1"] == pytest.approx(1 / 2)
    assert report["answered_accuracy"] == pytest.approx(1 / 2)
    assert report["p50_ms"] == pytest.approx(35.0) and report["p99_ms"] == 60.0


def test_without_out_of_scope_rows_abstention_is_null_not_zero() -> None:
    report = score([Outcome("a", ("a",), "answer", 5.0), Outcome("b", ("a", "b"), "abstain", 7.0)])
    assert report["abstain_precision"] is report["abstain_recall"] is report["abstain_f1"] is None
    assert report["recall_at_1"] == 0.5


def test_a_bot_that_never_abstains_scores_zero_not_null_when_there_are_out_of_scope_rows() -> None:
    report = score([Outcome(None, ("a",), "answer", 5.0)])
    assert (report["abstain_precision"], report["abstain_recall"], report["abstain_f1"]) == (0.0, 0.0, 0.0)
    assert report["recall_at_1"] is None and report["answered_accuracy"] == 0.0


def test_test_rows_must_name_a_known_entry_or_null() -> None:
    rows = [(1, {"query": "jam buka", "answer_id": "jam"}), (3, {"query": "harga cabai", "answer_id": None})]
    assert labelled_questions(rows, {"jam"}) == [("jam buka", "jam"), ("harga cabai", None)]
    with pytest.raises(JsonlFormatError) as error:
        labelled_questions([(4, {"query": "x", "answer_id": "nope"})], {"jam"})
    assert error.value.line == 4 and "'nope'" in error.value.reason
