"""Voters and polling stations written straight into the database, for the broadcast tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ChannelIdentity, Contact, Message, PollingStationRow, ReminderSubscription, SegmentSignal

T0 = datetime(2024, 11, 1, tzinfo=UTC)


async def add_contact(
    db: AsyncSession,
    *,
    language: str = "id",
    timezone: str = "Asia/Jakarta",
    region: str | None = None,
    source: str | None = None,
    consent: bool | None = True,
    opted_out: bool = False,
    last_seen_at: datetime = T0,
    channels: Iterable[tuple[str, bool]] = (("telegram", True),),
    signals: Mapping[str, Iterable[str]] | None = None,
    subscriptions: Iterable[str] = ("voting_day",),
    evidence: str | None = None,
    external_id: str | None = None,
) -> int:
    """A contact with its identities (channel, reachable), signals and subscriptions; its id.

    With ``evidence``, the contact's message with that text is stored and every signal points to it.
    ``external_id`` is the first identity's chat id (a platform's numeric id; default ``<id>-0``)."""
    contact = Contact(language=language, timezone=timezone, region=region, source=source, consent=consent,
                      opted_out=opted_out, needs_human=False, created_at=T0, last_seen_at=last_seen_at)
    db.add(contact)
    await db.flush()
    for number, (channel, reachable) in enumerate(channels):
        chat = external_id if external_id is not None and number == 0 else f"{contact.id}-{number}"
        db.add(ChannelIdentity(contact_id=contact.id, channel=channel, external_id=chat,
                               created_at=T0, unreachable_at=None if reachable else T0))
    message_id = None
    if evidence is not None:
        message = Message(contact_id=contact.id, direction="in", channel="telegram", text=evidence, created_at=T0)
        db.add(message)
        await db.flush()
        message_id = message.id
    for name, values in (signals or {}).items():
        for value in values:
            db.add(SegmentSignal(contact_id=contact.id, name=name, value=value, confidence=0.9,
                                 evidence=evidence or f"{name}={value}", evidence_message_id=message_id,
                                 source="rule:test", created_at=T0))
    for topic in subscriptions:
        db.add(ReminderSubscription(contact_id=contact.id, topic=topic, created_at=T0))
    await db.flush()
    return contact.id


def add_station(db: AsyncSession, village_code: str, number: int, address: str, village: str) -> None:
    """An imported polling station in ``village_code``."""
    province, regency, district = (".".join(village_code.split(".")[:n]) for n in (1, 2, 3))
    db.add(PollingStationRow(province_code=province, province="P", regency_code=regency, regency="R",
                             district_code=district, district="D", village_code=village_code, village=village,
                             number=number, address=address, latitude=-0.5, longitude=117.1, notes="test",
                             imported_at=T0))


#: A campaign with one event (H-1 at 19:00 local), a jobs variant and a neutral default, with
#: fallbacks for voters whose TPS is unknown; ``.format(voting_day=...)`` fills the date.
TEST_CAMPAIGN = """\
id: pilkada-uji
title: {{id: "Pengingat uji", en: "Test reminders"}}
topic: voting_day
election:
  voting_day: {voting_day}
missing_tps: fallback
events:
  - id: h-1
    offset_days: -1
    at: "19:00"
    variants:
      - segment: 'issue = jobs'
        text:
          id: "Besok pilih yang peduli lapangan kerja! TPS {{tps.number}}."
          en: "Tomorrow vote for jobs! TPS {{tps.number}}."
          fallback: {{id: "Besok pilih yang peduli lapangan kerja!", en: "Tomorrow vote for jobs!"}}
      - default: yes
        neutral: yes
        text:
          id: "Besok, {{voting_day}}, memilih di TPS {{tps.number}}, {{tps.address}}. Buka {{hours}} {{zone}}."
          en: "Tomorrow, {{voting_day}}, vote at TPS {{tps.number}}, {{tps.address}}. Open {{hours}} {{zone}}."
          fallback:
            id: "Besok memilih. TPS buka {{hours}} {{zone}}."
            en: "Tomorrow you vote. Polling stations open {{hours}} {{zone}}."
"""
