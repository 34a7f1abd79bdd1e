"""The dispatcher's queries over ``reminders``: claim, re-check, settle, copy delivery reports.

Claims use ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite ignores the clause; it
supports one dispatcher). Every state change is one ``UPDATE … WHERE id IN (…)`` per outcome,
guarded by the state it leaves, so a late or repeated write changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.campaign_models import Campaign, Reminder
from bot.storage.models import ChannelIdentity, Contact, OutboxMessage

Sessions = async_sessionmaker[AsyncSession]
_CHUNK = 500  # ids per IN (…): well under every driver's parameter limit


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed reminder with what the re-check and the send need."""

    id: int
    key: str
    external_id: str | None
    text: str | None
    template: dict[str, Any] | None
    consent: bool | None
    opted_out: bool
    campaign_status: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a reminder ends (or goes back to): status, reason, and whether it was sent now."""

    status: str
    reason: str | None = None


async def claim(
    sessions: Sessions, channel: str, holder: str, until: datetime, now: datetime, limit: int, *,
    abandoned_before: datetime | None = None,
) -> list[int]:
    """Claim up to ``limit`` reminders of ``channel`` for ``holder`` until ``until``; return their ids.

    By default: due ``planned`` rows of active campaigns, oldest first. With ``abandoned_before``:
    ``sending`` rows whose claim ran out before then (their dispatcher died); the caller
    reconciles them through the outbox before anything is sent again.
    """
    if limit <= 0:
        return []
    query = select(Reminder.id).where(Reminder.channel == channel)
    if abandoned_before is not None:
        query = query.where(Reminder.status == "sending", Reminder.claimed_until < abandoned_before)
    else:
        query = (query.join(Campaign, Campaign.id == Reminder.campaign_id)
                 .where(Reminder.status == "planned", Reminder.due_at <= now, Campaign.status == "active")
                 .order_by(Reminder.due_at, Reminder.id))
    async with sessions() as db, db.begin():
        ids = list((await db.scalars(query.limit(limit).with_for_update(skip_locked=True, of=Reminder))).all())
        if ids:
            await db.execute(update(Reminder).where(Reminder.id.in_(ids))
                             .values(status="sending", claimed_by=holder, claimed_until=until, updated_at=now))
    return ids


async def extend(sessions: Sessions, channel: str, holder: str, until: datetime) -> None:
    """Keep ``holder``'s claims on ``channel`` alive as long as its lease.

    Rows locked right now are skipped: only this holder touches its claims, so a locked one is
    being settled by this holder's :func:`finish` — waiting for it instead, with both updating
    the same rows in different orders, is how PostgreSQL deadlocks.
    """
    mine = (select(Reminder.id)
            .where(Reminder.status == "sending", Reminder.channel == channel, Reminder.claimed_by == holder)
            .with_for_update(skip_locked=True))
    async with sessions() as db, db.begin():
        await db.execute(update(Reminder).where(Reminder.id.in_(mine.scalar_subquery())).values(claimed_until=until))


async def load(sessions: Sessions, channel: str, ids: Sequence[int]) -> list[Claimed]:
    """The claimed rows with the voter's consent, STOP, chat id and the campaign's status, read now."""
    found: list[Claimed] = []
    async with sessions() as db:
        for chunk in _chunks(ids):
            rows = await db.execute(
                select(Reminder.id, Reminder.idempotency_key, ChannelIdentity.external_id, Reminder.text,
                       Reminder.template, Contact.consent, Contact.opted_out, Campaign.status)
                .join(Contact, Contact.id == Reminder.contact_id)
                .outerjoin(Campaign, Campaign.id == Reminder.campaign_id)
                .outerjoin(ChannelIdentity, and_(ChannelIdentity.contact_id == Reminder.contact_id,
                                                 ChannelIdentity.channel == channel))
                .where(Reminder.id.in_(chunk))
            )
            found += [Claimed(*row) for row in rows]
    return found


def recheck(row: Claimed) -> Outcome | None:
    """What stops a claimed reminder just before it is sent, or ``None`` when it may go.

    A STOP or a withdrawn consent after planning wins (``skipped``); a paused campaign's row goes
    back to ``planned`` to wait for resume; a cancelled campaign's row never goes.
    """
    if row.campaign_status == "paused":
        return Outcome("planned")
    if row.campaign_status != "active":
        return Outcome("cancelled", "campaign_cancelled")
    if row.opted_out:
        return Outcome("skipped", "opted_out")
    if row.consent is not True:
        return Outcome("skipped", "no_consent")
    if row.external_id is None:
        return Outcome("failed", "unreachable")
    if not row.text and not row.template:
        return Outcome("failed", "empty")
    return None


async def finish(sessions: Sessions, outcomes: dict[int, Outcome], now: datetime) -> None:
    """Move ``sending`` reminders to their outcomes: one ``UPDATE`` per (status, reason)."""
    groups: dict[Outcome, list[int]] = defaultdict(list)
    for reminder_id, outcome in outcomes.items():
        groups[outcome].append(reminder_id)
    if not groups:
        return
    async with sessions() as db, db.begin():
        for outcome, ids in groups.items():
            values: dict[str, Any] = {"status": outcome.status, "reason": outcome.reason, "claimed_by": None,
                                      "claimed_until": None, "updated_at": now}
            if outcome.status == "sent":
                values["sent_at"] = now
            for chunk in _chunks(ids):
                await db.execute(update(Reminder).where(Reminder.id.in_(chunk), Reminder.status == "sending")
                                 .values(**values))


async def outbox_states(sessions: Sessions, keys: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """``{key: (status, error)}`` for the outbox rows with ``keys`` that exist."""
    states: dict[str, tuple[str, str | None]] = {}
    async with sessions() as db:
        for chunk in _chunks(list(keys)):
            rows = await db.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status, OutboxMessage.error)
                                    .where(OutboxMessage.idempotency_key.in_(chunk)))
            states.update({key: (status, error) for key, status, error in rows})
    return states


def send_outcome(states: Sequence[tuple[str, str | None]]) -> Outcome | None:
    """A reminder's outcome from its outbox rows' states, or ``None`` while one is pending."""
    if any(status == "pending" for status, _ in states):
        return None
    errors = [error or "" for status, error in states if status == "failed"]
    if not errors:
        return Outcome("sent")
    if errors[0].startswith("unreachable"):
        return Outcome("failed", "unreachable")
    if errors[0].startswith(("opted_out", "no_consent")):  # the sender's last check before the send
        return Outcome("skipped", errors[0].split(":", 1)[0])
    if errors[0].startswith("expired"):
        return Outcome("failed", "expired")
    if "24-hour" in errors[0] or "template" in errors[0]:
        return Outcome("failed", "whatsapp_window")
    return Outcome("failed", "send_failed")


async def copy_delivery_reports(sessions: Sessions, channel: str, now: datetime, limit: int = 1000) -> int:
    """Copy ``delivered``/``read``/``failed`` from the outbox (status webhooks) onto sent reminders."""
    report = OutboxMessage.delivery_status
    async with sessions() as db, db.begin():
        rows = (await db.execute(
            select(Reminder.id, report)
            .join(OutboxMessage, OutboxMessage.idempotency_key == Reminder.idempotency_key + ":0")
            .where(Reminder.channel == channel, or_(
                and_(Reminder.status == "sent", report.in_(("delivered", "read", "failed"))),
                and_(Reminder.status == "delivered", report == "read")))
            .limit(limit)
        )).all()
        by_state: dict[str, list[int]] = defaultdict(list)
        for reminder_id, state in rows:
            by_state[state].append(reminder_id)
        for state, ids in by_state.items():
            values: dict[str, Any] = {"status": state, "updated_at": now}
            if state == "failed":
                values["reason"] = "undeliverable"
            else:
                values[f"{state}_at"] = now
            await db.execute(update(Reminder).where(Reminder.id.in_(ids)).values(**values))
    return len(rows)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
