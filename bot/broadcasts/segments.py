"""Segments against the database: how many voters a query picks, why one voter is (not) in it
with the evidence behind each clause, and the saved segments staff keep by name.

Saving and deleting are staff actions: each writes an audit entry (never message text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.segments import ClauseResult, Query, explain, matches, parse
from nlu import redact

from bot.broadcasts.facts import facts_for
from bot.broadcasts.segment_sql import TPS_SIGNAL, compile_query
from bot.storage.campaign_models import SavedSegment
from bot.storage.models import Contact, Message, SegmentSignal
from bot.storage.turns import audit

#: The signals that explain a clause on each field (the fields read from the contact row need none).
EVIDENCE_SIGNALS = {
    "region": ("region",), "province": ("region",), "language": ("language",), "source": ("source",),
    "issue": ("issue",), "first_time_voter": ("first_time_voter",), "moved_residence": ("moved_residence",),
    "disability_need": ("disability_need",), "has_tps": (TPS_SIGNAL,),
}
MAX_NAME = 100


class SegmentError(ValueError):
    """A saved-segment request that cannot be done; the message is for staff (Indonesian / English)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A recorded signal behind a clause, and the (redacted) message that set it."""

    name: str
    value: str
    confidence: float
    evidence: str
    source: str
    message: str | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ClauseWhy:
    result: ClauseResult
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Why:
    """Whether contact ``contact_id`` is in the segment, clause by clause."""

    contact_id: int
    matched: bool
    clauses: tuple[ClauseWhy, ...]


async def count(db: AsyncSession, query: Query, now: datetime) -> int:
    """How many contacts are in the segment at ``now``."""
    return int(await db.scalar(select(func.count()).select_from(Contact).where(compile_query(query, now))) or 0)


async def why(db: AsyncSession, contact_id: int, query: Query, now: datetime) -> Why | None:
    """Each clause for one contact, with the signals (and redacted messages) behind it; ``None``
    when there is no such contact."""
    facts = await facts_for(db, contact_id)
    if facts is None:
        return None
    clauses = []
    for result in explain(query, facts, now):
        names = EVIDENCE_SIGNALS.get(result.clause.field, ())
        clauses.append(ClauseWhy(result, await _evidence(db, contact_id, names) if names else ()))
    return Why(contact_id, matches(query, facts, now), tuple(clauses))


async def _evidence(db: AsyncSession, contact_id: int, names: tuple[str, ...]) -> tuple[Evidence, ...]:
    rows = await db.execute(
        select(SegmentSignal, Message.text)
        .outerjoin(Message, Message.id == SegmentSignal.evidence_message_id)
        .where(SegmentSignal.contact_id == contact_id, SegmentSignal.name.in_(names))
        .order_by(SegmentSignal.id)
    )
    return tuple(
        Evidence(signal.name, signal.value, signal.confidence, redact(signal.evidence), signal.source,
                 redact(text) if text is not None else None, signal.created_at)
        for signal, text in rows
    )


async def save(db: AsyncSession, name: str, text: str, author: str, now: datetime) -> SavedSegment:
    """Save (or replace) the segment ``name``; the query is checked first
    (:class:`~flows.segments.SegmentQueryError` when it does not parse)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise SegmentError(f"nama segmen harus 1–{MAX_NAME} karakter / a segment name needs 1–{MAX_NAME} characters")
    canonical = str(parse(text))
    row = await db.scalar(select(SavedSegment).where(SavedSegment.name == name))
    if row is None:
        row = SavedSegment(name=name, query=canonical, author=author, created_at=now, updated_at=now)
        db.add(row)
    else:
        row.query, row.author, row.updated_at = canonical, author, now
    audit(db, author, "segment_saved", f"segment:{name}", {"query": canonical}, now)
    return row


async def saved(db: AsyncSession) -> list[SavedSegment]:
    """Every saved segment, by name."""
    return list((await db.scalars(select(SavedSegment).order_by(SavedSegment.name))).all())


async def saved_query(db: AsyncSession, name: str) -> Query:
    """The parsed query of the saved segment ``name``."""
    row = await db.scalar(select(SavedSegment).where(SavedSegment.name == name))
    if row is None:
        raise SegmentError(f"segmen \"{name}\" tidak ada / there is no segment \"{name}\"")
    return parse(row.query)


async def remove(db: AsyncSession, name: str, author: str, now: datetime) -> None:
    """Delete the saved segment ``name``."""
    deleted = await db.execute(delete(SavedSegment).where(SavedSegment.name == name))
    if not deleted.rowcount:  # type: ignore[attr-defined]
        raise SegmentError(f"segmen \"{name}\" tidak ada / there is no segment \"{name}\"")
    audit(db, author, "segment_deleted", f"segment:{name}", {}, now)
