"""Scheduling a campaign: for every contact and event, the core decides (``plan_contact``) and
one reminder row records it — planned with its rendered text and due time, or skipped / held
with the reason.

Rows are written a batch of contacts at a time, each batch in its own transaction, with
``INSERT … ON CONFLICT DO NOTHING`` on the idempotency key ``campaign:event:contact``:
scheduling again after a crash picks up where it stopped, and scheduling twice never doubles a
message. On PostgreSQL a batch goes in with ``COPY`` into a temporary table and one
``INSERT … SELECT`` from it (a million rows in seconds, where multi-row ``VALUES`` spend most of
their time compiling SQL); SQLite gets multi-row ``INSERT``s. A row, once written, keeps the text of the version it
was planned from. Every contact is considered, so the results can say why a voter got nothing
(``no_consent``, ``not_subscribed``, ``opted_out`` …).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from flows.campaigns import Campaign, CampaignEvent, Planned, Skipped, plan_contact, zone_of
from flows.campaigns import Settings as PlanSettings
from flows.campaigns.render import voter_language
from flows.segments import ContactFacts

from bot.broadcasts.facts import BATCH_SIZE, iter_facts
from bot.storage.campaign_models import Reminder
from bot.storage.models import Contact

#: Progress callback: (contacts done, contacts in all).
Progress = Callable[[int, int], None]
Decision = tuple[ContactFacts, CampaignEvent, Planned | Skipped]


@dataclass
class ScheduleResult:
    """What one run wrote: new rows by status, and rows that were already there."""

    contacts: int = 0
    written: Counter[str] = field(default_factory=Counter)
    already: int = 0


async def decisions(db: AsyncSession, campaign: Campaign, now: datetime, settings: PlanSettings,
                    batch_size: int = BATCH_SIZE) -> AsyncIterator[list[Decision]]:
    """Every contact × event with the core's decision, a batch of contacts at a time."""
    async for batch in iter_facts(db, batch_size=batch_size):
        yield [(facts, event, plan_contact(campaign, event, facts, now, settings))
               for facts in batch for event in campaign.events]


async def contact_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Contact)) or 0)


async def schedule(db: AsyncSession, campaign: Campaign, version_id: int, now: datetime, settings: PlanSettings,
                   batch_size: int = BATCH_SIZE, progress: Progress | None = None) -> ScheduleResult:
    """Plan ``campaign`` (published as ``version_id``) for every contact, committing per batch.

    On PostgreSQL the contacts are read on a second connection, so the database writes one batch
    while Python plans the next (the two halves take about as long; on two cores this nearly
    halves the time). SQLite, with one writer, does one thing after the other.
    """
    now = now.astimezone(UTC)
    total = await contact_count(db)
    result = ScheduleResult()
    if progress:
        progress(0, total)  # how many there are, before the first batch is written
    parallel = db.bind.dialect.name == "postgresql"
    writing: asyncio.Task[None] | None = None

    async def write(rows: list[dict[str, Any]], contacts: int) -> None:
        written = await (_copy_new if parallel else _insert_new)(db, rows)
        await db.commit()
        result.contacts += contacts
        result.written.update(written)
        result.already += len(rows) - sum(written.values())
        if progress:
            progress(result.contacts, total)

    async with AsyncSession(db.bind) if parallel else nullcontext(db) as reader:
        try:
            async for batch in decisions(reader, campaign, now, settings, batch_size):
                rows = [reminder_row(campaign, version_id, facts, decision, now, settings)
                        for facts, _, decision in batch]
                if writing is not None:
                    await writing
                writing = asyncio.create_task(write(rows, len(batch) // max(len(campaign.events), 1)))
                if not parallel:
                    await writing
            if writing is not None:
                await writing
        finally:
            if writing is not None and not writing.done():
                writing.cancel()
                await asyncio.gather(writing, return_exceptions=True)
    return result


def reminder_row(campaign: Campaign, version_id: int, facts: ContactFacts, decision: Planned | Skipped,
                 now: datetime, settings: PlanSettings) -> dict[str, Any]:
    """The ``reminders`` row recording one decision."""
    row: dict[str, Any] = {
        "idempotency_key": f"{campaign.id}:{decision.event_id}:{facts.contact_id}",
        "campaign_id": campaign.id, "version_id": version_id, "event_id": decision.event_id,
        "variant": decision.variant_index, "contact_id": facts.contact_id, "channel": facts.channel,
        "created_at": now, "updated_at": now,
    }
    if isinstance(decision, Planned):
        template = decision.template
        return {**row, "language": decision.language, "zone": decision.zone, "due_at": decision.due_at,
                "status": "planned", "reason": None, "text": decision.text,
                "template": {"name": template.name, "language": template.language,
                             "parameters": list(template.parameters)} if template else None}
    return {**row, "language": voter_language(facts), "zone": zone_of(facts, settings.default_timezone).name,
            "due_at": (decision.due_at or now).astimezone(UTC), "status": "held" if decision.held else "skipped",
            "reason": decision.reason, "text": None, "template": None}


async def _insert_new(db: AsyncSession, rows: list[dict[str, Any]]) -> Counter[str]:
    """Insert the rows whose key is new (ON CONFLICT DO NOTHING); how many by status."""
    written: Counter[str] = Counter()
    for start in range(0, len(rows), 500):
        statement = (sqlite.insert(Reminder).values(rows[start:start + 500])
                     .on_conflict_do_nothing(index_elements=["idempotency_key"])
                     .returning(Reminder.status))
        written.update((await db.scalars(statement)).all())
    return written


_COLUMNS = ("idempotency_key", "campaign_id", "version_id", "event_id", "variant", "contact_id", "channel",
            "language", "zone", "due_at", "status", "reason", "text", "template", "created_at", "updated_at")
_NEW_ROWS = (f"CREATE TEMPORARY TABLE IF NOT EXISTS planned_batch ON COMMIT DELETE ROWS AS "
             f"SELECT {', '.join(_COLUMNS)} FROM reminders WITH NO DATA")
_MOVE = (f"WITH new AS (INSERT INTO reminders ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} "
         f"FROM planned_batch ON CONFLICT (idempotency_key) DO NOTHING RETURNING status) "
         f"SELECT status, count(*) FROM new GROUP BY status")


async def _copy_new(db: AsyncSession, rows: list[dict[str, Any]]) -> Counter[str]:
    """PostgreSQL: COPY the rows into a temporary table (emptied at commit), then insert those
    whose key is new in one statement; how many by status.

    The statements around the COPY go through the session, which opens the transaction the COPY
    joins (on the raw connection alone each statement would commit, emptying the table).
    """
    if not rows:
        return Counter()
    await db.execute(text(_NEW_ROWS))
    connection = (await (await db.connection()).get_raw_connection()).driver_connection
    await connection.copy_records_to_table("planned_batch", columns=_COLUMNS, records=[
        tuple(json.dumps(row[c], ensure_ascii=False) if c == "template" and row[c] is not None else row[c]
              for c in _COLUMNS) for row in rows])
    return Counter({status: count for status, count in await db.execute(text(_MOVE))})
