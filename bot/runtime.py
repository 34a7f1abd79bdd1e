"""Wiring shared by the server and the terminal chat: encoder, knowledge and the loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from nlu.signals import default_config, signal_model_for

from bot.conversation.contact_lock import locking_sessions
from bot.understanding.knowledge_source import KnowledgeSource
from bot.conversation.loop import ConversationLoop
from bot.telemetry.metrics import Metrics
from bot.understanding.backend import build_understanding
from bot.understanding.models import settings_encoder
from bot.settings import Settings


def build_loop(
    settings: Settings, engine: AsyncEngine, metrics: Metrics, clock: Callable[[], datetime],
    knowledge: KnowledgeSource | None = None,
) -> ConversationLoop:
    """The conversation loop over ``engine``, answering from ``knowledge`` (by default the
    knowledge base on disk, without watching it for edits)."""
    knowledge = knowledge or knowledge_source(settings)
    default_config()  # a broken nlu/data/signals.yml stops the start with a clear message
    encoder = settings_encoder(settings)
    signal_model_for(encoder)  # built now, not on the first voter's message
    return ConversationLoop(
        locking_sessions(engine),  # a contact's turns in order across worker processes too
        knowledge.current,
        metrics,
        default_language=settings.default_language,
        timezone_name=settings.timezone,
        session_timeout=timedelta(minutes=settings.session_timeout_minutes),
        clock=clock,
        understanding=build_understanding(settings),
    )


def knowledge_source(settings: Settings) -> KnowledgeSource:
    return KnowledgeSource(settings_encoder(settings), settings.faq_dir)
