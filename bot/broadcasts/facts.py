"""Loading :class:`~flows.segments.ContactFacts` for many voters: a few queries per batch of
contacts, batches taken by keyset pagination (``contacts.id > last id``), so memory stays flat
and a million contacts cost a thousand short reads.

How a voter's polling station (TPS) is known — two simple rules, the first that applies:

1. **A stored TPS choice**: a segment signal ``tps`` whose value names an imported station as
   ``"<village code>:<TPS number>"`` (``"64.72.01.1001:12"``); the newest such signal wins.
2. **A village with one TPS**: the voter's region is one village code (``"64.72.01.1001"``) and
   exactly one imported station lies in that village.

Otherwise the TPS is unknown and campaigns use their fallback text. ``has_tps`` in segment
queries follows the same rules (:func:`bot.broadcasts.segment_sql.tps_known`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.segments import ContactFacts, PollingStationFacts
from knowledge import PollingStation

from bot.broadcasts.segment_sql import TPS_SIGNAL, channel_of
from bot.storage.models import Contact, PollingStationRow, ReminderSubscription, SegmentSignal

BATCH_SIZE = 1000


def _contacts() -> Select[Any]:
    """The contact columns the facts need, and the channel: plain rows, no ORM objects (a
    million of those would cost minutes and gigabytes)."""
    return select(Contact.id, Contact.language, Contact.timezone, Contact.region, Contact.source, Contact.consent,
                  Contact.opted_out, Contact.last_seen_at, channel_of().label("channel"))


async def iter_facts(db: AsyncSession, batch_size: int = BATCH_SIZE) -> AsyncIterator[list[ContactFacts]]:
    """The facts of every contact, in id order, ``batch_size`` at a time."""
    after = 0
    while True:
        rows = (await db.execute(_contacts().where(Contact.id > after).order_by(Contact.id).limit(batch_size))).all()
        if not rows:
            return
        yield await _facts(db, rows)
        after = rows[-1].id


async def facts_for(db: AsyncSession, contact_id: int) -> ContactFacts | None:
    """One contact's facts, or ``None`` when there is no such contact."""
    row = (await db.execute(_contacts().where(Contact.id == contact_id))).first()
    return (await _facts(db, [row]))[0] if row else None


async def _facts(db: AsyncSession, contacts: Sequence[Row[Any]]) -> list[ContactFacts]:
    ids = [contact.id for contact in contacts]
    signals: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    choices: dict[int, list[str]] = defaultdict(list)  # tps signal values, newest first
    for contact_id, name, value in await db.execute(
        select(SegmentSignal.contact_id, SegmentSignal.name, SegmentSignal.value)
        .where(SegmentSignal.contact_id.in_(ids)).order_by(SegmentSignal.id.desc())
    ):
        signals[contact_id][name].add(value)
        if name == TPS_SIGNAL:
            choices[contact_id].append(value)
    subscriptions: dict[int, set[str]] = defaultdict(set)
    for contact_id, topic in await db.execute(
        select(ReminderSubscription.contact_id, ReminderSubscription.topic)
        .where(ReminderSubscription.contact_id.in_(ids))
    ):
        subscriptions[contact_id].add(topic)
    villages = {value.rpartition(":")[0] for values in choices.values() for value in values}
    villages |= {contact.region for contact in contacts if contact.region}
    stations = await _stations(db, villages)
    return [
        ContactFacts(
            contact_id=contact.id, language=contact.language, timezone=contact.timezone, channel=contact.channel,
            last_seen_at=contact.last_seen_at, consent=contact.consent, opted_out=bool(contact.opted_out),
            region=contact.region, source=contact.source, subscriptions=frozenset(subscriptions[contact.id]),
            signals={name: frozenset(values) for name, values in signals[contact.id].items()},
            tps=_tps_of(contact, choices[contact.id], stations),
        )
        for contact in contacts
    ]


async def _stations(db: AsyncSession, villages: Iterable[str]) -> dict[str, list[Row[Any]]]:
    """The imported stations of ``villages`` (plain rows), by village code."""
    found: dict[str, list[Row[Any]]] = defaultdict(list)
    wanted = sorted(set(villages))
    if wanted:
        table = PollingStationRow.__table__
        for row in await db.execute(select(*table.columns).where(table.c.village_code.in_(wanted))):
            found[row.village_code].append(row)
    return found


def _tps_of(contact: Row[Any], choices: list[str], stations: dict[str, list[Row[Any]]]) -> PollingStationFacts | None:
    """The module's two rules: the newest stored choice naming a station, else a one-TPS village."""
    for choice in choices:
        village, _, number = choice.rpartition(":")
        for row in stations.get(village, ()):
            if str(row.number) == number:
                return _station_facts(row)
    in_region = stations.get(contact.region or "", [])
    return _station_facts(in_region[0]) if len(in_region) == 1 else None


@lru_cache(maxsize=65536)  # a station serves hundreds of voters; rows are hashable tuples
def _station_facts(row: Row[Any]) -> PollingStationFacts:
    station = PollingStation(row.province_code, row.province, row.regency_code, row.regency, row.district_code,
                             row.district, row.village_code, row.village, row.number, row.address, row.latitude,
                             row.longitude, row.notes)
    return PollingStationFacts(number=station.number, address=station.address, village=station.village,
                               map_url=station.map_link)
