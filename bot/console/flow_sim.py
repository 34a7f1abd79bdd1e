"""The flow simulator: a staff member chats with a draft flow through the real conversation
loop — the same understanding, engine, knowledge base and polling stations a voter's message
meets — on a throw-away database in memory.

Nothing here can reach a voter: the loop gets its own SQLite database (created for one request
and dropped after it), so no contact, message or session row is ever written to the
deployment's database, and the replies are only shown on the page, never handed to a sender.

The page keeps no state on the server: the form carries what the staff member said so far
(:func:`read_inputs`, bounded to :data:`MAX_TURNS` short messages), and every request plays the
whole conversation again against the draft as it is now, so an edit between two messages is
tried at once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import StaticPool

from flows import Library
from knowledge import TpsIndex

from bot.conversation.loop import ConversationLoop
from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.settings import Settings
from bot.storage.content import ContentCache
from bot.storage.engine import session_factory
from bot.storage.models import ConversationSession
from bot.storage.schema import metadata
from bot.telemetry.metrics import Metrics
from bot.understanding.backend import build_understanding
from bot.understanding.knowledge_source import build_knowledge
from bot.understanding.models import settings_encoder

CHANNEL, VOTER = "console", "simulator"
MAX_TURNS = 20
MAX_TEXT_CHARS = 500
MAX_PAYLOAD_BYTES = 64
TURN_GAP = timedelta(seconds=10)  # 20 turns stay well inside any session timeout


@dataclass(frozen=True, slots=True)
class Said:
    """One thing the simulated voter did: typed ``text`` or pressed a button (``payload``)."""

    text: str | None = None
    payload: str | None = None


@dataclass(frozen=True, slots=True)
class SimTurn:
    """One exchange: what the voter did (``shown`` as their bubble reads), the bot's replies,
    and the flow and step the voter is in afterwards (``None`` outside any flow)."""

    said: Said
    shown: str
    replies: tuple[OutboundMessage, ...]
    flow: str | None
    step: str | None


def read_inputs(raw: str) -> list[Said] | None:
    """What the form says the voter did so far; ``None`` when it is not what this page wrote."""
    if not raw:
        return []
    if len(raw) > MAX_TURNS * (MAX_TEXT_CHARS * 6 + 16):
        return None
    try:
        items = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(items, list) or len(items) > MAX_TURNS:
        return None
    found = []
    for item in items:
        said = _said(item)
        if said is None:
            return None
        found.append(said)
    return found


def _said(item: object) -> Said | None:
    if not isinstance(item, dict) or len(item) != 1:
        return None
    (kind, value), = item.items()
    if kind == "t" and isinstance(value, str) and 0 < len(value) <= MAX_TEXT_CHARS:
        return Said(text=value)
    if kind == "p" and isinstance(value, str) and 0 < len(value.encode()) <= MAX_PAYLOAD_BYTES:
        return Said(payload=value)
    return None


def write_inputs(inputs: list[Said]) -> str:
    """The form value for ``inputs`` (read back by :func:`read_inputs`)."""
    return json.dumps([{"t": s.text} if s.text is not None else {"p": s.payload} for s in inputs],
                      ensure_ascii=False, separators=(",", ":"))


def next_input(text: str, payload: str) -> Said | None:
    """The voter's next message from the form: a pressed button wins over typed text."""
    if payload and len(payload.encode()) <= MAX_PAYLOAD_BYTES:
        return Said(payload=payload)
    text = text.strip()[:MAX_TEXT_CHARS]
    return Said(text=text) if text else None


class _DraftContent(ContentCache):
    """The draft library and the live polling stations, instead of what the database holds."""

    def __init__(self, library: Library, tps: TpsIndex) -> None:
        super().__init__()
        self._draft = (library, tps)

    async def current(self, db: AsyncSession) -> tuple[Library, TpsIndex]:
        return self._draft


async def simulate(settings: Settings, library: Library, tps: TpsIndex, inputs: list[Said],
                   start: datetime) -> list[SimTurn]:
    """Play ``inputs`` as a new voter's messages (10 s apart from ``start``) against ``library``."""
    engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        knowledge = await asyncio.to_thread(build_knowledge, settings_encoder(settings), settings.faq_dir)
        understanding = await asyncio.to_thread(build_understanding, settings)
        moment = [start]
        sessions = session_factory(engine)
        loop = ConversationLoop(
            sessions, lambda: knowledge, Metrics(), default_language=settings.default_language,
            timezone_name=settings.timezone, session_timeout=timedelta(minutes=settings.session_timeout_minutes),
            clock=lambda: moment[0], content=_DraftContent(library, tps), understanding=understanding)
        turns: list[SimTurn] = []
        try:
            for number, said in enumerate(inputs):
                moment[0] = start + number * TURN_GAP
                result = await loop.handle(InboundMessage(CHANNEL, VOTER, f"sim-{number}", moment[0],
                                                          text=said.text, payload=said.payload))
                async with sessions() as db:
                    state = await db.scalar(select(ConversationSession.state).limit(1))
                position = (state or {}).get("flow")
                flow, step = (str(position.get("id")), str(position.get("step"))) if isinstance(position, dict) \
                    else (None, None)
                turns.append(SimTurn(said, _shown(said, turns), result.replies, flow, step))
        finally:
            await loop.close()
        return turns
    finally:
        await engine.dispose()


def _shown(said: Said, before: list[SimTurn]) -> str:
    """The voter's bubble: their text, or the title of the button they pressed."""
    if said.text is not None:
        return said.text
    buttons = [b for turn in before[-1:] for reply in turn.replies for b in reply.buttons]
    return next((b.title for b in buttons if b.payload == said.payload), said.payload or "")
