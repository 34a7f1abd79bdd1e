"""Reminders end to end: a campaign scheduled by the real planner, sent by the real dispatcher and
sender to the fake Telegram and WhatsApp servers, with an injected clock — on SQLite and PostgreSQL.

Voters in Samarinda (WITA), Jakarta (WIB) and Jayapura (WIT) get the H-1 message at 19:00 their
time, in their language, naming their own TPS; the first matching variant wins; no consent, no
message; a STOP between planning and sending wins; quiet hours move a send to the morning; in
masa tenang only neutral variants go; outside WhatsApp's 24-hour window a template goes, or
nothing (with the reason).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from broadcast_seed import TEST_CAMPAIGN, add_contact, add_station
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI
from pydantic import SecretStr
from reminder_rows import statuses
from sqlalchemy import update
from test_broadcast_planning import JAKARTA, JAYAPURA, SAMARINDA
from test_dispatch import TOKEN, WA_PHONE, WA_TOKEN, dispatch_until, settled

from flows.campaigns import parse_campaign

from bot.broadcasts.campaigns import plan_settings, publish
from bot.broadcasts.dispatcher import Dispatcher
from bot.broadcasts.leases import channel_credentials
from bot.broadcasts.planner import schedule
from bot.channels import telegram, whatsapp
from bot.channels.messaging import start_bot, telegram_limits, whatsapp_limits
from bot.delivery.sender import Sender
from bot.settings import Settings
from bot.storage.models import Contact, Message

PLANNED = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)  # a week before voting day (27 November 2024)
#: The planning tests' campaign, with a first variant for first-time voters (a WhatsApp template).
FIRST_TIME = """\
      - segment: 'first_time_voter = yes'
        neutral: yes
        text:
          id: "Besok pertama kali memilih! TPS {tps.number}, {tps.address}."
          en: "Tomorrow you vote for the first time! TPS {tps.number}, {tps.address}."
          fallback: {id: "Besok pertama kali memilih!", en: "Tomorrow you vote for the first time!"}
        whatsapp_template:
          name: h1_pemula
          language: id
          parameters: ["{tps.number}", "{tps.address}"]
          fallback: {name: h1_pemula_tanpa_tps, language: id, parameters: ["{zone}"]}
"""
JOBS = "      - segment: 'issue = jobs'\n"
CAMPAIGN = TEST_CAMPAIGN.format(voting_day="2024-11-27").replace(JOBS, FIRST_TIME + JOBS)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 11, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    """The fakes, the settings pointing at them, a sender and a dispatcher on an injected clock."""

    settings: Settings
    tg: FakeBotAPI
    wa: FakeGraphAPI
    dispatcher: Dispatcher
    clock: list[datetime]
    sessions: Any

    async def plan(self, **deployment: str) -> None:
        """Publish and schedule the campaign at ``PLANNED``, with deployment settings changed."""
        campaign, problems = parse_campaign(CAMPAIGN, "pilkada-uji.yml")
        assert campaign is not None, problems
        rules = plan_settings(self.settings.model_copy(update=deployment), campaign)
        async with self.sessions() as db:
            version = (await publish(db, campaign, CAMPAIGN, "lead", PLANNED)).version_id
            await db.commit()
            await schedule(db, campaign, version, PLANNED, rules)

    async def send_at(self, moment: datetime, settled_rows: int, states: tuple[str, ...] = ("sent",)) -> None:
        """Run the dispatcher at ``moment`` until ``settled_rows`` reminders are in ``states``."""
        self.clock[0] = moment
        await dispatch_until(self.dispatcher, settled(self.sessions, settled_rows, states))

    async def idle_at(self, moment: datetime, rounds: int = 3) -> None:
        """A few dispatcher rounds at ``moment`` (for checking that nothing is due yet)."""
        self.clock[0] = moment
        for _ in range(rounds):
            await self.dispatcher.keep_leases()
            await self.dispatcher.step()

    def telegram_texts(self) -> dict[int, list[str]]:
        texts: dict[int, list[str]] = {}
        for call in self.tg.sent():
            texts.setdefault(int(call["chat_id"]), []).append(call["text"])
        return texts


@pytest.fixture
async def world(settings: Settings, sessions: Any) -> AsyncIterator[World]:
    tg, wa = FakeBotAPI(TOKEN), FakeGraphAPI(WA_TOKEN, WA_PHONE)
    await tg.start()
    await wa.start()
    settings = settings.model_copy(update={
        "telegram_token": SecretStr(TOKEN), "telegram_api_url": tg.base_url,
        "whatsapp_token": SecretStr(WA_TOKEN), "whatsapp_app_secret": SecretStr("app-secret"),
        "whatsapp_verify_token": SecretStr("verify"), "whatsapp_phone_number_id": WA_PHONE,
        "whatsapp_api_url": wa.url})
    clock = [PLANNED]
    try:
        async with _sender(settings, sessions, lambda: clock[0]) as sender:
            dispatcher = Dispatcher(sessions, sender, channel_credentials(settings), clock=lambda: clock[0],
                                    lease_timeout=15, batch_size=20, idle_wait=0.05)
            yield World(settings, tg, wa, dispatcher, clock, sessions)
    finally:
        await tg.close()
        await wa.close()


@asynccontextmanager
async def _sender(settings: Settings, sessions: Any, clock: Callable[[], datetime]) -> AsyncIterator[Sender]:
    bot = await start_bot(settings)
    async with aiohttp.ClientSession() as http:
        sender = Sender(sessions, [telegram.TelegramTransport(bot, telegram_limits(settings)),
                                   whatsapp.WhatsAppTransport(settings, whatsapp_limits(settings), http)], clock=clock)
        try:
            yield sender
        finally:
            await sender.close()
            await bot.shutdown()


async def _voters(world: World, **people: dict[str, Any]) -> dict[str, int]:
    """Contacts by name (``add_contact`` options), in villages with one TPS each."""
    async with world.sessions() as db:
        add_station(db, SAMARINDA, 7, "Jl. Juanda No. 1", "Air Hitam")
        add_station(db, JAKARTA, 3, "Jl. Kramat Raya 5", "Senen")
        add_station(db, JAYAPURA, 12, "Jl. Koti 9", "Imbi")
        ids = {name: await add_contact(db, **options) for name, options in people.items()}
        await db.commit()
    return ids


async def test_each_zone_gets_h1_at_19_local_in_its_language_naming_its_own_tps(world: World) -> None:
    ids = await _voters(
        world,
        samarinda={"region": SAMARINDA, "external_id": "7001", "last_seen_at": PLANNED},
        jakarta={"region": JAKARTA, "language": "en", "external_id": "7002", "last_seen_at": PLANNED},
        jayapura={"region": JAYAPURA, "external_id": "7003", "last_seen_at": PLANNED})
    await world.plan(masa_tenang="2024-11-01")

    await world.idle_at(utc(26, 9, 59))  # 18:59 WIT: nobody yet
    assert world.tg.sent() == []
    await world.send_at(utc(26, 10, 0), 1)  # 19:00 WIT
    assert world.telegram_texts() == {
        7003: ["Besok, Rabu, 27 November 2024, memilih di TPS 12, Jl. Koti 9. Buka 07.00–13.00 WIT."]}
    await world.send_at(utc(26, 11, 0), 2)  # 19:00 WITA
    assert world.telegram_texts()[7001] == [
        "Besok, Rabu, 27 November 2024, memilih di TPS 7, Jl. Juanda No. 1. Buka 07.00–13.00 WITA."]
    await world.idle_at(utc(26, 11, 59))
    assert 7002 not in world.telegram_texts()
    await world.send_at(utc(26, 12, 0), 3)  # 19:00 WIB
    assert world.telegram_texts()[7002] == [
        "Tomorrow, Wednesday, 27 November 2024, vote at TPS 3, Jl. Kramat Raya 5. Open 07:00–13:00 WIB."]
    assert set(await statuses(world.sessions)) == set(ids.values())


async def test_first_matching_variant_consent_and_a_stop_after_planning(world: World) -> None:
    seen = {"region": JAKARTA, "last_seen_at": PLANNED}
    ids = await _voters(
        world,
        both={**seen, "external_id": "7101", "signals": {"first_time_voter": ["yes"], "issue": ["jobs"]}},
        jobs={**seen, "external_id": "7102", "signals": {"issue": ["jobs"]}},
        plain={**seen, "external_id": "7103"},
        no_consent={**seen, "external_id": "7104", "consent": None},
        stops={**seen, "external_id": "7105"})
    await world.plan(masa_tenang="2024-11-01")  # no masa tenang on H-1 here: every variant may go
    async with world.sessions() as db, db.begin():  # the voter says STOP after planning, before the send
        await db.execute(update(Contact).where(Contact.id == ids["stops"]).values(opted_out=True))

    await world.send_at(utc(26, 12, 0), 4, ("sent", "skipped"))

    assert world.telegram_texts() == {
        7101: ["Besok pertama kali memilih! TPS 3, Jl. Kramat Raya 5."],  # the first match, not "jobs"
        7102: ["Besok pilih yang peduli lapangan kerja! TPS 3."],
        7103: ["Besok, Rabu, 27 November 2024, memilih di TPS 3, Jl. Kramat Raya 5. Buka 07.00–13.00 WIB."]}
    got = await statuses(world.sessions)
    assert got[ids["no_consent"]] == ("skipped", "no_consent")
    assert got[ids["stops"]] == ("skipped", "opted_out")


async def test_quiet_hours_move_the_send_to_the_next_allowed_minute(world: World) -> None:
    await _voters(world, samarinda={"region": SAMARINDA, "external_id": "7201", "last_seen_at": PLANNED})
    await world.plan(quiet_hours="18:00-07:00")  # 19:00 is quiet: 07:00 WITA on voting day instead

    await world.idle_at(utc(26, 11, 0))
    await world.idle_at(utc(26, 22, 59))
    assert world.tg.sent() == []
    await world.send_at(utc(26, 23, 0), 1)  # 07:00 WITA, 27 November
    assert [call["text"] for call in world.tg.sent()] == [
        "Besok, Rabu, 27 November 2024, memilih di TPS 7, Jl. Juanda No. 1. Buka 07.00–13.00 WITA."]


async def test_in_masa_tenang_only_neutral_variants_go(world: World) -> None:
    seen = {"region": JAKARTA, "last_seen_at": PLANNED}
    ids = await _voters(world, first={**seen, "external_id": "7301", "signals": {"first_time_voter": ["yes"]}},
                        jobs={**seen, "external_id": "7302", "signals": {"issue": ["jobs"]}})
    await world.plan()  # the default masa tenang: 24–26 November, H-1 included

    await world.send_at(utc(26, 12, 0), 1)
    await world.idle_at(utc(26, 12, 30))
    assert world.telegram_texts() == {7301: ["Besok pertama kali memilih! TPS 3, Jl. Kramat Raya 5."]}
    assert (await statuses(world.sessions))[ids["jobs"]] == ("held", "masa_tenang")


async def test_outside_the_whatsapp_window_a_template_goes_or_nothing_with_the_reason(world: World) -> None:
    recently, long_ago = utc(26, 8, 0), PLANNED - timedelta(days=30)
    ids = await _voters(
        world,
        wrote_today={"region": JAKARTA, "channels": (("whatsapp", True),), "external_id": "6281300000001",
                     "last_seen_at": recently},
        quiet_first={"region": JAKARTA, "channels": (("whatsapp", True),), "external_id": "6281300000002",
                     "last_seen_at": long_ago, "signals": {"first_time_voter": ["yes"]}},
        quiet_plain={"region": JAKARTA, "channels": (("whatsapp", True),), "external_id": "6281300000003",
                     "last_seen_at": long_ago})
    async with world.sessions() as db, db.begin():  # what the voter wrote this morning opened the window
        db.add(Message(contact_id=ids["wrote_today"], direction="in", channel="whatsapp", text="halo",
                       created_at=recently))
    world.wa.text_message("6281300000001", "halo")
    await world.plan(masa_tenang="2024-11-01")

    await world.send_at(utc(26, 12, 0), 2)

    sent = {call["to"]: call for call in world.wa.sent()}
    assert set(sent) == {"6281300000001", "6281300000002"}
    assert sent["6281300000001"]["type"] == "text"
    assert sent["6281300000001"]["text"]["body"].startswith("Besok, Rabu, 27 November 2024, memilih di TPS 3")
    assert sent["6281300000002"]["type"] == "template"
    assert sent["6281300000002"]["template"]["name"] == "h1_pemula"
    assert [p["text"] for p in sent["6281300000002"]["template"]["components"][0]["parameters"]] == [
        "3", "Jl. Kramat Raya 5"]
    assert (await statuses(world.sessions))[ids["quiet_plain"]] == ("skipped", "whatsapp_window")
    assert world.wa.errors(131047) == 0 and world.wa.errors(130429) == 0
