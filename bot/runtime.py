"""Wiring shared by the server and the terminal chat: encoder, knowledge and the loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncEngine

from nlu.signals import default_config, signal_model_for

from .db.engine import session_factory
from .embedding import SentenceEncoder, load_encoder
from .knowledge_source import KnowledgeSource
from .loop import ConversationLoop
from .metrics import Metrics
from .settings import Settings


@lru_cache(maxsize=2)
def encoder_for(model: str) -> SentenceEncoder:
    """The sentence encoder, loaded once per process (it takes seconds and ~0.5 GB).

    One torch thread: a voter's message is one short sentence, and on a busy 2-core machine
    a second thread makes each encoding wait for the other (measured 17 ms with one thread
    against 600-800 ms with two while other processes ran).
    """
    return load_encoder(model, num_threads=1)


def build_loop(
    settings: Settings, engine: AsyncEngine, metrics: Metrics, clock: Callable[[], datetime],
    knowledge: KnowledgeSource | None = None,
) -> ConversationLoop:
    """The conversation loop over ``engine``, answering from ``knowledge`` (by default the
    knowledge base on disk, without watching it for edits)."""
    knowledge = knowledge or knowledge_source(settings)
    default_config()  # a broken nlu/data/signals.yml stops the start with a clear message
    encoder = encoder_for(settings.embedding_model)
    signal_model_for(encoder)  # built now, not on the first voter's message
    return ConversationLoop(
        session_factory(engine),
        knowledge.current,
        metrics,
        encoder=encoder,
        default_language=settings.default_language,
        timezone_name=settings.timezone,
        session_timeout=timedelta(minutes=settings.session_timeout_minutes),
        clock=clock,
    )


def knowledge_source(settings: Settings) -> KnowledgeSource:
    return KnowledgeSource(encoder_for(settings.embedding_model))
