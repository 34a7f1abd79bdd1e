"""What scheduling a campaign would do, without writing anything: how many messages per event,
variant, zone and channel, how many voters are skipped and why, how many are timed by the
deployment's default zone (a guess), and a few rendered texts per variant to read before sending.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows.campaigns import Campaign, Planned
from flows.campaigns import Settings as PlanSettings

from bot.broadcasts.planner import decisions

SAMPLES_PER_VARIANT = 3


@dataclass(frozen=True, slots=True)
class Sample:
    contact_id: int
    language: str
    zone: str
    channel: str
    due_at: datetime
    text: str
    template: str | None


@dataclass
class Preview:
    """Counts keyed by (event, variant, zone, channel) and by (event, reason); ``zone_from_default``
    counts the voters with a message whose zone is the deployment's default (neither their region
    nor their stored zone told us)."""

    campaign_id: str
    contacts: int = 0
    messages: Counter[tuple[str, int, str, str]] = field(default_factory=Counter)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    zone_from_default: int = 0
    samples: dict[tuple[str, int], list[Sample]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign_id,
            "contacts": self.contacts,
            "messages": [{"event": e, "variant": v, "zone": z, "channel": c, "count": n}
                         for (e, v, z, c), n in sorted(self.messages.items())],
            "skipped": [{"event": e, "reason": r, "count": n} for (e, r), n in sorted(self.skipped.items())],
            "zone_from_default": self.zone_from_default,
            "samples": [{"event": e, "variant": v, "contact_id": s.contact_id, "language": s.language, "zone": s.zone,
                         "channel": s.channel, "due_at": s.due_at.isoformat(), "text": s.text, "template": s.template}
                        for (e, v), samples in sorted(self.samples.items()) for s in samples],
        }


async def preview(db: AsyncSession, campaign: Campaign, now: datetime, settings: PlanSettings) -> Preview:
    """Plan ``campaign`` for every contact in memory and count the outcome."""
    result = Preview(campaign.id)
    async for batch in decisions(db, campaign, now, settings):
        result.contacts += len({facts.contact_id for facts, _, _ in batch})
        timed_by_default: set[int] = set()
        for facts, event, decision in batch:
            if not isinstance(decision, Planned):
                result.skipped[(event.id, decision.reason)] += 1
                continue
            result.messages[(event.id, decision.variant_index, decision.zone, facts.channel)] += 1
            if decision.zone_source == "default":
                timed_by_default.add(facts.contact_id)
            samples = result.samples.setdefault((event.id, decision.variant_index), [])
            if len(samples) < SAMPLES_PER_VARIANT:
                template = decision.template
                samples.append(Sample(facts.contact_id, decision.language, decision.zone, facts.channel,
                                      decision.due_at, decision.text,
                                      f"{template.name} {list(template.parameters)}" if template else None))
        result.zone_from_default += len(timed_by_default)
    return result
