"""The loaded sentence encoder: e5-style prefixes, unit vectors, and a disk cache for big batches."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

CACHED_BATCH_MIN = 64  # batches at least this long are cached on disk (start-up's example sets)


class SentenceEncoder:
    """A SentenceTransformer with e5-style prefixes, returning float32 unit vectors.

    The encode methods are CPU-bound and blocking; call them from a worker
    thread (``loop.run_in_executor``/``asyncio.to_thread``) in async code.
    """

    def __init__(self, model, name: str, path: Path, query_prefix: str | None = None,
                 passage_prefix: str | None = None, vector_cache: Path | None = None):
        self._model = model
        self._vector_cache = vector_cache
        self.name = name
        self.path = Path(path)
        prompts = getattr(model, "prompts", None) or {}
        is_e5 = "e5" in name.lower() or "e5" in self.path.name.lower()
        if query_prefix is None:
            query_prefix = prompts.get("query", "query: " if is_e5 else "")
        if passage_prefix is None:
            passage_prefix = prompts.get("passage", prompts.get("document", "passage: " if is_e5 else ""))
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def __repr__(self) -> str:
        return f"SentenceEncoder(name={self.name!r}, dim={self.dim}, path={str(self.path)!r})"

    def _encode(self, texts: Sequence[str], prefix: str, batch_size: int) -> "np.ndarray":
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("pass a list of strings, not a single string")
        texts = [t if t.startswith(prefix) else prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cached = self._cache_file(texts)
        if cached is not None and cached.exists():
            with contextlib.suppress(OSError, ValueError):
                return np.load(cached, allow_pickle=False)
        out = self._model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        vectors = np.ascontiguousarray(out, dtype=np.float32)
        if cached is not None:
            _save_atomically(cached, vectors)
        return vectors

    def _cache_file(self, texts: Sequence[str]) -> Path | None:
        """Where a large batch's vectors are kept, by a hash of the model and the exact texts.

        Start-up embeds the same few hundred example sentences every time (the signal model's);
        reading them back is identical and takes milliseconds. Single messages never hit the disk.
        """
        if self._vector_cache is None or len(texts) < CACHED_BATCH_MIN:
            return None
        digest = hashlib.sha256(self.name.encode())
        for text in texts:
            digest.update(text.encode() + b"\x00")
        return self._vector_cache / f"{digest.hexdigest()[:32]}.npy"

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> "np.ndarray":
        """[n, dim] float32, L2-normalised; adds the query prefix (``"query: "`` for e5)."""
        return self._encode(texts, self.query_prefix, batch_size)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32) -> "np.ndarray":
        """[n, dim] float32, L2-normalised; adds the passage prefix (``"passage: "`` for e5)."""
        return self._encode(texts, self.passage_prefix, batch_size)


def _save_atomically(path: Path, vectors: "np.ndarray") -> None:
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "wb") as file:
        np.save(file, vectors, allow_pickle=False)
    os.replace(temporary, path)
