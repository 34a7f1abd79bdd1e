"""The intent classifier: voters' messages it never saw, out-of-scope abstention, and its cache."""

from __future__ import annotations

import numpy as np
import pytest

import nlu
from nlu.signals import signal_model_for
from bot.understanding import models as nlu_models
from bot.storage.models import Message
from dbread import rows
from nlu.intent_model import IntentModel, decide_labels, fit_threshold, train_arrays
from webchat import WebVoter


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("di mana lokasi TPS saya?", "find_tps"),
        ("where do I vote??", "find_tps"),
        ("apakah nama sy udh ada di DPT", "check_registration"),
        ("tolong hubungkan saya dengan petugas", "human"),
        ("ada yg bagi2 duit buat milih paslon", "report_violation"),
        ("sy mo nyoblos tp ktp kukar, kerja di bpn, gmn?", "moved_residence"),
        ("ingetin aku ya pas hari pencoblosan", "reminders_subscribe"),
        ("jam brp tps tutup?", "ask_faq"),
        ("makasih banyak kak", "thanks"),
        ("hai min", "greet"),
    ],
)
def test_unseen_voter_messages_get_their_intent(text: str, intent: str, encoder, intent_model) -> None:
    result = nlu.parse(text, encoder=encoder, intent_model=intent_model)
    assert result.intent is not None and result.intent.name == intent, result.intent_ranking[:3]


@pytest.mark.parametrize("text", ["harga cabai hari ini", "siapa calon terbaik?", "resep rendang padang dong",
                                  "who will win the election?"])
def test_out_of_scope_is_not_forced_into_a_voter_intent(text: str, encoder, intent_model) -> None:
    result = nlu.parse(text, encoder=encoder, intent_model=intent_model)
    assert result.intent is not None and result.intent.name == "out_of_scope", result.intent_ranking[:3]


def test_parse_embeds_once_and_ranks_calibrated_probabilities(encoder, intent_model) -> None:
    calls = []

    class Counting:
        name, dim = encoder.name, encoder.dim

        def encode_queries(self, texts):
            calls.append(list(texts))
            return encoder.encode_queries(texts)

    counting = Counting()
    signal_model_for(counting)  # the signal model's own examples are embedded once, at start-up
    calls.clear()
    result = nlu.parse("tps sy dmn ya", encoder=counting, intent_model=intent_model)
    assert calls == [["tps sy dmn ya"]]
    assert result.vector is not None and result.vector.shape == (encoder.dim,)
    confidences = [intent.confidence for intent in result.intent_ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0, abs=0.01)
    assert {intent.name for intent in result.intent_ranking} == set(intent_model.labels)


def test_without_a_model_the_keyword_table_still_answers() -> None:
    assert nlu.parse("halo").intent.name == "greet"
    assert nlu.parse("halo").intent_ranking == ()


def test_saved_model_predicts_the_same(intent_model, encoder) -> None:
    again = IntentModel.from_arrays(intent_model.to_arrays())
    vector = encoder.encode_queries(["cek dpt online dong"])
    assert np.allclose(again.probabilities(vector, ["cek dpt online dong"]),
                       intent_model.probabilities(vector, ["cek dpt online dong"]), atol=1e-6)
    assert again.threshold == intent_model.threshold and again.temperature == intent_model.temperature


def test_restart_with_unchanged_data_loads_instead_of_training(tmp_path, encoder, monkeypatch) -> None:
    data = ("nlu:\n- intent: greet\n  examples: |\n    - halo\n    - hai kak\n    - selamat pagi\n"
            "- intent: thanks\n  examples: |\n    - makasih\n    - terima kasih\n    - thanks\n").encode()
    first = nlu_models.cached_intent_model(data, "t.yml", encoder, tmp_path)
    assert len(list(tmp_path.glob("intents-*.npz"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("retrained although the data did not change")

    monkeypatch.setattr(nlu_models, "train", no_training)
    second = nlu_models.cached_intent_model(data, "t.yml", encoder, tmp_path)
    assert second.labels == first.labels == ("greet", "thanks")
    with pytest.raises(AssertionError, match="retrained"):
        nlu_models.cached_intent_model(data + b"    - trims\n", "t.yml", encoder, tmp_path)


def test_threshold_is_fitted_to_separate_out_of_scope() -> None:
    labels = ("a", "b", "oos")
    probs = np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.1, 0.85, 0.05], [0.45, 0.4, 0.15], [0.5, 0.3, 0.2]])
    gold = ["a", "a", "b", "oos", "oos"]
    threshold = fit_threshold(probs, labels, gold)
    assert 0.5 < threshold <= 0.8
    assert decide_labels(probs, labels, threshold) == gold
    assert fit_threshold(probs[:3], labels, gold[:3]) == 0.0  # nothing out of scope: never reject


def test_a_required_out_of_scope_recall_keeps_as_many_answers_as_it_can() -> None:
    labels = ("a", "b", "oos")
    # out of scope at 0.45 and 0.7; in scope at 0.6, 0.8, 0.9
    probs = np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.2, 0.6, 0.2], [0.45, 0.4, 0.15], [0.7, 0.2, 0.1]])
    gold = ["a", "a", "b", "oos", "oos"]
    half = fit_threshold(probs, labels, gold, min_oos_recall=0.5)
    assert decide_labels(probs, labels, half) == ["a", "a", "b", "oos", "a"]  # one of two rejected, no answer lost
    every = fit_threshold(probs, labels, gold, min_oos_recall=1.0)
    assert decide_labels(probs, labels, every) == ["a", "a", "oos", "oos", "oos"]  # both rejected, at a price


def test_training_on_plain_arrays_learns_and_abstains() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(8, dtype=np.float32)[:3] * 3
    vectors, labels, texts = [], [], []
    for label, centre, word in zip(("a", "b", "out_of_scope"), centres, ("alpha", "beta", "gamma")):
        for _ in range(12):
            vector = centre + rng.normal(0, 0.6, 8).astype(np.float32)
            vectors.append(vector / np.linalg.norm(vector))
            labels.append(label)
            texts.append(f"{word} {rng.integers(100)}")
    model = train_arrays(np.array(vectors), texts, labels, "toy")
    assert model.labels == ("a", "b", "out_of_scope") and 0.0 <= model.threshold < 1.0
    probe = centres[1] / np.linalg.norm(centres[1])
    assert model.predict(probe, "beta 7").intent.name == "b"
    assert model.predict(centres[2] / 3, "gamma 1").intent.name == "out_of_scope"


async def test_the_server_understands_with_the_trained_model(server, http, settings, intent_model) -> None:
    """No keyword says "person" here; the trained model still hands the voter over and records why."""
    voter = WebVoter(http, server)
    replies = await voter.say("bisa sambungkan ke orang beneran?")
    assert any("diteruskan ke petugas" in reply["text"] for reply in replies)
    (inbound,) = [m for m in await rows(settings, Message) if m.direction == "in"]
    assert inbound.intent == "human"
