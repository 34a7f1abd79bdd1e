"""``suara nlu eval-signals FILE [--json]``: score segment signals on a labelled JSONL set.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nlu
from nlu.signal_eval import LabelledSetError, Prediction, Report, prediction_from, read_labelled, score
from nlu.signals import SignalConfigError, extract_signals, signal_model_for

from bot.cli.common import NLU_HELP, Commands, group
from bot.settings import Settings
from bot.storage.staff_files import read_text

_BATCH = 64


def register(commands: Commands) -> None:
    """Add ``eval-signals`` to the ``suara nlu`` group."""
    evaluate = group(commands, "nlu", NLU_HELP).add_parser(
        "eval-signals", help="score segment signals on a labelled JSONL file (per-signal precision/recall)"
    )
    evaluate.add_argument("file", type=Path, help="JSONL: {text, signals: {issues, first_time_voter, ...}}")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    evaluate.add_argument("--errors", action="store_true", help="also list the rows that were scored wrong")
    evaluate.add_argument("--model", default=None, help="sentence-transformers model (default: SUARA_EMBEDDING_MODEL)")
    evaluate.set_defaults(run=run_eval_signals)


def run_eval_signals(settings: Settings, args: argparse.Namespace) -> int:
    try:
        rows = read_labelled(read_text(args.file).splitlines())
    except LabelledSetError as exc:
        print(f"suara: {args.file}: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"suara: {args.file} has no labelled rows", file=sys.stderr)
        return 2
    try:
        report = score(rows, _predict([r.text for r in rows], settings, args.model))
    except SignalConfigError as exc:
        print(f"suara: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        _print_table(report, args.errors)
    return 0


def _predict(texts: list[str], settings: Settings, model_name: str | None) -> list[Prediction]:
    """Signals for every text, embedding them in batches (as ``nlu.parse`` would, one vector each)."""
    from bot.understanding.models import encoder_for, settings_encoder

    if model_name:
        encoder = encoder_for(model_name, settings.embedding_threads, settings.embedding_int8)
    else:
        encoder = settings_encoder(settings)
    model = signal_model_for(encoder)
    cleaned = [nlu.clean(t)[: nlu.MAX_TEXT_CHARS] for t in texts]
    redacted = [nlu.redact(t) for t in cleaned]
    predictions = []
    for start in range(0, len(redacted), _BATCH):
        batch = redacted[start:start + _BATCH]
        vectors = encoder.encode_queries(batch)
        for text, vector in zip(batch, vectors, strict=True):
            normalised = nlu.normalise(text)
            language = nlu.detect_language(normalised)
            signals = extract_signals(text, normalised, vector if normalised else None, model)
            predictions.append(prediction_from(signals, language))
    return predictions


def _print_table(report: Report, show_errors: bool) -> None:
    print(f"{report.rows} labelled messages")
    print(f"{'signal':<24}{'precision':>10}{'recall':>10}{'support':>9}")
    for name, s in report.scores.items():
        print(f"{name:<24}{s['precision']:>10.3f}{s['recall']:>10.3f}{s['support']:>9}")
    for issue, s in report.per_issue.items():
        print(f"  issue:{issue:<16}{s['precision']:>10.3f}{s['recall']:>10.3f}{s['support']:>9}")
    print(f"region accuracy (all rows): {report.region_accuracy:.3f}")
    print(f"region accuracy (rows naming a place): {report.region_accuracy_named:.3f}")
    if show_errors:
        print("\nscored wrong:")
        for line in report.errors:
            print(f"  {line}")
