"""Choosing the understanding backend the server uses (``SUARA_NLU_BACKEND``: local or Rasa)."""

from __future__ import annotations

from bot.settings import Settings
from bot.understanding.local import LocalNlu, Understanding
from bot.understanding.models import load_nlu_models, settings_encoder
from bot.understanding.rasa import RasaNlu


def build_understanding(settings: Settings) -> Understanding:
    """The NLU the server uses, as configured by ``SUARA_NLU_BACKEND``."""
    encoder = settings_encoder(settings)
    if settings.nlu_backend == "rasa":
        assert settings.rasa_url is not None  # checked by Settings
        return RasaNlu(settings.rasa_url, settings.rasa_timeout_seconds, LocalNlu(encoder))
    models = load_nlu_models(settings)
    return LocalNlu(models.encoder, models.intent_model)
