"""Loading the knowledge base from disk, caching its index, and reloading it when edited.

Document vectors and the fitted decision rule are cached on disk by content hash, so a restart
with unchanged content does not re-embed or re-fit; a process keeps built knowledge bases in
memory by the same key. :class:`KnowledgeSource` watches the FAQ folder and swaps in a rebuilt
knowledge base without a restart.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from knowledge import (
    FAQ_DIR,
    DecisionRule,
    Document,
    FaqEntry,
    KnowledgeBase,
    content_hash,
    documents_for,
    load_faq,
    load_out_of_scope,
)
from knowledge.faq_loader import OUT_OF_SCOPE_FILE
from knowledge.retrieval import embed_documents
from nlu import Encoder

from bot.embedding import default_cache_dir
from bot.storage.staff_files import write_atomically

log = logging.getLogger("suara.knowledge")

_BUILT: dict[str, KnowledgeBase] = {}


def build_knowledge(encoder: Encoder, faq_dir: Path = FAQ_DIR, cache_dir: Path | None = None) -> KnowledgeBase:
    """The knowledge base of ``faq_dir``, from memory, the disk cache, or built (and cached)."""
    return cached_knowledge(load_faq(faq_dir), encoder, load_out_of_scope(), cache_dir)


def cached_knowledge(
    entries: Sequence[FaqEntry], encoder: Encoder, out_of_scope: Sequence[str] = (), cache_dir: Path | None = None
) -> KnowledgeBase:
    """The knowledge base of ``entries``, from memory, the disk cache, or built (and cached)."""
    key = content_hash(documents_for(entries, out_of_scope), encoder.name)
    if key in _BUILT:
        return _BUILT[key]
    folder = _cache_folder(cache_dir)
    vectors_file, rule_file = folder / f"{key}.npy", folder / f"{key}.rule.json"
    if vectors_file.exists() and rule_file.exists():
        vectors = np.load(vectors_file)
        rule = DecisionRule(**json.loads(rule_file.read_text()))
        kb = KnowledgeBase.build(entries, encoder, out_of_scope, vectors=vectors, rule=rule)
        log.info("knowledge_loaded", extra={"entries": len(entries), "cache": key})
    else:
        log.info("knowledge_building", extra={"entries": len(entries)})
        kb = KnowledgeBase.build(entries, encoder, out_of_scope)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(vectors_file, _npy_bytes(kb.document_vectors))
        write_atomically(rule_file, json.dumps(asdict(kb.rule)).encode())
        log.info("knowledge_built", extra={"entries": len(entries), "cache": key})
    _BUILT[key] = kb
    return kb


def cached_vectors(documents: Sequence[Document], encoder: Encoder, cache_dir: Path | None = None) -> np.ndarray:
    """The embeddings of ``documents`` (as :func:`knowledge.retrieval.embed_documents`), cached
    on disk by content hash like the knowledge base's own."""
    key = content_hash(documents, encoder.name)
    path = _cache_folder(cache_dir) / f"{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed_documents(documents, encoder)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, _npy_bytes(vectors))
    return vectors


def _cache_folder(cache_dir: Path | None) -> Path:
    return (cache_dir or default_cache_dir()) / "knowledge"


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _signature(faq_dir: Path) -> tuple:
    files = sorted(faq_dir.glob("*.yml")) + [OUT_OF_SCOPE_FILE]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


class KnowledgeSource:
    """The current knowledge base; :meth:`watch` rebuilds it when the FAQ files change.

    A broken edit is logged and ignored: the running knowledge base stays.
    """

    def __init__(self, encoder: Encoder, faq_dir: Path = FAQ_DIR) -> None:
        self._encoder, self._faq_dir = encoder, faq_dir
        self._signature = _signature(faq_dir)
        self._current = build_knowledge(encoder, faq_dir)

    def current(self) -> KnowledgeBase:
        return self._current

    async def watch(self, interval: float = 2.0) -> None:
        """Poll the FAQ folder every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            await self.refresh()

    async def refresh(self) -> bool:
        """Rebuild if the files changed; returns whether a new knowledge base is live."""
        signature = _signature(self._faq_dir)
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            self._current = await asyncio.to_thread(build_knowledge, self._encoder, self._faq_dir)
        except Exception as exc:  # a staff edit that does not load: keep serving the old one
            log.error("knowledge_reload_failed", extra={"error": str(exc)[:300]})
            return False
        log.info("knowledge_reloaded", extra={"entries": len(self._current.entries)})
        return True


def remember_knowledge(kb: KnowledgeBase, out_of_scope: Sequence[str]) -> None:
    """Keep ``kb`` in memory as the knowledge base of its entries, so the next load of the same
    content (the watcher, after the staff console publishes an edit) takes it instead of
    building again."""
    key = content_hash(documents_for(list(kb.entries.values()), out_of_scope), kb.encoder.name)
    _BUILT[key] = kb
