"""WhatsApp end to end: the real server against the fake Graph API, signed webhooks, both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr

from bot.channels.whatsapp import render
from bot.storage.models import ChannelIdentity, ConsentRecord, Contact, InboundReceipt, Message, OutboxMessage, WebhookEvent
from bot.conversation.messages import OutboundMessage
from bot.delivery.sender import TemplateRequired
from bot.settings import Settings
from channel_server import Running, running
from privacy_drill import privacy_drill
from dbread import rows
from fakes.whatsapp import FakeGraphAPI
from flows import Button

TOKEN, APP_SECRET, VERIFY = "EAAG-test-token", "app-secret-for-tests", "verify-me-please"
PHONE_ID = "106540352242922"
VOTER, OTHER = "6281234567890", "6285700000001"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGraphAPI]:
    api = FakeGraphAPI(TOKEN, PHONE_ID)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def server(settings: Settings, fake: FakeGraphAPI, tmp_path: Path) -> AsyncIterator[Running]:
    templates = tmp_path / "templates.yml"
    templates.write_text("- {name: pengingat_pemilu, language: id, parameters: 2}\n", encoding="utf-8")
    configured = settings.model_copy(update={
        "whatsapp_token": SecretStr(TOKEN), "whatsapp_app_secret": SecretStr(APP_SECRET),
        "whatsapp_verify_token": SecretStr(VERIFY), "whatsapp_phone_number_id": PHONE_ID,
        "whatsapp_api_url": fake.url, "whatsapp_templates_file": templates,
    })
    async with running(configured) as server:
        yield server


class Voter:
    def __init__(self, fake: FakeGraphAPI, server: Running, http: ClientSession, wa_id: str = VOTER) -> None:
        self.fake, self.server, self.http, self.wa_id = fake, server, http, wa_id

    async def send(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.fake.sent(self.wa_id))
        status = await self.fake.post_webhook(self.http, f"{self.server.url}/webhooks/whatsapp", payload, APP_SECRET)
        assert status == 200
        await self.server.settle()
        return self.fake.sent(self.wa_id)[before:]

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self.send(self.fake.text_message(self.wa_id, text))


def _choices(body: dict[str, Any]) -> list[tuple[str, str]]:
    action = body["interactive"]["action"]
    if body["interactive"]["type"] == "button":
        return [(b["reply"]["title"], b["reply"]["id"]) for b in action["buttons"]]
    return [(r["title"], r["id"]) for s in action["sections"] for r in s["rows"]]


async def test_the_subscription_handshake_needs_the_verify_token(server: Running, http: ClientSession) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    async with http.get(f"{server.url}/webhooks/whatsapp", params=query) as response:
        assert response.status == 200 and await response.text() == "1158201444"
    async with http.get(f"{server.url}/webhooks/whatsapp", params={**query, "hub.verify_token": "nope"}) as response:
        assert response.status == 403


async def test_a_voter_greets_uses_the_menu_shares_a_location_and_stops(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    welcome, consent = await voter.say("halo")
    assert welcome["interactive"]["type"] == "list" and "Suara" in welcome["interactive"]["body"]["text"]
    assert ("Menu bantuan", "menu") in _choices(welcome)
    assert consent["interactive"]["type"] == "button"
    assert [t for t, _ in _choices(consent)] == ["Setuju", "Tidak setuju"]

    (menu,) = await voter.send(fake.list_reply(VOTER, "menu", "Menu bantuan"))
    assert "Cari TPS saya" in dict(_choices(menu))
    hours = dict(_choices(welcome))["Jam buka TPS"]
    (answer,) = await voter.send(fake.button_reply(VOTER, hours, "Jam buka TPS"))
    assert answer["type"] == "text" and "07.00" in answer["text"]["body"]

    await voter.say("cari TPS")
    replies = await voter.send(fake.location_message(VOTER, -6.9175, 107.6191))  # where the demo TPS are
    assert any(r["type"] == "text" and "openstreetmap.org" in r["text"]["body"] for r in replies)
    stored = await rows(settings, Message, direction="in", channel="whatsapp")
    assert len(stored) == 5 and stored[-1].channel_message_id.startswith("wamid.in")

    (stopped,) = await voter.say("STOP")
    assert "berhenti berlangganan" in stopped["text"]["body"]
    calls = len(fake.calls)
    assert await voter.say("halo?") == []
    assert await voter.send(fake.button_reply(VOTER, hours)) == []
    assert len(fake.calls) == calls, "something was sent after STOP"
    assert (await rows(settings, Contact))[0].opted_out
    assert fake.errors(130429) == fake.errors(131056) == 0


async def test_a_redelivered_webhook_gets_one_reply(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    payload = fake.text_message(VOTER, "jam berapa tps buka?")
    url = f"{server.url}/webhooks/whatsapp"
    statuses = await asyncio.gather(*(fake.post_webhook(http, url, payload, APP_SECRET) for _ in range(3)))
    await server.settle()
    assert statuses == [200, 200, 200]
    assert await fake.post_webhook(http, url, payload, APP_SECRET) == 200
    await server.settle()
    assert len(fake.sent(VOTER)) == 1
    assert len(await rows(settings, InboundReceipt, channel="whatsapp")) == 1


async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    url = f"{server.url}/webhooks/whatsapp"
    payload = fake.text_message(VOTER, "halo")
    assert await fake.post_webhook(http, url, payload, "not-the-app-secret") == 401
    async with http.post(url, json=payload) as response:  # no signature at all
        assert response.status == 401
    await server.settle()
    assert await rows(settings, Message) == [] and await rows(settings, WebhookEvent) == []
    assert fake.calls == []


async def test_throttling_delays_only_that_voter_and_the_message_still_arrives(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    fake.fail_next(VOTER, 131056)  # pair rate limit: this voter only
    await asyncio.gather(Voter(fake, server, http).say("jam berapa tps buka?"),
                         Voter(fake, server, http, OTHER).say("jam berapa tps buka?"))
    assert len(fake.sent(OTHER)) == 1 and len(fake.sent(VOTER)) == 1
    throttled = next(c for c in fake.calls if c.extra.get("code") == 131056)
    delivered = next(c for c in fake.calls if c.status == 200 and c.params["to"] == VOTER)
    other = next(c for c in fake.calls if c.status == 200 and c.params["to"] == OTHER)
    assert other.at - throttled.at < 3, "the other voter waited for the throttled one"
    assert delivered.at - throttled.at >= 5.9
    assert {r.status for r in await rows(settings, OutboxMessage)} == {"sent"}


async def test_an_undeliverable_number_is_marked_unreachable_and_gets_nothing_more(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    fake.undeliverable.add(VOTER)
    await voter.say("jam berapa tps buka?")
    (identity,) = await rows(settings, ChannelIdentity, channel="whatsapp")
    assert identity.unreachable_at is not None
    attempts = len(fake.calls)
    await voter.say("halo")
    assert len(fake.calls) == attempts and fake.errors(131026) == 1


async def test_outside_the_24_hour_window_only_templates_are_sent(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    (reply,) = await voter.say("jam berapa tps buka?")
    sender, channel = server.messaging.sender, server.messaging.whatsapp
    assert channel is not None
    async with sender._sessions() as db, db.begin():  # the voter last wrote two days ago
        for message in (await rows(settings, Message, direction="in")):
            (await db.get(Message, message.id)).created_at -= timedelta(days=2)
    with pytest.raises(TemplateRequired, match="only an approved template"):
        await sender.send_replies([OutboundMessage("whatsapp", VOTER, "Jangan lupa memilih besok!")])
    with pytest.raises(TemplateRequired, match="not in the registry"):
        await channel.send_template(VOTER, "promo_bebas", [], key="reminder-x")
    fake.last_inbound[VOTER] = 0  # the platform agrees the window is closed
    await channel.send_template(VOTER, "pengingat_pemilu", ["Budi", "TPS 012"], key="reminder-1")
    await sender.drain(10)
    template = fake.sent(VOTER)[-1]
    assert template["type"] == "template" and template["template"]["name"] == "pengingat_pemilu"
    assert [p["text"] for p in template["template"]["components"][0]["parameters"]] == ["Budi", "TPS 012"]


async def test_delivery_statuses_are_stored(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    (sent,) = await voter.say("jam berapa tps buka?")
    (row,) = await rows(settings, OutboxMessage)
    for state in ("sent", "delivered", "read"):
        await voter.send(fake.status(sent, row.platform_message_id, state))
        assert (await rows(settings, OutboxMessage))[0].delivery_status == state
    await voter.send(fake.status(sent, row.platform_message_id, "failed", error_code=131026))
    (row,) = await rows(settings, OutboxMessage)
    assert row.delivery_status == "failed" and row.delivery_error.startswith("131026")
    assert (await rows(settings, ChannelIdentity))[0].unreachable_at is not None


async def test_a_numbered_menu_is_answered_with_a_number(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    await voter.say("halo")
    async with server.messaging.sender._sessions() as db, db.begin():  # a menu too big for a list
        last = (await rows(settings, Message, direction="out"))[-1]
        (await db.get(Message, last.id)).buttons = [
            {"title": f"Topik {n}", "payload": "q:jam-buka-tps" if n == 12 else "menu"} for n in range(1, 13)]
    (answer,) = await voter.say("12")
    assert "07.00" in answer["text"]["body"]


def test_menus_become_buttons_lists_or_numbered_text() -> None:
    def buttons(n: int, title: str = "Pilihan") -> tuple[Button, ...]:
        return tuple(Button(f"{title} {i}", f"p{i}") for i in range(1, n + 1))

    assert render(OutboundMessage("whatsapp", VOTER, "Pilih:", buttons(3)))[0]["interactive"]["type"] == "button"
    assert render(OutboundMessage("whatsapp", VOTER, "Pilih:", buttons(3, "Judul panjang sekali")))[0][
        "interactive"]["type"] == "list"
    assert render(OutboundMessage("whatsapp", VOTER, "Pilih:", buttons(10)))[0]["interactive"]["type"] == "list"
    (numbered,) = render(OutboundMessage("whatsapp", VOTER, "Pilih:", buttons(11)))
    assert numbered["type"] == "text" and "11. Pilihan 11" in numbered["text"]["body"]
    long = render(OutboundMessage("whatsapp", VOTER, "kata " * 2000))
    assert len(long) == 3 and all(len(b["text"]["body"]) <= 4096 for b in long)


async def test_hostile_but_signed_payloads_do_no_harm(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    from bot.channels.whatsapp import sign

    url = f"{server.url}/webhooks/whatsapp"
    for raw in (b"not json", b"[]", b'{"object": "page"}', b"[" * 5000, b'{"object": NaN}', b'{"entry": 1e999}',
                b'{"object": "whatsapp_business_account", "entry": [{"changes": 5}]}'):
        async with http.post(url, data=raw, headers={"X-Hub-Signature-256": sign(APP_SECRET, raw)}) as response:
            # acknowledged, or Meta would redeliver it for days; dropped and counted
            assert response.status == 200 and "Traceback" not in await response.text()
    garbage = fake.location_message(VOTER, 0, 0)
    garbage["entry"][0]["changes"][0]["value"]["messages"][0]["location"] = {"latitude": "north", "longitude": None}
    await Voter(fake, server, http).send(garbage)
    assert len(await rows(settings, Message, direction="in")) == 1  # stored, understood as nothing
    assert await rows(settings, WebhookEvent) == []


def test_whatsapp_needs_all_four_credentials() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="SUARA_WHATSAPP_APP_SECRET"):
        load_settings(whatsapp_token="EAAG", _env_file=None)
    assert not load_settings(_env_file=None).whatsapp_enabled


async def test_the_consent_question_is_answered_with_its_number(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    for wa_id, number, action in ((VOTER, "1", "granted"), (OTHER, "2", "refused")):
        voter = Voter(fake, server, http, wa_id)
        asked = await voter.say("halo")
        assert ("Setuju", "consent:yes") in [c for m in asked if m["type"] == "interactive" for c in _choices(m)]
        (confirmation,) = await voter.say(number)
        expected = "persetujuan Anda kami catat" if action == "granted" else "tidak akan menyimpan"
        assert expected in confirmation["text"]["body"]
    assert sorted(r.action for r in await rows(settings, ConsentRecord)) == ["granted", "refused"]


async def test_a_typed_no_to_the_consent_question_is_recorded(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    await voter.say("halo")
    (confirmation,) = await voter.say("gak mau ah, ga usah simpen2 data sy")
    assert "tidak akan menyimpan" in confirmation["text"]["body"]
    (record,) = await rows(settings, ConsentRecord)
    assert (record.action, record.channel) == ("refused", "whatsapp")


async def test_privacy_drill_hapus_data_is_confirmed_and_leaves_no_identifier_written(
    server: Running, fake: FakeGraphAPI, http: ClientSession, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    voter = Voter(fake, server, http)
    replies = await privacy_drill(voter.say, settings, caplog)
    assert any("sudah dihapus" in r["text"]["body"] for r in replies if r["type"] == "text"), replies
