"""Scheduling a campaign: for every contact and event, the core decides (``plan_contact``) and
one reminder row records it — planned with its rendered text and due time, or skipped / held
with the reason.

Rows are written a batch of contacts at a time (about 1,000 rows per statement), each batch in
its own transaction, with ``INSERT … ON CONFLICT DO NOTHING`` on the idempotency key
``campaign:event:contact``: scheduling again after a crash picks up where it stopped, and
scheduling twice never doubles a message. A row, once written, keeps the text of the version it
was planned from. Every contact is considered, so the results can say why a voter got nothing
(``no_consent``, ``not_subscribed``, ``opted_out`` …).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
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
    """Plan ``campaign`` (published as ``version_id``) for every contact, committing per batch."""
    now = now.astimezone(UTC)
    total = await contact_count(db)
    result = ScheduleResult()
    async for batch in decisions(db, campaign, now, settings, batch_size):
        rows = [reminder_row(campaign, version_id, facts, decision, now, settings)
                for facts, _, decision in batch]
        inserted = await _insert_new(db, rows)
        result.contacts += len(batch) // max(len(campaign.events), 1)
        result.written.update(row["status"] for row in rows if row["idempotency_key"] in inserted)
        result.already += len(rows) - len(inserted)
        await db.commit()
        if progress:
            progress(result.contacts, total)
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


async def _insert_new(db: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose key is new (ON CONFLICT DO NOTHING); the keys inserted."""
    inserted: set[str] = set()
    dialect = postgresql if db.bind.dialect.name == "postgresql" else sqlite
    for start in range(0, len(rows), BATCH_SIZE):
        chunk = rows[start:start + BATCH_SIZE]
        statement = (dialect.insert(Reminder).values(chunk)
                     .on_conflict_do_nothing(index_elements=["idempotency_key"])
                     .returning(Reminder.idempotency_key))
        inserted |= set((await db.scalars(statement)).all())
    return inserted
