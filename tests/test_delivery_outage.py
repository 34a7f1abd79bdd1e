"""The fault tests of issue 18: the real server against the fake platforms while they are down.

The long outage (60 s, ``SUARA_TEST_OUTAGE_SECONDS``) runs once, on SQLite; PostgreSQL runs
the same traffic through a 5-second outage, so the file stays near 90 s of wall time. The
sender's backoff is shortened (0.2 s doubling to at most 2 s) so recovery after the outage is
quick; the production defaults are 0.5 s doubling to 60 s.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr

from bot.cli.telegram import set_webhook
from bot.settings import Settings
from bot.storage.campaign_models import Reminder
from bot.storage.engine import create_engine, session_factory
from bot.storage.models import ChannelIdentity, Message, OutboxMessage
from channel_server import Running, running
from dbread import rows
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI
from reminder_rows import add_campaign, add_reminders
from test_telegram import TOKEN, telegram_settings
from test_whatsapp import APP_SECRET, PHONE_ID, VERIFY
from test_whatsapp import TOKEN as WA_TOKEN

LONG_OUTAGE = float(os.environ.get("SUARA_TEST_OUTAGE_SECONDS", "60"))
SHORT_OUTAGE = 5.0
FAST_RETRIES = {"send_backoff_seconds": 0.2, "send_backoff_cap_seconds": 2.0}
QUESTIONS = ("halo", "jam berapa tps buka?", "apa itu DPT?")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI(TOKEN, chat_burst=10)
    await api.start()
    yield api
    await api.close()


def _telegram(settings: Settings, fake: FakeBotAPI, **update: Any) -> Settings:
    return telegram_settings(settings, fake).model_copy(update={**FAST_RETRIES, **update})


async def _set_webhook(fake: FakeBotAPI, server: Running, settings: Settings) -> None:
    """What ``suara telegram set-webhook`` does, with the URL the test server really has."""
    await set_webhook(telegram_settings(settings, fake, public_url=server.url))


async def _out_messages_per_chat(settings: Settings, channel: str) -> Counter[str]:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            found = await db.execute(
                Message.__table__.select().with_only_columns(ChannelIdentity.external_id)
                .join_from(Message, ChannelIdentity, ChannelIdentity.contact_id == Message.contact_id)
                .where(Message.direction == "out", ChannelIdentity.channel == channel))
            return Counter(str(external_id) for (external_id,) in found)
    finally:
        await engine.dispose()


async def test_every_reply_given_during_an_outage_arrives_exactly_once_afterwards(
    fake: FakeBotAPI, http: ClientSession, settings: Settings, database_url: str
) -> None:
    outage = LONG_OUTAGE if settings.database_url.startswith("sqlite") else SHORT_OUTAGE
    voters = list(range(7001, 7011))
    async with running(_telegram(settings, fake)) as server:
        await _set_webhook(fake, server, settings)
        fake.outage(outage)
        for question in QUESTIONS:  # traffic spread over the outage
            for chat in voters:
                assert await fake.push(fake.text_update(chat, question), http) == 200
            await asyncio.sleep(outage / (len(QUESTIONS) + 1))
        await server.settle(timeout=outage + 60)
    assert fake.refused > 0, "the outage must have refused sends"
    delivered = Counter(str(m["chat"]["id"]) for m in fake.delivered)
    answered = await _out_messages_per_chat(settings, "telegram")
    assert set(answered) == {str(chat) for chat in voters}
    assert delivered == answered, "every stored reply arrives, once"
    assert {row.status for row in await rows(settings, OutboxMessage)} == {"sent"}


async def test_a_reply_that_outlives_its_lifetime_in_an_outage_is_dropped_and_counted(
    fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    async with running(_telegram(settings, fake, reply_lifetime_seconds=1)) as server:
        await _set_webhook(fake, server, settings)
        fake.outage(3)
        assert await fake.push(fake.text_update(7100, "jam berapa tps buka?"), http) == 200
        await server.settle(timeout=30)
        assert fake.delivered == []
        (row,) = await rows(settings, OutboxMessage)
        assert row.status == "failed" and row.error.startswith("expired")
        async with http.get(f"{server.url}/metrics") as response:
            metrics = await response.text()
        assert 'suara_sends_dropped_total{channel="telegram",reason="expired"} 1.0' in metrics
        while fake.down:
            await asyncio.sleep(0.1)
        assert await fake.push(fake.text_update(7100, "halo"), http) == 200
        await server.settle(timeout=30)
    assert fake.delivered and all("07.00" not in m["text"] for m in fake.delivered), "never sent late"


async def test_stop_cancels_queued_replies_and_planned_reminders_at_once(
    fake: FakeBotAPI, http: ClientSession, settings: Settings, sessions: Any
) -> None:
    chat = 7200
    async with running(_telegram(settings, fake)) as server:
        await _set_webhook(fake, server, settings)
        fake.outage(3)
        assert await fake.push(fake.text_update(chat, "jam berapa tps buka?"), http) == 200
        await server.messaging.inbox.drain(10)  # answered and queued; the platform is down
        (identity,) = await rows(settings, ChannelIdentity)
        version = await add_campaign(sessions, "pemilu")
        await add_reminders(sessions, "pemilu", version, "telegram", [identity.contact_id],
                            due_at=datetime.now(UTC) + timedelta(hours=1))
        assert await fake.push(fake.text_update(chat, "STOP"), http) == 200
        await server.messaging.inbox.drain(10)
        # Recorded in STOP's own transaction, before anything could be sent.
        (answer, confirmation) = await rows(settings, OutboxMessage)
        assert answer.status == "failed" and answer.error.startswith("opted_out")
        (reminder,) = await rows(settings, Reminder)
        assert (reminder.status, reminder.reason) == ("skipped", "opted_out")
        await server.settle(timeout=30)
    texts = [m["text"] for m in fake.delivered]
    assert len(texts) == 1 and "07.00" not in texts[0], texts  # only the STOP confirmation


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphAPI]:
    api = FakeGraphAPI(WA_TOKEN, PHONE_ID)
    await api.start()
    yield api
    await api.close()


def _whatsapp(settings: Settings, graph: FakeGraphAPI, **update: Any) -> Settings:
    return settings.model_copy(update={
        "whatsapp_token": SecretStr(WA_TOKEN), "whatsapp_app_secret": SecretStr(APP_SECRET),
        "whatsapp_verify_token": SecretStr(VERIFY), "whatsapp_phone_number_id": PHONE_ID,
        "whatsapp_api_url": graph.url, **FAST_RETRIES, **update,
    })


async def test_whatsapp_replies_through_an_outage_arrive_exactly_once(
    graph: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    voters = [f"62812000000{n:02d}" for n in range(8)]
    async with running(_whatsapp(settings, graph)) as server:
        graph.outage(SHORT_OUTAGE)
        for question in QUESTIONS[:2]:
            for wa_id in voters:
                payload = graph.text_message(wa_id, question)
                assert await graph.post_webhook(http, f"{server.url}/webhooks/whatsapp", payload, APP_SECRET) == 200
            await asyncio.sleep(SHORT_OUTAGE / 3)
        await server.settle(timeout=SHORT_OUTAGE + 60)
    assert graph.refused > 0
    assert Counter(str(body["to"]) for body in graph.sent()) == await _out_messages_per_chat(settings, "whatsapp")
    keys = [body["biz_opaque_callback_data"] for body in graph.sent()]
    assert len(keys) == len(set(keys)), "no reply sent twice"


async def test_after_a_crash_whatsapp_settles_an_accepted_send_by_its_status_not_a_resend(
    graph: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    configured = _whatsapp(settings, graph, whatsapp_reconcile_seconds=2)
    graph.lose_answers = True  # Meta accepts the reply; the process dies before the answer arrives
    async with running(configured) as server:
        payload = graph.text_message("6281234500001", "jam berapa tps buka?")
        assert await graph.post_webhook(http, f"{server.url}/webhooks/whatsapp", payload, APP_SECRET) == 200
        while not graph.sent():
            await asyncio.sleep(0.05)
    (accepted,) = graph.sent()
    assert {row.status for row in await rows(settings, OutboxMessage)} == {"pending"}

    graph.lose_answers = False
    async with running(configured) as server:  # the restart; Meta's status webhook comes meanwhile
        status = graph.status(accepted, next(c.extra["wamid"] for c in graph.calls if "wamid" in c.extra), "sent")
        assert await graph.post_webhook(http, f"{server.url}/webhooks/whatsapp", status, APP_SECRET) == 200
        await server.settle(timeout=30)
    assert graph.sent() == [accepted], "sent once: the status report settled it"
    (row,) = await rows(settings, OutboxMessage)
    assert row.status == "sent"
