"""The numbers behind the dashboard, each one query (or a few) over the last days, in UTC days.

The shares come from the kind stored with every bot reply (``messages.kind``, one of
``flows.REPLY_KINDS``): an *answer* is an ``answer`` or a hoax ``correction``, a
*clarification* a ``clarify``, an *abstention* a ``not_known``, an acknowledged concern an
``acknowledge``. Replies stored before kinds were (``NULL``) are not counted. Opt-outs are the
STOP audit entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nlu.regions import region_by_code

from bot.broadcasts.campaigns import listed
from bot.broadcasts.results import results
from bot.storage.models import AuditEntry, Contact, Message, SegmentSignal, UnansweredQuestion
from bot.storage.sql_functions import utc_day

TOP = 10
WINDOWS = (7, 30, 90)
FUNNEL = ("planned", "sent", "delivered", "read", "replied_24h")
#: Each share of the outcomes chart and the reply kinds it counts.
OUTCOME_KINDS = {"answered": ("answer", "correction"), "clarified": ("clarify",), "abstained": ("not_known",)}
CONCERN_KIND = "acknowledge"


@dataclass(frozen=True, slots=True)
class Window:
    """The days shown: ``days`` UTC days ending today."""

    since: datetime
    days: tuple[str, ...]


def window(now: datetime, days: int) -> Window:
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    return Window(datetime.combine(first, datetime.min.time(), UTC),
                  tuple((first + timedelta(days=n)).isoformat() for n in range(days)))


async def messages_per_day(db: AsyncSession, since: datetime) -> dict[str, dict[str, int]]:
    """Messages (in and out) per channel per UTC day."""
    day = utc_day(Message.created_at)
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for channel, when, count in await db.execute(
        select(Message.channel, day, func.count()).where(Message.created_at >= since).group_by(Message.channel, day)
    ):
        found[channel][when] = int(count)
    return dict(sorted(found.items()))


async def reply_kinds(db: AsyncSession, since: datetime) -> dict[str, int]:
    """Bot replies by their stored kind (replies without one left out)."""
    rows = await db.execute(select(Message.kind, func.count()).where(
        Message.direction == "out", Message.created_at >= since, Message.kind.is_not(None)).group_by(Message.kind))
    return {kind: int(count) for kind, count in rows}


async def outcomes(db: AsyncSession, since: datetime) -> dict[str, int]:
    """How many replies answered, asked which entry was meant, or abstained."""
    found = await reply_kinds(db, since)
    return {share: sum(found.get(kind, 0) for kind in kinds) for share, kinds in OUTCOME_KINDS.items()}


async def top_questions(db: AsyncSession, since: datetime, limit: int = TOP) -> list[tuple[str, int]]:
    """The messages voters typed most often (button presses left out), already redacted."""
    count = func.count().label("n")
    rows = await db.execute(
        select(Message.text, count)
        .where(Message.direction == "in", Message.payload.is_(None), Message.text != "", Message.created_at >= since)
        .group_by(Message.text).order_by(count.desc(), Message.text).limit(limit))
    return [(text, int(n)) for text, n in rows]


async def top_unanswered(db: AsyncSession, since: datetime, limit: int = TOP) -> list[tuple[str, int]]:
    """The questions the bot abstained or clarified on most often (the unanswered queue's rows)."""
    count = func.count().label("n")
    rows = await db.execute(
        select(UnansweredQuestion.question, count).where(UnansweredQuestion.created_at >= since)
        .group_by(UnansweredQuestion.question).order_by(count.desc(), UnansweredQuestion.question).limit(limit))
    return [(text, int(n)) for text, n in rows]


async def signals_by_region(db: AsyncSession) -> dict[str, dict[str, int]]:
    """Recorded signals (as kept now) by the voter's province and signal name; "?" for no region."""
    province = func.substr(func.coalesce(Contact.region, ""), 1, 2)
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for code, name, count in await db.execute(
        select(province, SegmentSignal.name, func.count())
        .join(Contact, Contact.id == SegmentSignal.contact_id).group_by(province, SegmentSignal.name)
    ):
        found[province_name(code)][name] = found[province_name(code)].get(name, 0) + int(count)
    return dict(sorted(found.items(), key=lambda item: -sum(item[1].values())))


def province_name(code: str | None) -> str:
    region = region_by_code(code) if code else None
    return region.name if region else (code or "?")


async def opt_outs_per_day(db: AsyncSession, since: datetime) -> dict[str, int]:
    """STOPs per UTC day (the audit entry every STOP writes)."""
    day = utc_day(AuditEntry.created_at)
    rows = await db.execute(select(day, func.count()).where(AuditEntry.action == "opt_out",
                                                            AuditEntry.created_at >= since).group_by(day))
    return {when: int(count) for when, count in rows}


async def concerns(db: AsyncSession, since: datetime) -> int:
    """Concerns the bot acknowledged (noted with consent, or heard without)."""
    return (await reply_kinds(db, since)).get(CONCERN_KIND, 0)


async def funnel(db: AsyncSession) -> dict[str, int]:
    """Every campaign's reminders: planned → sent → delivered → read → replied within 24 h."""
    totals = dict.fromkeys(FUNNEL, 0)
    for campaign in await listed(db):
        for variant in (await results(db, campaign.id)).variants:
            for stage in FUNNEL:
                totals[stage] += getattr(variant, stage)
    return totals


def per_day(counts: dict[str, int], days: tuple[str, ...]) -> list[int]:
    """``counts`` by day as a list over ``days`` (0 for a day without any)."""
    return [counts.get(day, 0) for day in days]
