"""Planned reminder rows written straight into the database, for the dispatch tests and benches.

Bulk inserts (one ``INSERT`` per few thousand rows), so the same helpers seed 20 rows in a test
and a million in ``bench/broadcast.py``. Nothing here depends on the planning code.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.campaign_models import Campaign, CampaignVersion, Reminder
from bot.storage.models import ChannelIdentity, Contact

CHUNK = 5000


async def add_campaign(sessions: async_sessionmaker[AsyncSession], campaign_id: str, status: str = "active") -> int:
    """A published campaign with ``status``; returns its version id."""
    now = datetime.now(UTC)
    async with sessions() as db, db.begin():
        version = CampaignVersion(campaign_id=campaign_id, version="0" * 64, file=f"{campaign_id}.yml",
                                  source="", author="test", published_at=now)
        db.add(version)
        await db.flush()
        db.add(Campaign(id=campaign_id, status=status, version_id=version.id, created_at=now, updated_at=now))
    return version.id


async def add_voters(
    sessions: async_sessionmaker[AsyncSession], channel: str, external_ids: Sequence[str], *,
    consent: bool | None = True,
) -> list[int]:
    """One consenting contact per chat id on ``channel``; returns their ids, in order."""
    now = datetime.now(UTC)
    ids: list[int] = []
    async with sessions() as db, db.begin():
        for start in range(0, len(external_ids), CHUNK):
            chunk = external_ids[start:start + CHUNK]
            contact_ids = list((await db.scalars(insert(Contact).returning(Contact.id, sort_by_parameter_order=True), [
                {"language": "id", "timezone": "Asia/Jakarta", "consent": consent, "opted_out": False,
                 "needs_human": False, "created_at": now, "last_seen_at": now} for _ in chunk])).all())
            await db.execute(insert(ChannelIdentity), [
                {"contact_id": cid, "channel": channel, "external_id": eid, "created_at": now}
                for cid, eid in zip(contact_ids, chunk)])
            ids += contact_ids
    return ids


async def add_reminders(
    sessions: async_sessionmaker[AsyncSession], campaign_id: str, version_id: int, channel: str,
    contact_ids: Sequence[int], *, due_at: datetime, text: str | None = "Besok hari pemungutan suara.",
    template: dict[str, Any] | None = None, event_id: str = "h-1",
) -> None:
    """A planned reminder per contact (text ``<text> #<contact id>``, so each send is traceable)."""
    now = datetime.now(UTC)
    async with sessions() as db, db.begin():
        for start in range(0, len(contact_ids), CHUNK):
            await db.execute(insert(Reminder), [
                {"idempotency_key": f"{campaign_id}:{event_id}:{cid}", "campaign_id": campaign_id,
                 "version_id": version_id, "event_id": event_id, "variant": 0, "contact_id": cid,
                 "channel": channel, "language": "id", "zone": "WIB", "due_at": due_at, "status": "planned",
                 "text": f"{text} #{cid}" if text else None, "template": template,
                 "created_at": now, "updated_at": now}
                for cid in contact_ids[start:start + CHUNK]])


async def statuses(sessions: async_sessionmaker[AsyncSession]) -> dict[int, tuple[str, str | None]]:
    """``{contact id: (status, reason)}`` of every reminder."""
    async with sessions() as db:
        rows = await db.execute(select(Reminder.contact_id, Reminder.status, Reminder.reason))
    return {cid: (status, reason) for cid, status, reason in rows}
