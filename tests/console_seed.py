"""Voters, messages, consent records and reminders written straight into the database, for the
console's contacts, reminders and dashboard tests (on top of ``broadcast_seed.add_contact``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from tests.console_client import Staff, make_account
from bot.storage.campaign_models import Campaign, CampaignVersion, Reminder
from bot.storage.engine import create_engine, session_factory
from bot.storage.models import AuditEntry, ConsentRecord, Message, UnansweredQuestion

HOSTILE = ["<script>window.__pwned = 1</script>", "<img src=x onerror=\"window.__pwned = 1\">",
           '<a href="javascript:window.__pwned=1">klik</a>', "tps saya \u202egnp.exe di mana"]


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test database; commits when the block ends without an error."""
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            yield db
            await db.commit()
    finally:
        await engine.dispose()


def add_messages(db: AsyncSession, contact_id: int, texts: Iterable[str], now: datetime, *, direction: str = "in",
                 channel: str = "telegram", answer_id: str | None = None,
                 buttons: list[dict[str, str]] | None = None, kind: str | None = None) -> None:
    """Messages as the loop stores them (``kind``: what a bot reply was; ``None`` as in old rows)."""
    for text in texts:
        db.add(Message(contact_id=contact_id, direction=direction, channel=channel, text=text, answer_id=answer_id,
                       buttons=buttons, kind=kind, created_at=now))


def add_consent(db: AsyncSession, contact_id: int, action: str, now: datetime) -> None:
    db.add(ConsentRecord(contact_id=contact_id, action=action, scope="signals", text_version="v-test",
                         channel="telegram", recorded_at=now))


def add_unanswered(db: AsyncSession, contact_id: int, question: str, now: datetime, kind: str | None = None,
                   candidates: list[dict[str, object]] | None = None) -> None:
    """A queued question (``kind`` abstained / clarified; ``None`` as in rows from before kinds)."""
    db.add(UnansweredQuestion(contact_id=contact_id, question=question, status="open", created_at=now, kind=kind,
                              candidates=candidates or [{"entry_id": "tentang-bot", "score": 0.4}]))


def add_opt_out(db: AsyncSession, contact_id: int, now: datetime) -> None:
    db.add(AuditEntry(actor=f"contact:{contact_id}", action="opt_out", subject=f"contact:{contact_id}",
                      detail={"channel": "telegram"}, created_at=now))


async def add_campaign_rows(db: AsyncSession, campaign_id: str, statuses: Iterable[tuple[int, str]], now: datetime,
                            *, event_id: str = "h-1", variant: int = 0) -> None:
    """A published campaign (unless it exists) with one reminder per (contact, status)."""
    if await db.get(Campaign, campaign_id) is None:
        version = CampaignVersion(campaign_id=campaign_id, version="0" * 64, file=f"{campaign_id}.yml", source="",
                                  author="test", published_at=now)
        db.add(version)
        await db.flush()
        db.add(Campaign(id=campaign_id, status="active", version_id=version.id, created_at=now, updated_at=now))
    version_id = (await db.get(Campaign, campaign_id)).version_id  # type: ignore[union-attr]
    for contact_id, status in statuses:
        sent = now if status in ("sent", "delivered", "read") else None
        db.add(Reminder(idempotency_key=f"{campaign_id}:{event_id}:{contact_id}", campaign_id=campaign_id,
                        version_id=version_id, event_id=event_id, variant=variant, contact_id=contact_id,
                        channel="telegram", language="id", zone="WIB", due_at=now, status=status,
                        reason="no_consent" if status == "skipped" else None, text="Besok memilih.",
                        sent_at=sent, created_at=now, updated_at=now))
    await db.flush()


async def count(settings: Settings, model: type, *where: object) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def signed_in(server: str, settings: Settings, role: str) -> Staff:
    """A new account ``<role>@suara.test`` with that role, signed in."""
    await make_account(settings, f"{role}@suara.test", role)
    client = Staff(server)
    assert (await client.login(f"{role}@suara.test")).status == 302
    return client


def signed_in_as(role: str):  # noqa: ANN201 - a pytest fixture
    """A fixture: a new ``role`` account signed in on the ``server`` fixture, closed afterwards."""

    @pytest.fixture
    async def staff(server: str, settings: Settings) -> AsyncIterator[Staff]:
        client = await signed_in(server, settings, role)
        yield client
        await client.close()

    return staff
