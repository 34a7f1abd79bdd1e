"""Where one serving worker's memory goes: resident memory (RSS) after each step of a start.

Loads, in the order ``suara serve`` does, what a worker holds — the Python imports, the encoder
(8-bit), the intent model, the signal model, the knowledge base with its hoax index — and prints
the RSS each step adds and how long it took. Run it twice: the first run may build caches.

    .venv/bin/python bench/memory.py

Target (issue 17): ≤ 600 MB per worker with the model loaded.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
TARGET_RSS_MB = 600.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _imports() -> None:
    import torch  # noqa: F401
    import transformers  # noqa: F401


def _app_imports() -> None:
    import bot.app  # noqa: F401  (aiohttp, SQLAlchemy, the console, the channels)
    import sklearn.linear_model  # noqa: F401  (the fitted classifiers are scikit-learn objects)


def main() -> None:
    from bot.settings import Settings

    settings = Settings(_env_file=None)
    held: dict[str, object] = {}

    def encoder() -> None:
        from bot.understanding.models import settings_encoder

        held["encoder"] = settings_encoder(settings)

    def intents() -> None:
        from bot.understanding.models import load_nlu_models

        held["models"] = load_nlu_models(settings)

    def signals() -> None:
        from nlu.signals import signal_model_for

        held["signals"] = signal_model_for(held["encoder"])

    def knowledge() -> None:
        from bot.runtime import knowledge_source

        held["knowledge"] = knowledge_source(settings).current()

    def one_message() -> None:
        held["encoder"].encode_queries(["tps saya di mana ya?"])

    steps: list[tuple[str, Callable[[], None]]] = [
        ("imports: torch, transformers", _imports),
        ("imports: the app, scikit-learn", _app_imports),
        ("encoder (8-bit)", encoder),
        ("intent model", intents),
        ("signal model", signals),
        ("knowledge base + hoax index", knowledge),
        ("first message encoded", one_message),
    ]
    before = rss_mb()
    print(f"{'step':34s} {'+MB':>8s} {'RSS MB':>8s} {'seconds':>8s}")
    print(f"{'python':34s} {'':>8s} {before:8.1f}")
    for name, run in steps:
        started = time.perf_counter()
        run()
        gc.collect()
        now = rss_mb()
        print(f"{name:34s} {now - before:+8.1f} {now:8.1f} {time.perf_counter() - started:8.2f}")
        before = now
    print(f"ready: {before:.0f} MB RSS (target ≤ {TARGET_RSS_MB:.0f} MB)")


if __name__ == "__main__":
    main()
