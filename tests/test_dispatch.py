"""The reminder dispatcher against the fake Telegram and WhatsApp servers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from dbread import rows
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI
from pydantic import SecretStr
from reminder_rows import add_campaign, add_reminders, add_voters, statuses
from sqlalchemy import update

from bot.broadcasts.dispatcher import Dispatcher
from bot.broadcasts.leases import Leases, channel_credentials
from bot.channels import telegram, whatsapp
from bot.channels.inbox import Inbox
from bot.channels.messaging import start_bot, telegram_limits, whatsapp_limits
from bot.delivery.sender import Sender
from bot.settings import Settings
from bot.telemetry.metrics import Metrics
from bot.storage.campaign_models import Campaign, Reminder
from bot.storage.models import Contact, OutboxMessage

TOKEN = "123456789:AAtest-token-for-the-dispatcher-tests"
WA_TOKEN, WA_PHONE = "EAAG-dispatch-token", "106540352242922"
TEMPLATE = {"name": "pengingat_pemilu", "language": "id", "parameters": ["Minggu, 27 Oktober", "TPS 012"]}


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def tg() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI(TOKEN)
    await api.start()
    yield api
    await api.close()


def telegram_settings(settings: Settings, fake: FakeBotAPI) -> Settings:
    return settings.model_copy(update={"telegram_token": SecretStr(TOKEN), "telegram_api_url": fake.base_url})


@asynccontextmanager
async def telegram_sender(settings: Settings, sessions: Any, clock: Callable[[], datetime] = now) -> AsyncIterator[Sender]:
    bot = await start_bot(settings)
    sender = Sender(sessions, [telegram.TelegramTransport(bot, telegram_limits(settings))], clock=clock)
    try:
        yield sender
    finally:
        await sender.close()
        await bot.shutdown()


def dispatcher(sessions: Any, sender: Sender, settings: Settings, **options: Any) -> Dispatcher:
    options = {"clock": now, "lease_timeout": 15, "batch_size": 20, "idle_wait": 0.05, **options}
    return Dispatcher(sessions, sender, channel_credentials(settings), **options)


async def dispatch_until(d: Dispatcher, done: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """Run ``d`` until ``done()`` holds (or fail after ``timeout``), then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not await done():
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task


def settled(sessions: Any, count: int, states: tuple[str, ...] = ("sent",)) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return sum(1 for status, _ in (await statuses(sessions)).values() if status in states) >= count
    return check


async def test_due_reminders_go_once_each_within_the_rate_and_a_later_one_waits(
    settings: Settings, sessions: Any, tg: FakeBotAPI
) -> None:
    settings = telegram_settings(settings, tg)
    version = await add_campaign(sessions, "pilkada")
    due = await add_voters(sessions, "telegram", [str(1000 + n) for n in range(45)])
    later = await add_voters(sessions, "telegram", ["5000"])
    await add_reminders(sessions, "pilkada", version, "telegram", due, due_at=now() - timedelta(minutes=1))
    await add_reminders(sessions, "pilkada", version, "telegram", later, due_at=now() + timedelta(hours=1))

    async with telegram_sender(settings, sessions) as sender:
        await dispatch_until(dispatcher(sessions, sender, settings), settled(sessions, 45))

    texts = [call["text"] for call in tg.sent()]
    assert sorted(texts) == sorted(f"Besok hari pemungutan suara. #{cid}" for cid in due)  # each once
    assert tg.count("sendMessage", 429) == 0
    assert (await statuses(sessions))[later[0]] == ("planned", None)
    outbox = await rows(settings, OutboxMessage)
    assert {o.idempotency_key for o in outbox} == {f"pilkada:h-1:{cid}:0" for cid in due}
    assert {o.priority for o in outbox} == {10}
    reminders = await rows(settings, Reminder)
    assert all(r.sent_at and r.claimed_by is None for r in reminders if r.status == "sent")


async def test_a_stop_or_withdrawn_consent_after_planning_wins(settings: Settings, sessions: Any, tg: FakeBotAPI) -> None:
    settings = telegram_settings(settings, tg)
    version = await add_campaign(sessions, "pilkada")
    stopped, withdrawn, stays = await add_voters(sessions, "telegram", ["11", "12", "13"])
    await add_reminders(sessions, "pilkada", version, "telegram", [stopped, withdrawn, stays], due_at=now())
    async with sessions() as db, db.begin():  # the voter said STOP after the rows were planned
        await db.execute(update(Contact).where(Contact.id == stopped).values(opted_out=True))
        await db.execute(update(Contact).where(Contact.id == withdrawn).values(consent=False))

    async with telegram_sender(settings, sessions) as sender:
        await dispatch_until(dispatcher(sessions, sender, settings), settled(sessions, 3, ("sent", "skipped")))

    assert await statuses(sessions) == {stopped: ("skipped", "opted_out"), withdrawn: ("skipped", "no_consent"),
                                        stays: ("sent", None)}
    assert [int(call["chat_id"]) for call in tg.sent()] == [13]


async def test_a_paused_campaign_waits_until_resumed_and_a_cancelled_one_never_sends(
    settings: Settings, sessions: Any, tg: FakeBotAPI
) -> None:
    settings = telegram_settings(settings, tg)
    paused, cancelled = await add_campaign(sessions, "paused", "paused"), await add_campaign(sessions, "gone", "cancelled")
    waiting = await add_voters(sessions, "telegram", ["21", "22"])
    never = await add_voters(sessions, "telegram", ["31", "32"])
    await add_reminders(sessions, "paused", paused, "telegram", waiting, due_at=now())
    await add_reminders(sessions, "gone", cancelled, "telegram", never, due_at=now())

    async with telegram_sender(settings, sessions) as sender:
        d = dispatcher(sessions, sender, settings)
        for _ in range(5):
            await d.keep_leases()
            await d.step()
        assert tg.sent() == []
        assert {status for status, _ in (await statuses(sessions)).values()} == {"planned"}

        async with sessions() as db, db.begin():  # resume
            await db.execute(update(Campaign).where(Campaign.id == "paused").values(status="active"))
        await dispatch_until(d, settled(sessions, 2))

    assert sorted(int(call["chat_id"]) for call in tg.sent()) == [21, 22]
    assert {cid: status for cid, (status, _) in (await statuses(sessions)).items() if cid in never} == {
        never[0]: "planned", never[1]: "planned"}


async def test_a_campaign_paused_after_the_claim_puts_its_rows_back(settings: Settings, sessions: Any, tg: FakeBotAPI) -> None:
    settings = telegram_settings(settings, tg)
    version = await add_campaign(sessions, "pilkada")
    voters = await add_voters(sessions, "telegram", ["41"])
    await add_reminders(sessions, "pilkada", version, "telegram", voters, due_at=now())
    from bot.broadcasts import claims

    ids = await claims.claim(sessions, "telegram", "me", now() + timedelta(seconds=15), now(), 10)
    async with sessions() as db, db.begin():
        await db.execute(update(Campaign).where(Campaign.id == "pilkada").values(status="paused"))
    [row] = await claims.load(sessions, "telegram", ids)
    outcome = claims.recheck(row)
    assert outcome is not None and outcome.status == "planned"
    await claims.finish(sessions, {row.id: outcome}, now())
    assert await statuses(sessions) == {voters[0]: ("planned", None)}


async def test_a_whatsapp_template_row_goes_as_that_template_and_delivery_reports_reach_the_reminder(
    settings: Settings, sessions: Any, tmp_path: Path
) -> None:
    reports: list[tuple[dict[str, Any], str]] = []
    fake = FakeGraphAPI(WA_TOKEN, WA_PHONE, on_accept=lambda body, wamid: reports.append((body, wamid)))
    await fake.start()
    settings = settings.model_copy(update={
        "whatsapp_token": SecretStr(WA_TOKEN), "whatsapp_app_secret": SecretStr("app-secret"),
        "whatsapp_verify_token": SecretStr("verify"), "whatsapp_phone_number_id": WA_PHONE,
        "whatsapp_api_url": fake.url})
    version = await add_campaign(sessions, "kpu")
    voters = await add_voters(sessions, "whatsapp", ["6281200000001", "6281200000002"])
    await add_reminders(sessions, "kpu", version, "whatsapp", voters, due_at=now(), text="teks", template=TEMPLATE)
    try:
        async with aiohttp.ClientSession() as http:
            sender = Sender(sessions, [whatsapp.WhatsAppTransport(settings, whatsapp_limits(settings), http)], clock=now)
            d = dispatcher(sessions, sender, settings)
            await dispatch_until(d, settled(sessions, 2))
            # Meta's status webhooks, through the channel's own handler: one delivered, one read.
            channel = whatsapp.WhatsAppChannel(settings, None, sender, Inbox(sessions, now, Metrics()), sessions, now,  # type: ignore[arg-type]
                                               whatsapp.TemplateRegistry([]))
            for (body, wamid), state in zip(sorted(reports, key=lambda r: r[0]["to"]), ("delivered", "read")):
                await channel.process({"status": {"id": wamid, "status": state, "recipient_id": body["to"],
                                                  "biz_opaque_callback_data": body["biz_opaque_callback_data"]}})
            await dispatch_until(d, settled(sessions, 1, ("read",)))
            await sender.close()
    finally:
        await fake.close()

    sent = fake.sent()
    assert [call["type"] for call in sent] == ["template", "template"]
    assert sent[0]["template"] == {"name": "pengingat_pemilu", "language": {"code": "id"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "Minggu, 27 Oktober"},
                                        {"type": "text", "text": "TPS 012"}]}]}
    assert fake.errors(130429) == 0
    assert sorted(status for status, _ in (await statuses(sessions)).values()) == ["delivered", "read"]


async def test_one_lease_holder_at_a_time_and_a_takeover_when_it_stops_renewing(settings: Settings, sessions: Any) -> None:
    t = [datetime(2024, 11, 26, 7, tzinfo=UTC)]
    first, second = (Leases(sessions, name, 15, lambda: t[0]) for name in ("first", "second"))
    results = await asyncio.gather(*(lease.hold("telegram:1") for lease in (first, second) for _ in range(5)))
    winners = {name for name, result in zip(["first"] * 5 + ["second"] * 5, results) if result is not None}
    assert len(winners) == 1  # never both
    holder, other = (first, second) if winners == {"first"} else (second, first)

    t[0] += timedelta(seconds=10)
    assert await holder.hold("telegram:1") is not None  # renewed: expires at +25 s now
    t[0] += timedelta(seconds=14)
    assert await other.hold("telegram:1") is None
    t[0] += timedelta(seconds=2)  # the holder stopped renewing and its lease ran out
    assert await other.hold("telegram:1") is not None
    assert await holder.hold("telegram:1") is None
    assert await other.holder_of("telegram:1") == other.holder
    await other.release("telegram:1")
    assert await holder.hold("telegram:1") is not None


async def test_rows_of_a_dead_dispatcher_are_reconciled_through_the_outbox_not_resent(
    settings: Settings, sessions: Any, tg: FakeBotAPI, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("more than one dispatcher needs PostgreSQL")
    settings = telegram_settings(settings, tg)
    t = [now()]
    version = await add_campaign(sessions, "pilkada")
    voters = await add_voters(sessions, "telegram", [str(2000 + n) for n in range(30)])
    await add_reminders(sessions, "pilkada", version, "telegram", voters, due_at=now() - timedelta(minutes=1))

    async with telegram_sender(settings, sessions, lambda: t[0]) as first_sender, \
            telegram_sender(settings, sessions, lambda: t[0]) as second_sender:
        first = dispatcher(sessions, first_sender, settings, clock=lambda: t[0], lease_timeout=5, batch_size=10)
        second = dispatcher(sessions, second_sender, settings, clock=lambda: t[0], lease_timeout=5, batch_size=10)
        for d in (first, second):
            await d.keep_leases()
            await d.step()  # the first claims 10 and hands them to its sender…
        assert first.holds("telegram") and not second.holds("telegram")
        async with asyncio.timeout(10):  # …which sends them (one at a time), and then the first dispatcher dies
            while len(tg.sent()) < 10:
                await asyncio.sleep(0.02)
        await first_sender.drain(timeout=10)
        assert len(tg.sent()) == 10

        t[0] += timedelta(seconds=4)
        await second.keep_leases()
        assert not second.holds("telegram")  # not before the lease runs out
        t[0] += timedelta(seconds=2)
        await second.keep_leases()
        assert second.holds("telegram")
        await second.step()  # it sends rows nobody claimed; the dead one's claims wait one more timeout
        t[0] += timedelta(seconds=6)
        await dispatch_until(second, settled(sessions, 30))

    counts = Counter(call["text"] for call in tg.sent())
    assert len(counts) == 30 and set(counts.values()) == {1}
    assert tg.count("sendMessage", 429) == 0


async def test_telegram_reminders_go_one_at_a_time_so_a_crash_repeats_at_most_one(
    settings: Settings, sessions: Any
) -> None:
    """Telegram has no idempotency key: the next send starts only once the last one is recorded."""
    slow = FakeBotAPI(TOKEN, answer_delay=0.02)  # a 20 ms round trip, so overlapping sends would show
    await slow.start()
    settings = telegram_settings(settings, slow)
    version = await add_campaign(sessions, "pilkada")
    voters = await add_voters(sessions, "telegram", [str(3000 + n) for n in range(25)])
    await add_reminders(sessions, "pilkada", version, "telegram", voters, due_at=now() - timedelta(minutes=1))
    try:
        async with telegram_sender(settings, sessions) as sender:
            await dispatch_until(dispatcher(sessions, sender, settings), settled(sessions, 25))
    finally:
        await slow.close()
    assert len(slow.sent()) == 25
    assert slow.max_in_flight == 1


async def test_a_dispatcher_whose_lease_ran_out_sends_no_more_telegram_reminders(
    settings: Settings, sessions: Any
) -> None:
    slow = FakeBotAPI(TOKEN, answer_delay=0.05)
    await slow.start()
    settings = telegram_settings(settings, slow)
    t = [now()]
    version = await add_campaign(sessions, "pilkada")
    voters = await add_voters(sessions, "telegram", [str(4000 + n) for n in range(20)])
    await add_reminders(sessions, "pilkada", version, "telegram", voters, due_at=now() - timedelta(minutes=1))
    try:
        async with telegram_sender(settings, sessions, lambda: t[0]) as sender:
            d = dispatcher(sessions, sender, settings, clock=lambda: t[0], lease_timeout=5, batch_size=20)
            await d.keep_leases()
            await d.step()  # 20 claimed and queued, going out one at a time…
            while not slow.sent():
                await asyncio.sleep(0.01)
            t[0] += timedelta(seconds=6)  # …when the dispatcher is frozen past its lease
            await asyncio.sleep(0.5)
            stopped_at = len(slow.sent())
            assert stopped_at <= 2  # the one under way at most, then nothing
            await d.step()
            assert Counter(status for status, _ in (await statuses(sessions)).values())["planned"] >= 18
            await dispatch_until(d, settled(sessions, 20))  # holding the lease again, it sends the rest once
    finally:
        await slow.close()
    counts = Counter(call["text"] for call in slow.sent())
    assert len(counts) == 20 and set(counts.values()) == {1}
