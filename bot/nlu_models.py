"""Loading the models ``nlu`` needs: the sentence encoder and the trained intent classifier.

The intent model is trained from ``nlu/data/nlu.yml`` on first use and cached on disk under
``SUARA_MODEL_CACHE/intents`` (default ``./var/models``), keyed by a hash of the training data,
the encoder name and the classifier's format version: a restart with unchanged data loads the
saved model in milliseconds instead of training again.
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
from typing import Protocol

import numpy as np

import nlu
from nlu.intent_model import FORMAT_VERSION, IntentModel, train
from nlu.rasa_format import DEFAULT_TRAINING_FILE, parse_rasa_yaml

from .embedding import SentenceEncoder, load_encoder
from .settings import Settings

log = logging.getLogger("suara.nlu_models")

DEFAULT_INTENT_CACHE = Path("var") / "models"


@dataclass(frozen=True, slots=True)
class NluModels:
    """What ``nlu.parse`` is given when the bot serves: one encoder, one intent model."""

    encoder: SentenceEncoder
    intent_model: IntentModel


@lru_cache(maxsize=2)
def shared_encoder(name: str, threads: int) -> SentenceEncoder:
    """One encoder per process and model name (loading takes seconds and ~500 MB)."""
    return load_encoder(name, num_threads=threads)


def load_nlu_models(settings: Settings) -> NluModels:
    """The encoder and the intent model for ``settings``, training the model only when needed."""
    encoder = shared_encoder(settings.embedding_model, settings.embedding_threads)
    cache_dir = intent_cache_dir(settings)
    model = cached_intent_model(DEFAULT_TRAINING_FILE.read_bytes(), "nlu/data/nlu.yml", encoder, cache_dir)
    return NluModels(encoder, model)


def intent_cache_dir(settings: Settings) -> Path:
    return Path(settings.model_cache).expanduser() / "intents" if settings.model_cache else DEFAULT_INTENT_CACHE


def cached_intent_model(
    training_bytes: bytes, source: str, encoder: SentenceEncoder, cache_dir: Path, *, retrain: bool = False
) -> IntentModel:
    """Load the model trained on exactly these Rasa ``nlu.yml`` bytes with this encoder, or train and save it.

    ``retrain`` trains and overwrites even when a saved model exists.

    Raises :class:`nlu.training_data.TrainingDataError` when the data is malformed.
    """
    key = hashlib.sha256(b"\x00".join([FORMAT_VERSION.encode(), encoder.name.encode(), training_bytes]))
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


class Understanding(Protocol):
    """How the conversation loop understands a message (our models, or a Rasa server)."""

    async def parse(self, text: str, language: nlu.Language) -> nlu.ParseResult:
        """Understand ``text`` (already cleaned and cut to the length limit)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class LocalNlu:
    """``nlu.parse`` with our encoder and intent model; with no models, the keyword fallback."""

    encoder: SentenceEncoder | None = None
    intent_model: IntentModel | None = None

    async def parse(self, text: str, language: nlu.Language) -> nlu.ParseResult:
        # Synchronous on purpose: ~15 ms of CPU, and a fast tokenizer must not be shared across threads.
        return nlu.parse(text, language, encoder=self.encoder, intent_model=self.intent_model)

    async def close(self) -> None:
        return None


def build_understanding(settings: Settings) -> Understanding:
    """The NLU the server uses, as configured by ``SUARA_NLU_BACKEND``."""
    encoder = shared_encoder(settings.embedding_model, settings.embedding_threads)
    if settings.nlu_backend == "rasa":
        from .rasa_backend import RasaNlu

        assert settings.rasa_url is not None  # checked by Settings
        return RasaNlu(settings.rasa_url, settings.rasa_timeout_seconds, LocalNlu(encoder))
    models = load_nlu_models(settings)
    return LocalNlu(models.encoder, models.intent_model)
