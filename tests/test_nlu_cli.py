"""``suara nlu parse|eval`` as a staff member runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from shared_data import shared_file

EVAL_KEYS = {"accuracy", "macro_f1", "oos_precision", "oos_recall", "p50_ms", "p99_ms"}


@pytest.fixture(autouse=True)
def _defaults(monkeypatch: pytest.MonkeyPatch, intent_model) -> None:
    """Default settings (no .env), and the voter model already trained into the bot's cache."""
    for name in ("SUARA_NLU_BACKEND", "SUARA_RASA_URL", "SUARA_MODEL_CACHE", "SUARA_EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)


def _write_jsonl(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in rows), encoding="utf-8")
    return path


def test_parse_prints_rasa_model_parse_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nlu", "parse", "tps 5 di samarinda dmn ya kak?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"text", "intent", "entities", "intent_ranking"}
    assert answer["text"] == "tps 5 di samarinda dmn ya kak?"
    assert answer["intent"]["name"] == "find_tps" and 0.5 < answer["intent"]["confidence"] <= 1.0
    assert isinstance(answer["entities"], list)
    for entity in answer["entities"]:
        assert set(entity) == {"entity", "value", "start", "end", "extractor", "confidence"}
    ranking = answer["intent_ranking"]
    assert ranking[0] == answer["intent"] and all(set(r) == {"name", "confidence"} for r in ranking)


def test_parse_out_of_scope(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nlu", "parse", "harga cabai hari ini"]) == 0
    assert json.loads(capsys.readouterr().out)["intent"]["name"] == "out_of_scope"


def test_eval_json_on_our_model_with_out_of_scope_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    test = _write_jsonl(tmp_path / "test.jsonl", [
        ("tps saya di mana ya", "find_tps"), ("halo kak", "greet"), ("makasih min", "thanks"),
        ("skor timnas tadi malam", "oos"), ("resep soto ayam", "oos"),
    ])
    assert main(["nlu", "eval", "--test", str(test), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == EVAL_KEYS
    assert report["accuracy"] >= 0.8 and report["oos_recall"] >= 0.5 and report["oos_precision"] > 0
    assert 0 < report["p50_ms"] <= report["p99_ms"]


def test_eval_trains_a_fresh_model_on_a_real_rasa_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    skck = shared_file("rasa_format", "rasa31_skck_id", "nlu.yml")
    test = _write_jsonl(tmp_path / "test.jsonl", [
        ("hello there friend", "greet"), ("bye for now", "goodbye"), ("syarat bikin skck apa aja", "ask_skck_requirements"),
        ("are you a robot?", "bot_challenge"), ("i feel very sad today", "mood_unhappy"),
    ])
    assert main(["nlu", "eval", "--train", str(skck), "--test", str(test), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] >= 0.8
    assert report["oos_precision"] is None and report["oos_recall"] is None

    assert main(["nlu", "eval", "--train", str(skck), "--test", str(test)]) == 0
    text = capsys.readouterr().out
    assert "akurasi / accuracy" in text and "macro-F1" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"text": "halo", "label": "greet"}\n{"text": "x"\n', "test.jsonl:2: not valid JSON"),
        ("nlu:\n- intent: greet\n  examples: |\n    - halo\n    hai\n", "test.jsonl:5: intent 'greet'"),
    ],
)
def test_eval_on_a_broken_file_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                                          expected: str) -> None:
    broken = tmp_path / "test.jsonl"
    broken.write_text(content, encoding="utf-8")
    if content.startswith("nlu"):
        broken = broken.rename(tmp_path / "test.yml")
        expected = expected.replace("test.jsonl", "test.yml")
    assert main(["nlu", "eval", "--test", str(broken)]) == 2
    captured = capsys.readouterr()
    assert f"{broken.parent}/{expected}" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_eval_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nlu", "eval", "--test", str(tmp_path / "nope.yml")]) == 2
    assert "nope.yml: berkas tidak ada / no such file" in capsys.readouterr().err
