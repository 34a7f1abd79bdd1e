"""Hoax corrections: claims about the election that circulated and were publicly debunked (KPU,
Bawaslu, Komdigi, or a fact-checker citing them), each with its correction and source, and the
index that recognises a voter repeating or asking about one of them.

``hoaxes.yml`` holds the hoaxes, ``near_true.yml`` true statements that look like them (never
"corrected"). Pure: the caller embeds the texts; see :func:`build_index`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..retrieval import Document
from ..types import FaqEntry
from .checks import check_hoaxes
from .fit import HoaxFit, fit
from .loader import HOAX_DIR, HOAX_FILE, NEAR_TRUE_FILE, load_hoaxes, load_near_true, parse_hoaxes, parse_near_true
from .matcher import HoaxIndex, HoaxRule, documents_of
from .model import Hoax, HoaxMatch, NearTrue

__all__ = [
    "HOAX_DIR",
    "HOAX_FILE",
    "NEAR_TRUE_FILE",
    "Hoax",
    "HoaxFit",
    "HoaxIndex",
    "HoaxMatch",
    "HoaxRule",
    "NearTrue",
    "build_index",
    "check_hoaxes",
    "documents_of",
    "load_hoaxes",
    "load_near_true",
    "negative_positions",
    "parse_hoaxes",
    "parse_near_true",
]

# An FAQ phrasing that itself mentions a hoax may repeat one of ours: it is no "not a hoax" example.
_MENTIONS_HOAX = re.compile(r"\b(hoaks|hoax|hoaxes|fake news|berita palsu)\b", re.IGNORECASE)
_HOAX_TOPIC = "hoaks"


def negative_positions(documents: Sequence[Document], entries: dict[str, FaqEntry]) -> list[int]:
    """The positions in the FAQ index's ``documents`` (:func:`knowledge.documents_for`) of the
    questions that repeat no hoax: every question and phrasing, and the out-of-scope examples,
    except those of entries about hoaxes and those that mention one."""
    def clean(doc: Document) -> bool:
        entry = entries.get(doc.entry_id)
        return entry is None or _HOAX_TOPIC not in entry.topics

    return [i for i, doc in enumerate(documents)
            if doc.kind == "question" and clean(doc) and not _MENTIONS_HOAX.search(doc.text)]


def build_index(
    hoaxes: Sequence[Hoax], near_true: Sequence[NearTrue], vectors: np.ndarray,
    background: Sequence[str] = (), background_vectors: np.ndarray | None = None, rule: HoaxRule | None = None,
) -> tuple[HoaxIndex, HoaxFit | None]:
    """The index of every hoax, near-true statement and ``background`` question (questions that
    repeat no hoax, see :func:`negative_positions`), deciding with the rule fitted on the TRAIN
    split (:mod:`knowledge.hoaxes.fit`), and that fit's report; with a ``rule`` (fitted before on
    the same content, from a cache) nothing is fitted and the report is ``None``. ``vectors``
    follow :func:`documents_of` for the hoaxes and near-true statements."""
    docs = documents_of(hoaxes, near_true, background)
    if background_vectors is not None and len(background):
        vectors = np.vstack([vectors, background_vectors])
    if rule is not None:
        return HoaxIndex(hoaxes, docs, vectors, rule), None
    fitted = fit(hoaxes, docs, vectors)
    return HoaxIndex(hoaxes, docs, vectors, fitted.rule), fitted
