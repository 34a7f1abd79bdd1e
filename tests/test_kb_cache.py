"""The knowledge base's disk cache: a restart refits nothing and answers the same; a corrupt
or stale cache file is rebuilt, never fatal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.understanding import knowledge_source
from bot.understanding.knowledge_source import cached_knowledge
from demo_knowledge import demo_knowledge
from knowledge import FAQ_DIR, load_faq

QUESTION = "kapan hari pemungutan suara?"


def _restart(entries: list, tmp_path: Path):  # noqa: ANN001, ANN202  (a fresh process: nothing in memory)
    knowledge_source._BUILT.clear()
    return cached_knowledge(entries, demo_knowledge().encoder, (), tmp_path)


@pytest.fixture
def entries() -> list:
    return load_faq(FAQ_DIR)[:8]


def test_a_restart_loads_the_fitted_index_and_answers_the_same(entries: list, tmp_path: Path) -> None:
    first = _restart(entries, tmp_path).answer(QUESTION, date(2026, 1, 1))
    assert list((tmp_path / "knowledge").glob("*.index.*.pkl"))
    second = _restart(entries, tmp_path)
    assert second.answer(QUESTION, date(2026, 1, 1)) == first


def test_a_corrupt_index_cache_is_rebuilt_not_fatal(entries: list, tmp_path: Path) -> None:
    first = _restart(entries, tmp_path).answer(QUESTION, date(2026, 1, 1))
    (cached,) = (tmp_path / "knowledge").glob("*.index.*.pkl")
    cached.write_bytes(b"not a pickle")
    assert _restart(entries, tmp_path).answer(QUESTION, date(2026, 1, 1)) == first
    assert cached.read_bytes() != b"not a pickle"  # rewritten for the next start
