"""``suara nlu parse|train|eval``: try, retrain and measure the intent classifier from a terminal.

``parse`` prints Rasa's ``/model/parse`` JSON shape, so teams that know Rasa read it at once.
``eval`` takes Rasa ``nlu.yml`` files or JSON Lines (``{"text": …, "label": …}``) and reports
accuracy, macro-F1, the most frequent confusions and, where the test labels include ``oos`` or
``out_of_scope``, out-of-scope precision and recall; ``--json`` prints one object for scripts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import nlu
from nlu.intent_model import OOS_LABELS, OUT_OF_SCOPE, IntentModel, train
from nlu.rasa_format import DEFAULT_TRAINING_FILE, parse_rasa_yaml
from nlu.rasa_json import to_rasa_json
from nlu.training_data import TrainingData, TrainingDataError, parse_jsonl

from bot.cli.common import NLU_HELP, Commands, group
from bot.settings import Settings
from bot.storage.staff_files import read_text

_CONFUSIONS_SHOWN = 10


def register(commands: Commands) -> None:
    """Add ``parse``, ``train`` and ``eval`` to the ``suara nlu`` group."""
    sub = group(commands, "nlu", NLU_HELP)
    parse = sub.add_parser("parse", help="understand one message and print Rasa's /model/parse JSON")
    parse.add_argument("text", help="the message, in quotes")
    parse.set_defaults(run=_parse)

    train_parser = sub.add_parser("train", help="train the intent model on nlu/data/nlu.yml and cache it")
    train_parser.set_defaults(run=_train)

    evaluate = sub.add_parser("eval", help="train on one file, test on another, print accuracy and F1")
    evaluate.add_argument("--train", type=Path, help="Rasa nlu.yml or JSONL to train on (default: our own data)")
    evaluate.add_argument("--test", type=Path, required=True, help="Rasa nlu.yml or JSONL with the right labels")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(run=_eval)


def read_examples(path: Path) -> TrainingData:
    """Read a Rasa YAML or JSONL file; raises :class:`TrainingDataError` with ``file:line: problem``
    (or :class:`StaffFileError` when it cannot be read as text)."""
    text = read_text(path)
    is_jsonl = path.suffix.lower() in (".jsonl", ".json") or text.lstrip().startswith("{")
    data = parse_jsonl(text, str(path)) if is_jsonl else parse_rasa_yaml(text, str(path))
    if not data.examples:
        raise TrainingDataError(str(path), 1, "no intent examples found (expected 'nlu:' with '- intent:' blocks)")
    return data


def _models(settings: Settings) -> tuple:
    from bot.understanding.models import load_nlu_models

    models = load_nlu_models(settings)
    return models.encoder, models.intent_model


def _parse(settings: Settings, args: argparse.Namespace) -> int:
    encoder, model = _models(settings)
    result = nlu.parse(nlu.clean(args.text)[: nlu.MAX_TEXT_CHARS], settings.default_language, encoder=encoder,
                       intent_model=model)
    print(json.dumps(to_rasa_json(result), ensure_ascii=False, indent=2))
    return 0


def _train(settings: Settings, args: argparse.Namespace) -> int:
    from bot.understanding.models import cached_intent_model, intent_cache_dir, settings_encoder

    try:
        data_bytes = DEFAULT_TRAINING_FILE.read_bytes()
        data = parse_rasa_yaml(data_bytes.decode("utf-8"), "nlu/data/nlu.yml")
    except TrainingDataError as exc:
        print(f"suara: {exc}", file=sys.stderr)
        return 2
    encoder = settings_encoder(settings)
    started = time.perf_counter()
    model = cached_intent_model(data_bytes, "nlu/data/nlu.yml", encoder, intent_cache_dir(settings), retrain=True)
    print(f"suara: model intent dilatih / intent model trained: {len(data.examples)} examples, "
          f"{len(model.labels)} intents, {time.perf_counter() - started:.1f} s, "
          f"temperature {model.temperature:.2f}, out-of-scope threshold {model.threshold:.2f}")
    return 0


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.understanding.models import settings_encoder

    try:
        test = read_examples(args.test)
        train_data = read_examples(args.train) if args.train else None
    except TrainingDataError as exc:
        print(f"suara: {exc}", file=sys.stderr)
        return 2
    if train_data is None:
        encoder, model = _models(settings)
    else:
        encoder = settings_encoder(settings)
        try:
            model = train(train_data.examples, encoder)
        except ValueError as exc:
            print(f"suara: {args.train}: {exc}", file=sys.stderr)
            return 2
    report = evaluate(model, encoder, [e.text for e in test.examples], [e.intent for e in test.examples])
    if args.json:
        print(json.dumps({k: report[k] for k in ("accuracy", "macro_f1", "oos_precision", "oos_recall",
                                                  "p50_ms", "p99_ms")}))
    else:
        _print_report(report)
    return 0


def _canonical(label: str | None) -> str:
    return OUT_OF_SCOPE if label is None or label in OOS_LABELS else label


def evaluate(model: IntentModel, encoder: nlu.Encoder, texts: list[str], gold: list[str]) -> dict:
    """Parse every test text as the bot would (one embedding each) and score the intents."""
    from sklearn.metrics import accuracy_score, f1_score

    predicted, times = [], []
    for text in texts:
        started = time.perf_counter()
        result = nlu.parse(nlu.clean(text)[: nlu.MAX_TEXT_CHARS], encoder=encoder, intent_model=model)
        times.append((time.perf_counter() - started) * 1000)
        predicted.append(_canonical(result.intent.name if result.intent else None))
    gold = [_canonical(label) for label in gold]
    times.sort()
    report: dict = {
        "examples": len(gold),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1_score(gold, predicted, average="macro", zero_division=0)), 4),
        "oos_precision": None,
        "oos_recall": None,
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))], 2),
        "confusions": Counter((g, p) for g, p in zip(gold, predicted) if g != p).most_common(_CONFUSIONS_SHOWN),
    }
    if OUT_OF_SCOPE in gold:
        flagged = [p == OUT_OF_SCOPE for p in predicted]
        truly = [g == OUT_OF_SCOPE for g in gold]
        hits = sum(f and t for f, t in zip(flagged, truly))
        report["oos_precision"] = round(hits / sum(flagged), 4) if any(flagged) else 0.0
        report["oos_recall"] = round(hits / sum(truly), 4)
    return report


def _print_report(report: dict) -> None:
    print(f"contoh / examples:        {report['examples']}")
    print(f"akurasi / accuracy:       {report['accuracy']:.3f}")
    print(f"macro-F1:                 {report['macro_f1']:.3f}")
    if report["oos_recall"] is not None:
        print(f"di luar cakupan / out of scope: precision {report['oos_precision']:.3f}, "
              f"recall {report['oos_recall']:.3f}")
    print(f"latensi / latency:        p50 {report['p50_ms']:.1f} ms, p99 {report['p99_ms']:.1f} ms")
    if report["confusions"]:
        print("kekeliruan tersering / most frequent confusions (benar → ditebak / true → predicted):")
        for (gold, predicted), count in report["confusions"]:
            print(f"  {count:4d}  {gold} → {predicted}")
    else:
        print("tidak ada kekeliruan / no confusions")
