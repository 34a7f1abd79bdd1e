"""The sentence encoder the core packages are given (they never load a model themselves).

``bot.embedding.SentenceEncoder`` implements it; tests may pass any object with this shape.
A message is embedded once, in :func:`nlu.parse`, and the vector is shared by intents,
knowledge retrieval and signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dim`` dimensions."""

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for questions and voter messages (e5 adds ``"query: "``)."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for indexed content such as answers (e5 adds ``"passage: "``)."""
        ...
