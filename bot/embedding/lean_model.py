"""Serving a mean-pooled sentence-transformers model without sentence-transformers' loader.

For the common shape (a Hugging Face transformer, mean pooling, L2 normalisation — e5 is one),
this runs the same computation as ``SentenceTransformer.encode``: texts sorted by length the
same way and cut into the same batches (8-bit dynamic quantisation scales activations per batch,
so the batches must match for the vectors to match), attention-masked mean pooling, normalised.
What differs is what stays in memory: the tokenizer is the SentencePiece form
(:mod:`bot.embedding.compact_tokenizer`, ~235 MB less per worker), and the sentence-transformers
package, whose import alone brings ~190 MB of modules a server never uses, is not imported. Its
vectors equal ``SentenceTransformer.encode``'s bit for bit (tests/test_embedding_lean.py).

:func:`lean_model` returns ``None`` for any other folder shape; the caller then loads the model
with sentence-transformers as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from bot.embedding.compact_tokenizer import CompactTokenizer, load_compact_tokenizer

_MEAN_POOLING = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
                 "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
                 "pooling_mode_lasttoken": False}
_ROBERTA_FAMILY = {"roberta", "xlm-roberta", "camembert"}
_MODULE_TYPES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                 "sentence_transformers.models.Normalize"]


class LeanSentenceModel:
    """The part of ``SentenceTransformer``'s interface :class:`~bot.embedding.SentenceEncoder` uses."""

    prompts: dict[str, str] = {}

    def __init__(self, transformer, tokenizer: CompactTokenizer, max_length: int, dim: int) -> None:
        self.transformer = transformer
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.dim = dim

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_: object) -> np.ndarray:
        """[n, dim] float32 unit vectors, in the order of ``texts``."""
        import torch

        order = np.argsort([-len(text) for text in texts])  # as SentenceTransformer.encode
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start: start + batch_size]
            ids = [self.tokenizer.ids(texts[i], self.max_length) for i in rows]
            width = max(map(len, ids))
            input_ids = torch.full((len(ids), width), self.tokenizer.pad_id, dtype=torch.long)
            mask = torch.zeros((len(ids), width), dtype=torch.long)
            for row, sequence in enumerate(ids):
                input_ids[row, : len(sequence)] = torch.tensor(sequence)
                mask[row, : len(sequence)] = 1
            with torch.inference_mode():
                hidden = self.transformer(input_ids=input_ids, attention_mask=mask).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                # Twice, as sentence-transformers does (its Normalize module, then encode's
                # normalize_embeddings): the second pass moves the last bits, and the fitted
                # decision rules downstream are sensitive to those.
                unit = torch.nn.functional.normalize(pooled, p=2, dim=-1)
                out[rows] = torch.nn.functional.normalize(unit, p=2, dim=1).numpy()
        return out


def lean_model(path: Path, cache_root: Path) -> LeanSentenceModel | None:
    """The model in ``path`` served lean, or ``None`` when the folder has another shape."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        transformer_config = json.loads((path / "sentence_bert_config.json").read_text())
    except (OSError, ValueError):
        return None
    if ([m.get("type") for m in modules] != _MODULE_TYPES or modules[0].get("path") != ""
            or any(pooling.get(k, False) != v for k, v in _MEAN_POOLING.items())
            or transformer_config.get("do_lower_case")):
        return None
    tokenizer = load_compact_tokenizer(path, cache_root)
    if tokenizer is None:
        return None
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformer = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    # RoBERTa-family position ids start after the padding id: two positions fewer to use.
    offset = 2 if transformer.config.model_type in _ROBERTA_FAMILY else 0
    max_length = min(int(transformer_config.get("max_seq_length") or 512),
                     int(transformer.config.max_position_embeddings) - offset)
    return LeanSentenceModel(transformer, tokenizer, max_length, int(pooling["word_embedding_dimension"]))
