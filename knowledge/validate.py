"""Checks on FAQ entries before they go live, each problem as ``file:line: message``.

Pure: the caller parses the files and embeds the phrasings (see :func:`phrasing_documents`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from .retrieval import Document
from .types import FaqEntry

LANGUAGES = ("id", "en")
# A phrasing is confusable when its best cosine to another entry's questions beats its best
# cosine to its own entry's other questions by more than this. e5 cosines between short
# informal questions sit in a narrow band (about 0.8-0.97) and share surface words across
# entries, so small leads are noise: on the seed FAQ, 0.02 flags 278 of 948 correctly filed
# texts, 0.08 flags 9 (about 1%) while still catching about a third of phrasings deliberately
# filed under a random wrong entry (measured when this margin was chosen).
CONFUSABLE_MARGIN = 0.08


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def check_entries(entries: Sequence[FaqEntry], today: date) -> list[Problem]:
    """Missing translations, duplicate ids, expired entries, missing or invalid sources and
    review dates."""
    problems: list[Problem] = []
    first_seen: dict[str, FaqEntry] = {}
    for entry in entries:
        for part in ("question", "answer"):
            missing = [language for language in LANGUAGES if language not in getattr(entry, part)]
            if missing:
                problems.append(Problem(entry.file, _at(entry, part), f"{entry.id}: {part} has no translation in "
                                        f"{' and '.join(repr(m) for m in missing)}"))
        if entry.id in first_seen:
            other = first_seen[entry.id]
            problems.append(Problem(entry.file, entry.line, f"duplicate id {entry.id!r} (also at {other.file}:{other.line})"))
        else:
            first_seen[entry.id] = entry
        if entry.valid_until is not None and entry.valid_until < today:
            problems.append(Problem(entry.file, _at(entry, "valid_until"), f"{entry.id}: expired on {entry.valid_until}"))
        if not entry.source.url:
            problems.append(Problem(entry.file, _at(entry, "source"), f"{entry.id}: no source url"))
        elif not is_web_address(entry.source.url):
            problems.append(Problem(entry.file, _at(entry, "source"), f"{entry.id}: source url is not an http(s) address: "
                                    f"{entry.source.url!r}"))
        if entry.reviewed_on is None:
            problems.append(Problem(entry.file, _at(entry, "reviewed_on"), f"{entry.id}: no reviewed_on date"))
        elif entry.reviewed_on > today:
            problems.append(Problem(entry.file, _at(entry, "reviewed_on"), f"{entry.id}: reviewed_on {entry.reviewed_on} "
                                    "is in the future"))
    return problems


def _at(entry: FaqEntry, field: str) -> int:
    """The line of ``field`` in ``entry`` (the entry's first line when the field is absent)."""
    return entry.field_lines.get(field, entry.line)


_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?")  # no urllib: core packages do no I/O


def is_web_address(url: str) -> bool:
    """An http(s) address with a host that has a dot (what a source link must be)."""
    return _WEB_ADDRESS.fullmatch(url) is not None


def phrasing_documents(entries: Sequence[FaqEntry]) -> list[Document]:
    """The texts :func:`confusable_phrasings` compares, in order: each entry's canonical
    questions, then its phrasings (embed them as queries)."""
    return [
        Document(entry.id, text, "question")
        for entry in entries
        for text in (*entry.question.values(), *entry.phrasings)
    ]


def confusable_phrasings(
    entries: Sequence[FaqEntry], vectors: np.ndarray, margin: float = CONFUSABLE_MARGIN
) -> list[Problem]:
    """Phrasings closer to another entry than to their own: their best cosine to another
    entry's questions beats their best cosine to their own entry's other questions by more than
    ``margin``. ``vectors`` are the normalised embeddings of :func:`phrasing_documents`."""
    owner = np.array([n for n, entry in enumerate(entries) for _ in (*entry.question.values(), *entry.phrasings)])
    problems: list[Problem] = []
    start = 0
    for n, entry in enumerate(entries):
        own = len(entry.question) + len(entry.phrasings)
        rows = np.arange(start + len(entry.question), start + own)
        start += own
        if own < 2 or not len(rows):
            continue
        similarity = vectors[rows] @ vectors.T
        similarity[np.arange(len(rows)), rows] = -np.inf  # a phrasing is not its own evidence
        mine = owner == n
        best_own = similarity[:, mine].max(axis=1)
        others = np.where(mine, -np.inf, similarity)
        nearest = others.argmax(axis=1)
        best_other = others[np.arange(len(rows)), nearest]
        for k in np.flatnonzero(best_other - best_own > margin):
            rival = entries[owner[nearest[k]]]
            problems.append(Problem(
                entry.file, entry.phrasing_lines[k] if k < len(entry.phrasing_lines) else entry.line,
                f"{entry.id}: phrasing {entry.phrasings[k]!r} is closer to {rival.id!r} ({rival.file}:{rival.line}) "
                f"than to its own entry ({best_other[k]:.3f} vs {best_own[k]:.3f})",
            ))
    return problems
