"""The unanswered queue: open questions grouped by meaning, marked handled when dealt with.

A question is queued when the bot abstained (said it does not know) or clarified (asked which
of two close entries was meant); rows from before the kind was stored are abstentions.
Grouping is greedy: each question joins the first group whose first question it is at least
:data:`SIMILAR` alike to (cosine of the server's sentence embeddings), else starts a group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows import UNANSWERED_KINDS
from nlu import Encoder

from bot.console.accounts import StaffUser
from bot.console.audit import record
from bot.storage.models import UnansweredQuestion

# e5 cosines between short questions sit high (about 0.8-0.97, see knowledge/validate.py):
# 0.9 keeps rewordings of one question together and different questions apart.
SIMILAR = 0.9
MAX_OPEN = 500  # the oldest questions beyond this wait for the next page load


@dataclass(frozen=True, slots=True)
class Group:
    """Questions that ask the same thing, and the entries the bot considered for them."""

    questions: tuple[UnansweredQuestion, ...]
    candidates: tuple[tuple[str, float], ...]  # entry id, best score, most considered first

    @property
    def first(self) -> UnansweredQuestion:
        return self.questions[0]

    @property
    def kinds(self) -> dict[str, int]:
        """How many of the group's questions were abstained on and clarified (only kinds present)."""
        found = Counter(kind_of(row) for row in self.questions)
        return {kind: found[kind] for kind in UNANSWERED_KINDS if found[kind]}


def kind_of(row: UnansweredQuestion) -> str:
    return row.kind or "abstained"


async def open_questions(db: AsyncSession, kind: str | None = None) -> list[UnansweredQuestion]:
    """The newest open questions, of one kind (``abstained`` / ``clarified``) or of all."""
    query = select(UnansweredQuestion).where(UnansweredQuestion.status == "open")
    if kind == "abstained":
        query = query.where(or_(UnansweredQuestion.kind.is_(None), UnansweredQuestion.kind == kind))
    elif kind is not None:
        query = query.where(UnansweredQuestion.kind == kind)
    rows = await db.scalars(query.order_by(UnansweredQuestion.id.desc()).limit(MAX_OPEN))
    return list(rows)


def group_questions(rows: Sequence[UnansweredQuestion], encoder: Encoder, similar: float = SIMILAR) -> list[Group]:
    """``rows`` grouped by meaning, the most asked group first (blocking: embeds the texts)."""
    if not rows:
        return []
    vectors = encoder.encode_queries([row.question for row in rows])
    leaders: list[int] = []
    members: list[list[int]] = []
    for n, vector in enumerate(vectors):
        scores = vectors[leaders] @ vector if leaders else np.zeros(0)
        best = int(np.argmax(scores)) if len(scores) else -1
        if best >= 0 and scores[best] >= similar:
            members[best].append(n)
        else:
            leaders.append(n)
            members.append([n])
    groups = [Group(tuple(rows[i] for i in group), _candidates([rows[i] for i in group])) for group in members]
    return sorted(groups, key=lambda g: -len(g.questions))


def _candidates(rows: Sequence[UnansweredQuestion]) -> tuple[tuple[str, float], ...]:
    seen: Counter[str] = Counter()
    best: dict[str, float] = {}
    for row in rows:
        for candidate in row.candidates or []:
            entry_id, score = str(candidate.get("entry_id", "")), float(candidate.get("score", 0.0))
            if entry_id:
                seen[entry_id] += 1
                best[entry_id] = max(score, best.get(entry_id, score))
    return tuple((entry_id, best[entry_id]) for entry_id, _ in seen.most_common(5))


async def questions_by_id(db: AsyncSession, ids: Sequence[int]) -> list[UnansweredQuestion]:
    rows = await db.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(list(ids))))
    return list(rows)


async def mark_handled(db: AsyncSession, user: StaffUser, ids: Sequence[int], how: str, now: datetime) -> int:
    """Mark the open questions ``ids`` handled; returns how many were still open."""
    result = await db.execute(update(UnansweredQuestion).where(
        UnansweredQuestion.id.in_(list(ids)), UnansweredQuestion.status == "open").values(status="handled"))
    count = result.rowcount or 0
    if count:
        record(db, user, "unanswered_handled", f"unanswered:{','.join(map(str, ids))[:100]}", now, how=how,
               ids=list(ids))
    return count
