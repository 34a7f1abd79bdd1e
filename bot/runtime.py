"""Wiring shared by the server and the terminal chat: engine, knowledge and the loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge import KnowledgeBase, load_faq

from .db.engine import session_factory
from .loop import ConversationLoop
from .metrics import Metrics
from .nlu_models import build_understanding
from .settings import Settings


def build_loop(
    settings: Settings, engine: AsyncEngine, metrics: Metrics, clock: Callable[[], datetime]
) -> ConversationLoop:
    """The conversation loop over ``engine`` with the knowledge base loaded from disk."""
    knowledge = KnowledgeBase.from_entries(load_faq())
    return ConversationLoop(
        session_factory(engine),
        lambda: knowledge,
        metrics,
        default_language=settings.default_language,
        timezone_name=settings.timezone,
        session_timeout=timedelta(minutes=settings.session_timeout_minutes),
        clock=clock,
        understanding=build_understanding(settings),
    )
