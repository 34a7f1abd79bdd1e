"""The audit trail of staff actions: one helper writes every entry, one query reads them.

Nothing in the console edits or deletes an audit entry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.accounts import StaffUser
from bot.storage.models import AuditEntry
from bot.storage.turns import audit

PAGE_SIZE = 50


def actor_name(user: StaffUser | str) -> str:
    return f"staff:{user.email}" if isinstance(user, StaffUser) else user


def record(db: AsyncSession, user: StaffUser | str, action: str, subject: str, now: datetime,
           **detail: object) -> None:
    """Write that ``user`` (or a named actor such as ``cli``) did ``action`` to ``subject``;
    ``detail`` holds what changed (``before`` / ``after`` for content). Never pass secrets."""
    audit(db, actor_name(user), action, subject, dict(detail), now)


async def audit_page(db: AsyncSession, page: int, actor: str = "", action: str = "", subject: str = "",
                     since: datetime | None = None, until: datetime | None = None) -> tuple[list[AuditEntry], int]:
    """One page of entries, newest first, filtered by ``actor`` / ``action`` / ``subject``
    (substrings) and by time (``since`` inclusive, ``until`` exclusive); and the number of pages."""
    query = select(AuditEntry)
    for column, wanted in ((AuditEntry.actor, actor), (AuditEntry.action, action), (AuditEntry.subject, subject)):
        if wanted:
            query = query.where(column.contains(wanted, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await db.scalars(query.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), max(1, -(-total // PAGE_SIZE))
