"""Loading the knowledge base from disk, caching its index, and reloading it when edited.

Document vectors, the fitted decision rule and the fitted indexes (BM25 and the entry
classifiers, pickled) are cached on disk by content hash (the indexes also by the code and
library versions that fitted them), so a restart with unchanged content does not re-embed or
re-fit anything; an unreadable or stale cache file is rebuilt, never fatal; a process keeps built knowledge bases in
memory by the same key. The hoax corrections (``knowledge/hoaxes``) are indexed beside the FAQ,
with the FAQ's questions as the messages that repeat no hoax, and cached the same way.
:class:`KnowledgeSource` watches the FAQ folder and the hoax files and swaps in a rebuilt
knowledge base without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import pickle
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import numpy as np

import knowledge
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
from knowledge.hoaxes import (
    HOAX_FILE,
    NEAR_TRUE_FILE,
    HoaxIndex,
    HoaxRule,
    build_index,
    documents_of,
    load_hoaxes,
    load_near_true,
    negative_positions,
)
from knowledge.retrieval import HybridIndex, embed_documents
from nlu import Encoder

from bot.embedding import default_cache_dir
from bot.storage.staff_files import write_atomically

log = logging.getLogger("suara.knowledge")

_BUILT: dict[str, KnowledgeBase] = {}
T = TypeVar("T")
_HOAXES: dict[str, HoaxIndex] = {}


def build_knowledge(
    encoder: Encoder, faq_dir: Path = FAQ_DIR, cache_dir: Path | None = None, hoax_file: Path | None = HOAX_FILE,
) -> KnowledgeBase:
    """The knowledge base of ``faq_dir`` with the hoaxes of ``hoax_file`` (``None``: no hoax
    corrections), from memory, the disk cache, or built (and cached)."""
    out_of_scope = load_out_of_scope()
    kb = cached_knowledge(load_faq(faq_dir), encoder, out_of_scope, cache_dir)
    if hoax_file is None:
        return kb
    return replace(kb, hoaxes=cached_hoaxes(kb, out_of_scope, hoax_file, cache_dir))


def cached_hoaxes(
    kb: KnowledgeBase, out_of_scope: Sequence[str], hoax_file: Path = HOAX_FILE, cache_dir: Path | None = None
) -> HoaxIndex | None:
    """The hoax index beside ``kb`` (its questions are the messages that repeat no hoax), with the
    rule fitted once per content and cached on disk as JSON."""
    hoaxes = load_hoaxes(hoax_file)
    if not hoaxes:
        return None
    near_true = load_near_true(hoax_file.parent / NEAR_TRUE_FILE.name)
    faq_documents = documents_for(list(kb.entries.values()), out_of_scope)
    positions = negative_positions(faq_documents, kb.entries)
    background = [faq_documents[i].text for i in positions]
    documents = [Document(d.owner, d.text, "question") for d in documents_of(hoaxes, near_true, background)]
    key = "hoaxes-" + content_hash(documents, kb.encoder.name)
    if key in _HOAXES:
        return _HOAXES[key]
    vectors = cached_vectors(documents[: len(documents) - len(background)], kb.encoder, cache_dir)
    rule_file = _cache_folder(cache_dir) / f"{key}.rule.json"
    rule = HoaxRule(**{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(rule_file.read_text()).items()}
                    ) if rule_file.exists() else None
    if rule is not None:
        index = _pickled(rule_file.with_suffix(".pkl"), lambda: build_index(
            hoaxes, near_true, vectors, background, kb.document_vectors[positions], rule)[0])
        fitted = None
    else:
        index, fitted = build_index(hoaxes, near_true, vectors, background, kb.document_vectors[positions], rule)
        _store_pickle(rule_file.with_suffix(".pkl"), index)
    if fitted is not None:
        write_atomically(rule_file, json.dumps(asdict(index.rule)).encode())
        log.info("hoaxes_fitted", extra={"hoaxes": len(hoaxes), "test_recall": round(fitted.test.recall, 3),
                                         "test_precision": round(fitted.test.precision, 3)})
    _HOAXES[key] = index
    return index


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
        documents = documents_for(entries, out_of_scope)
        index = _pickled(folder / f"{key}.index.pkl", lambda: HybridIndex(documents, vectors))
        kb = KnowledgeBase.build(entries, encoder, out_of_scope, vectors=vectors, rule=rule, index=index)
        log.info("knowledge_loaded", extra={"entries": len(entries), "cache": key})
    else:
        log.info("knowledge_building", extra={"entries": len(entries)})
        kb = KnowledgeBase.build(entries, encoder, out_of_scope)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(vectors_file, _npy_bytes(kb.document_vectors))
        write_atomically(rule_file, json.dumps(asdict(kb.rule)).encode())
        _store_pickle(folder / f"{key}.index.pkl", kb.index)
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


def _code_version() -> str:
    """What a pickled index depends on besides its content: the code that fits it and the
    libraries whose objects it holds."""
    digest = hashlib.sha256(" ".join(version(p) for p in ("scikit-learn", "bm25s", "numpy")).encode())
    for module in ("classifier.py", "retrieval.py", "hoaxes/matcher.py"):
        digest.update((Path(knowledge.__file__).parent / module).read_bytes())
    return digest.hexdigest()[:12]


def _versioned(path: Path) -> Path:
    return path.with_name(f"{path.stem}.{_code_version()}{path.suffix}")


def _pickled(path: Path, build: Callable[[], T]) -> T:
    """The object pickled at ``path`` (for this code version), or ``build()`` (and pickled) when
    it is missing or unreadable."""
    target = _versioned(path)
    if target.exists():
        try:
            return pickle.loads(target.read_bytes())
        except Exception as exc:  # truncated, corrupt or from an incompatible library: rebuild
            log.warning("index_cache_unreadable", extra={"file": target.name, "error": str(exc)[:200]})
    value = build()
    _store_pickle(path, value)
    return value


def _store_pickle(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(_versioned(path), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _cache_folder(cache_dir: Path | None) -> Path:
    return (cache_dir or default_cache_dir()) / "knowledge"


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _signature(faq_dir: Path) -> tuple:
    files = sorted(faq_dir.glob("*.yml")) + [OUT_OF_SCOPE_FILE, HOAX_FILE, NEAR_TRUE_FILE]
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
