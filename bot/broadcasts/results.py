"""How a campaign went, from its reminder rows: per event and variant, how many were planned,
sent, delivered and read, how many voters replied or opted out within 24 hours of their message,
and the failed / skipped / held / cancelled rows by reason.

A row's status moves planned → sending → sent → delivered → read, so "sent" counts every row
that got at least that far. A reply is any message from the voter in the 24 hours after the
reminder was sent; an opt-out is a withdrawal of consent (STOP) in those 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.campaign_models import Reminder
from bot.storage.models import ConsentRecord, Message
from bot.storage.sql_functions import day_later

NOT_SENDING = ("skipped", "held")
OUTCOMES = ("failed", "skipped", "held", "cancelled")
SENT = ("sent", "delivered", "read")
DELIVERED = ("delivered", "read")


@dataclass(frozen=True, slots=True)
class VariantResult:
    event_id: str
    variant: int | None
    planned: int
    sent: int
    delivered: int
    read: int
    replied_24h: int
    opted_out_24h: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """Rows of one event and variant that ended without a message, by status and reason."""

    event_id: str
    variant: int | None
    status: str
    reason: str | None
    count: int


@dataclass(frozen=True, slots=True)
class CampaignResults:
    campaign_id: str
    variants: tuple[VariantResult, ...]
    outcomes: tuple[Outcome, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign_id,
            "variants": [{"event": v.event_id, "variant": v.variant, "planned": v.planned, "sent": v.sent,
                          "delivered": v.delivered, "read": v.read, "replied_24h": v.replied_24h,
                          "opted_out_24h": v.opted_out_24h} for v in self.variants],
            "outcomes": [{"event": o.event_id, "variant": o.variant, "status": o.status, "reason": o.reason,
                          "count": o.count} for o in self.outcomes],
        }


def _within_a_day(column: ColumnElement[Any], contact: ColumnElement[Any]) -> ColumnElement[bool]:
    return and_(contact == Reminder.contact_id, column > Reminder.sent_at, column <= day_later(Reminder.sent_at))


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def results(db: AsyncSession, campaign_id: str) -> CampaignResults:
    """The campaign's numbers (empty when it has no reminder rows yet)."""
    sent = Reminder.status.in_(SENT)
    replied = exists().where(_within_a_day(Message.created_at, Message.contact_id), Message.direction == "in")
    opted_out = exists().where(_within_a_day(ConsentRecord.recorded_at, ConsentRecord.contact_id),
                               ConsentRecord.action == "withdrawn")
    per_variant = await db.execute(
        select(Reminder.event_id, Reminder.variant,
               _count_where(Reminder.status.not_in(NOT_SENDING)), _count_where(sent),
               _count_where(Reminder.status.in_(DELIVERED)), _count_where(Reminder.status == "read"),
               _count_where(and_(sent, replied)), _count_where(and_(sent, opted_out)))
        .where(Reminder.campaign_id == campaign_id)
        .group_by(Reminder.event_id, Reminder.variant)
        .order_by(Reminder.event_id, Reminder.variant)
    )
    outcomes = await db.execute(
        select(Reminder.event_id, Reminder.variant, Reminder.status, Reminder.reason, func.count())
        .where(Reminder.campaign_id == campaign_id, Reminder.status.in_(OUTCOMES))
        .group_by(Reminder.event_id, Reminder.variant, Reminder.status, Reminder.reason)
        .order_by(Reminder.event_id, Reminder.variant, Reminder.status, Reminder.reason)
    )
    return CampaignResults(
        campaign_id,
        tuple(VariantResult(e, v, *(int(n) for n in numbers)) for e, v, *numbers in per_variant),
        tuple(Outcome(e, v, status, reason, int(n)) for e, v, status, reason, n in outcomes),
    )
