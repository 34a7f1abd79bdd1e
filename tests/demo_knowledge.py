"""The shipped knowledge base, built once per test session (embedding it takes seconds)."""

from __future__ import annotations

from functools import lru_cache

from bot.runtime import knowledge_source
from bot.settings import Settings
from knowledge import KnowledgeBase


@lru_cache(maxsize=1)
def demo_knowledge() -> KnowledgeBase:
    return knowledge_source(Settings(_env_file=None)).current()
