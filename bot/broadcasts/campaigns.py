"""Published campaigns: each file published is a version; a campaign is active, paused or
cancelled. Every staff action here writes an audit entry.

The status is the contract with the dispatcher (``bot/broadcasts/dispatcher.py``): it sends only
reminders of ``active`` campaigns. Pausing stops sending until resumed; cancelling is final and
marks the campaign's still-``planned`` reminders ``cancelled``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.campaigns import Campaign as CampaignPlan
from flows.campaigns import QuietHours, masa_tenang_days
from flows.campaigns.timing import ZONE_OF_IANA
from flows.campaigns import Settings as PlanSettings

from bot.settings import Settings
from bot.storage.campaign_models import Campaign, CampaignVersion, Reminder
from bot.storage.turns import audit

ACTIVE, PAUSED, CANCELLED = "active", "paused", "cancelled"
#: The status each action moves a campaign to, and the statuses it may start from.
TRANSITIONS = {"pause": (PAUSED, (ACTIVE,)), "resume": (ACTIVE, (PAUSED,)), "cancel": (CANCELLED, (ACTIVE, PAUSED))}


class CampaignError(ValueError):
    """A campaign action that cannot be done; the message is for staff (Indonesian / English)."""


@dataclass(frozen=True, slots=True)
class Published:
    """The campaign's row after publishing, and whether this file was a new version."""

    campaign_id: str
    version_id: int
    status: str
    new_version: bool


def plan_settings(settings: Settings, campaign: CampaignPlan) -> PlanSettings:
    """The core's settings for ``campaign`` from the deployment's: quiet hours, default zone, and
    the masa tenang dates (``SUARA_MASA_TENANG``, else the 3 days before the voting day)."""
    if settings.timezone not in ZONE_OF_IANA:
        raise CampaignError(f"SUARA_TIMEZONE harus zona Indonesia untuk pengingat / SUARA_TIMEZONE must be one of "
                            f"{', '.join(ZONE_OF_IANA)} to time reminders (not {settings.timezone})")
    start, end = settings.quiet_hours_window
    masa_tenang = settings.masa_tenang_dates or masa_tenang_days(campaign.election.voting_day)
    return PlanSettings(default_timezone=settings.timezone, quiet_hours=QuietHours(start, end), masa_tenang=masa_tenang)


async def publish(db: AsyncSession, campaign: CampaignPlan, source: str, author: str, now: datetime) -> Published:
    """Store ``source`` as the campaign's newest version (once per distinct text) and make it the
    live one; a new campaign starts ``active``. A cancelled campaign cannot be published again."""
    row = await db.get(Campaign, campaign.id)
    if row is not None and row.status == CANCELLED:
        raise CampaignError(f"kampanye {campaign.id} sudah dibatalkan; pakai id baru / "
                            f"campaign {campaign.id} was cancelled; use a new id")
    version = await db.scalar(select(CampaignVersion).where(
        CampaignVersion.campaign_id == campaign.id, CampaignVersion.version == campaign.version))
    new_version = version is None
    if version is None:
        version = CampaignVersion(campaign_id=campaign.id, version=campaign.version, file=campaign.file[-255:],
                                  source=source, author=author, published_at=now)
        db.add(version)
        await db.flush()
    if row is None:
        row = Campaign(id=campaign.id, status=ACTIVE, version_id=version.id, created_at=now, updated_at=now)
        db.add(row)
    elif row.version_id != version.id:
        row.version_id, row.updated_at = version.id, now
    if new_version:
        audit(db, author, "campaign_published", f"campaign:{campaign.id}",
              {"version": campaign.version, "file": campaign.file}, now)
    await db.flush()
    return Published(campaign.id, version.id, row.status, new_version)


async def get(db: AsyncSession, campaign_id: str) -> Campaign:
    """The campaign ``campaign_id``, or :class:`CampaignError` when it was never published."""
    row = await db.get(Campaign, campaign_id)
    if row is None:
        raise CampaignError(f"kampanye {campaign_id} belum diterbitkan / campaign {campaign_id} was never published")
    return row


async def listed(db: AsyncSession) -> list[Campaign]:
    """Every published campaign, by id."""
    return list((await db.scalars(select(Campaign).order_by(Campaign.id))).all())


async def change_status(db: AsyncSession, campaign_id: str, action: str, actor: str, now: datetime) -> int:
    """``pause``, ``resume`` or ``cancel`` the campaign; returns how many planned reminders a
    cancel marked ``cancelled`` (0 otherwise)."""
    target, allowed = TRANSITIONS[action]
    row = await get(db, campaign_id)
    if row.status not in allowed:
        raise CampaignError(f"kampanye {campaign_id} berstatus {row.status}, tidak bisa {action} / "
                            f"campaign {campaign_id} is {row.status}; cannot {action} it")
    previous, row.status, row.updated_at = row.status, target, now
    cancelled = 0
    if target == CANCELLED:
        result = await db.execute(
            update(Reminder).where(Reminder.campaign_id == campaign_id, Reminder.status == "planned")
            .values(status="cancelled", reason="campaign_cancelled", updated_at=now))
        cancelled = result.rowcount or 0  # type: ignore[attr-defined]
    audit(db, actor, f"campaign_{action}", f"campaign:{campaign_id}",
          {"from": previous, "to": target, "reminders_cancelled": cancelled}, now)
    return cancelled
