"""Loading the models ``nlu`` needs: the sentence encoder and the trained intent classifier.

The intent model is trained from ``nlu/data/nlu.yml`` on first use and cached on disk under
``SUARA_MODEL_CACHE/intents`` (default ``~/.cache/suara/models/intents``), keyed by a hash of
the training data, the slang table the lexical features are normalised with, the encoder name
and the classifier's format version: a restart with unchanged data loads the saved model in
milliseconds instead of training again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nlu.intent_model import FORMAT_VERSION, IntentModel, train
from nlu.normalise import SLANG_FILE
from nlu.rasa_format import DEFAULT_TRAINING_FILE, parse_rasa_yaml

from bot.embedding import SentenceEncoder, default_cache_dir, load_encoder
from bot.settings import Settings

log = logging.getLogger("suara.nlu_models")


@dataclass(frozen=True, slots=True)
class NluModels:
    """What ``nlu.parse`` is given when the bot serves: one encoder, one intent model."""

    encoder: SentenceEncoder
    intent_model: IntentModel


@lru_cache(maxsize=2)
def encoder_for(model: str, threads: int = 1, int8: bool = True) -> SentenceEncoder:
    """The sentence encoder, loaded once per process (it takes seconds and ~0.5 GB).

    One torch thread by default: a voter's message is one short sentence, and on a busy 2-core
    machine a second thread makes each encoding wait for the other (measured 17 ms with one
    thread against 600-800 ms with two while other processes ran). 8-bit weights by default
    (see :func:`bot.embedding.load_encoder`).
    """
    return load_encoder(model, num_threads=threads, int8=int8)


def settings_encoder(settings: Settings) -> SentenceEncoder:
    """The encoder ``settings`` ask for (``SUARA_EMBEDDING_*``)."""
    return encoder_for(settings.embedding_model, settings.embedding_threads, settings.embedding_int8)


def load_nlu_models(settings: Settings) -> NluModels:
    """The encoder and the intent model for ``settings``, training the model only when needed."""
    encoder = settings_encoder(settings)
    cache_dir = intent_cache_dir(settings)
    model = cached_intent_model(DEFAULT_TRAINING_FILE.read_bytes(), "nlu/data/nlu.yml", encoder, cache_dir)
    return NluModels(encoder, model)


def intent_cache_dir(settings: Settings) -> Path:
    return (Path(settings.model_cache).expanduser() if settings.model_cache else default_cache_dir()) / "intents"


def cached_intent_model(
    training_bytes: bytes, source: str, encoder: SentenceEncoder, cache_dir: Path, *, retrain: bool = False
) -> IntentModel:
    """Load the model trained on exactly these Rasa ``nlu.yml`` bytes with this encoder, or train and save it.

    ``retrain`` trains and overwrites even when a saved model exists.

    Raises :class:`nlu.training_data.TrainingDataError` when the data is malformed.
    """
    parts = [FORMAT_VERSION.encode(), encoder.name.encode(), SLANG_FILE.read_bytes(), training_bytes]
    key = hashlib.sha256(b"\x00".join(parts))
    path = cache_dir / f"intents-{key.hexdigest()[:20]}.npz"
    if path.exists() and not retrain:
        try:
            with np.load(path, allow_pickle=False) as arrays:
                model = IntentModel.from_arrays(dict(arrays))
            log.info("intent_model_loaded", extra={"path": str(path)})
            return model
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("intent_model_unreadable", extra={"path": str(path), "error": str(exc)[:200]})
    started = time.perf_counter()
    model = train(parse_rasa_yaml(training_bytes.decode("utf-8"), source).examples, encoder)
    _save(model, path)
    log.info("intent_model_trained", extra={"path": str(path), "seconds": round(time.perf_counter() - started, 1),
                                            "intents": len(model.labels)})
    return model


def _save(model: IntentModel, path: Path) -> None:
    """Write atomically, so a worker starting at the same time never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **model.to_arrays())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
