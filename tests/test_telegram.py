"""Telegram end to end: the real server and PTB's Bot against the fake Bot API, on both databases."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr

from bot.channels.telegram import MAX_TEXT, GROUP_LINE, TelegramTransport, callback_data
from bot.cli.telegram import run_polling, set_webhook
from bot.storage.models import ChannelIdentity, ConsentRecord, Contact, InboundReceipt, Message, OutboxMessage, WebhookEvent
from bot.conversation.messages import OutboundMessage
from bot.channels.messaging import telegram_limits
from bot.settings import Settings
from channel_server import Running, running
from privacy_drill import privacy_drill
from dbread import rows
from fakes.telegram import FakeBotAPI
from flows import Button

TOKEN = "7100200300:AAH" + "x" * 32
SECRET = "webhook-secret-for-tests-0123"
VOTER, OTHER = 4242, 4343


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI(TOKEN)
    await api.start()
    yield api
    await api.close()


def telegram_settings(settings: Settings, fake: FakeBotAPI, public_url: str = "http://127.0.0.1:1") -> Settings:
    return settings.model_copy(update={
        "telegram_token": SecretStr(TOKEN), "telegram_webhook_secret": SecretStr(SECRET),
        "telegram_api_url": fake.base_url, "public_url": public_url,
    })


@pytest.fixture
async def server(settings: Settings, fake: FakeBotAPI) -> AsyncIterator[Running]:
    async with running(telegram_settings(settings, fake)) as server:
        # What `suara telegram set-webhook` does, with the URL the test server really has.
        await set_webhook(telegram_settings(settings, fake, public_url=server.url))
        yield server


class Voter:
    """A Telegram user in a private chat with the bot."""

    def __init__(self, fake: FakeBotAPI, server: Running, http: ClientSession, chat_id: int = VOTER) -> None:
        self.fake, self.server, self.http, self.chat_id = fake, server, http, chat_id

    async def _push(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self._mine())
        assert await self.fake.push(update, self.http) == 200
        await self.server.settle()
        return self._mine()[before:]

    def _mine(self) -> list[dict[str, Any]]:
        return [m for m in self.fake.delivered if m["chat"]["id"] == self.chat_id]

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self._push(self.fake.text_update(self.chat_id, text))

    async def share_location(self, latitude: float, longitude: float) -> list[dict[str, Any]]:
        return await self._push(self.fake.location_update(self.chat_id, latitude, longitude))

    async def press(self, title: str) -> list[dict[str, Any]]:
        for message in reversed(self._mine()):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == title:
                        update = self.fake.callback_update(self.chat_id, button["callback_data"], message["message_id"])
                        return await self._push(update)
        raise AssertionError(f"no button {title!r} was sent")


def _buttons(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def test_a_voter_greets_uses_the_menu_shares_a_location_and_stops(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    welcome, consent = await voter.say("halo")
    assert "Suara" in welcome["text"] and "Menu bantuan" in _buttons(welcome)
    assert _buttons(consent) == ["Setuju", "Tidak setuju"]

    (menu,) = await voter.press("Menu bantuan")
    assert "Menu bantuan" in menu["text"] and "Hubungi petugas" in _buttons(menu)
    assert fake.count("answerCallbackQuery", 200) == 1, "the button press was not answered"
    (hours,) = await voter.press("Jam buka TPS")
    assert "07.00" in hours["text"]

    await voter.say("cari TPS")
    replies = await voter.share_location(-6.9175, 107.6191)  # central Bandung, where the demo TPS are
    assert any("TPS" in r["text"] and "openstreetmap.org" in r["text"] for r in replies)
    located = await rows(settings, Message, direction="in", channel="telegram")
    assert len(located) == 5 and located[-1].text == "" and located[-1].channel_message_id is not None

    (stopped,) = await voter.say("STOP")
    assert "berhenti berlangganan" in stopped["text"]
    sends = fake.count("sendMessage")
    assert await voter.say("halo?") == []
    assert await voter.press("Jam buka TPS") == []
    assert fake.count("sendMessage") == sends, "something was sent after STOP"
    (contact,) = await rows(settings, Contact)
    assert contact.opted_out
    assert {r.status for r in await rows(settings, OutboxMessage)} == {"sent"}


async def test_a_redelivered_update_gets_one_reply(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    update = fake.text_update(VOTER, "jam berapa tps buka?")
    statuses = await asyncio.gather(*(fake.push(update, http) for _ in range(3)))
    await server.settle()
    assert statuses == [200, 200, 200]
    assert await fake.push(update, http) == 200  # again, after it was processed
    await server.settle()
    assert len(fake.sent(VOTER)) == 1
    assert len(await rows(settings, InboundReceipt, channel="telegram")) == 1
    assert await rows(settings, WebhookEvent) == [], "processed events must not keep the raw update"


@pytest.mark.parametrize("secret", ["", "wrong-secret-wrong-secret"])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings, secret: str
) -> None:
    update = fake.text_update(VOTER, "halo")
    assert await fake.push(update, http, secret=secret) == 401
    await server.settle()
    assert await rows(settings, Message) == [] and await rows(settings, WebhookEvent) == []
    assert fake.sent() == []
    async with http.post(f"{server.url}/webhooks/telegram/999", json=update,
                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        assert response.status == 404  # another bot's path


async def test_retry_after_delays_only_that_chat_and_the_message_still_arrives(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    fake.fail_next(VOTER, 429, retry_after=3)
    await fake.push(fake.text_update(VOTER, "jam berapa tps buka?"), http)
    await fake.push(fake.text_update(OTHER, "jam berapa tps buka?"), http)
    await server.settle()
    delivered = {int(c.params["chat_id"]): c for c in fake.calls if c.method == "sendMessage" and c.status == 200}
    (throttled,) = [c for c in fake.calls if c.status == 429]
    assert delivered[OTHER].at - throttled.at < 2, "the other chat waited for the throttled one"
    assert delivered[VOTER].at - throttled.at >= 2.9, "retry_after was not honoured"
    assert all(r.status == "sent" for r in await rows(settings, OutboxMessage))


async def test_a_blocked_bot_marks_the_voter_unreachable_and_sends_nothing_more(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    await voter.say("jam berapa tps buka?")
    fake.blocked.add(VOTER)
    await voter.say("halo")
    attempts = fake.count("sendMessage")
    (identity,) = await rows(settings, ChannelIdentity, channel="telegram")
    assert identity.unreachable_at is not None
    assert fake.count("sendMessage", 403) == 1, "a 403 must not be retried"
    await voter.say("cara mencoblos?")
    assert fake.count("sendMessage") == attempts, "a message was sent to a voter who blocked the bot"
    failed = [r for r in await rows(settings, OutboxMessage) if r.status == "failed"]
    assert failed and all(r.error.startswith("unreachable") for r in failed)


async def test_groups_get_one_polite_line_and_edits_are_ignored(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    group = -100123
    for text in ("halo bot", "jam berapa tps buka?"):
        await fake.push(fake.text_update(group, text, chat_type="supergroup"), http)
    await fake.push(fake.text_update(VOTER, "halo", edited=True), http)
    await server.settle()
    assert [m["text"] for m in fake.sent(group)] == [GROUP_LINE]
    assert fake.sent(VOTER) == [] and await rows(settings, Message) == []


async def test_a_deep_link_is_stored_as_the_voters_source(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    welcome, *_ = await Voter(fake, server, http).say("/start relawan-jaksel_2026")
    assert "Suara" in welcome["text"]
    (contact,) = await rows(settings, Contact)
    assert contact.source == "relawan-jaksel_2026"


async def test_secrets_never_reach_the_logs(
    fake: FakeBotAPI, http: ClientSession, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(telegram_settings(settings, fake)) as server:
        await set_webhook(telegram_settings(settings, fake, public_url=server.url))
        await Voter(fake, server, http).say("halo")
        await fake.push(fake.text_update(VOTER, "halo"), http, secret="wrong-secret-wrong-secret")
    assert fake.sent(VOTER) and "telegram_bad_secret" in caplog.text
    for secret in (TOKEN.split(":")[1], SECRET):
        assert secret not in caplog.text


async def _poll_one_question(fake: FakeBotAPI, stop: asyncio.Event, polling: asyncio.Task[None]) -> None:
    """Queue a question for ``getUpdates``, wait (up to a minute) for the answer, stop polling."""
    await fake.push(fake.text_update(VOTER, "jam berapa tps buka?"), None)  # type: ignore[arg-type]
    deadline = time.monotonic() + 60
    while not fake.sent(VOTER) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(polling, 20)


async def test_polling_mode_answers_updates_from_get_updates(fake: FakeBotAPI, settings: Settings) -> None:
    fake.webhook = {"url": "http://127.0.0.1:1/old", "secret_token": ""}  # polling must remove it
    stop = asyncio.Event()
    polling = asyncio.create_task(run_polling(telegram_settings(settings, fake), stop))
    while fake.webhook is not None:
        await asyncio.sleep(0.02)
    await _poll_one_question(fake, stop, polling)
    assert fake.webhook is None and fake.count("getUpdates") >= 1
    (answer,) = fake.sent(VOTER)
    assert "07.00" in answer["text"]
    assert [m.direction for m in await rows(settings, Message, channel="telegram")] == ["in", "out"]


@pytest.mark.parametrize("misbehaving", ["answers_at_once_with_nothing", "fails_with_502"])
async def test_polling_backs_off_when_get_updates_answers_at_once(
    fake: FakeBotAPI, settings: Settings, misbehaving: str
) -> None:
    """Without a back-off this loop asked about 550 times a second, at full CPU."""
    if misbehaving == "fails_with_502":
        fake.poll_status = 502
    fake.long_poll = False
    stop = asyncio.Event()
    polling = asyncio.create_task(run_polling(telegram_settings(settings, fake), stop))
    while not fake.count("getUpdates"):
        await asyncio.sleep(0.02)
    await asyncio.sleep(3)  # a few seconds of a server that never holds the poll open
    asked = fake.count("getUpdates")
    fake.poll_status = None
    await _poll_one_question(fake, stop, polling)
    assert asked <= 8, f"{asked} getUpdates calls in about 3 s"
    assert fake.sent(VOTER), "the back-off must not stop updates from being answered"


def test_long_answers_are_split_on_paragraphs_and_buttons_fit_callback_data() -> None:
    transport = TelegramTransport(None, telegram_limits(Settings(_env_file=None)))  # type: ignore[arg-type]
    paragraphs = [f"Paragraf {i}. " + "kata " * 300 for i in range(8)]
    long_payload = "q:" + "sangat-panjang-" * 10
    bodies = transport.render(OutboundMessage("telegram", "1", "\n\n".join(paragraphs),
                                              (Button("Lagi", long_payload), Button("Menu", "menu"))))
    assert len(bodies) > 1 and all(len(b["text"]) <= MAX_TEXT for b in bodies)
    assert all(b["text"].startswith("Paragraf") for b in bodies), "a piece did not start at a paragraph"
    assert "\n\n".join(b["text"] for b in bodies) == "\n\n".join(paragraphs)
    keyboard = bodies[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [callback_data(long_payload), "menu"]
    assert len(callback_data(long_payload).encode()) <= 64 and "reply_markup" not in bodies[0]


async def test_a_long_button_payload_comes_back_whole(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    await voter.say("jam berapa tps buka?")
    (reply,) = await rows(settings, Message, direction="out")
    long_payload = "q:jam-buka-tps" + "#" * 80
    async with server.messaging.sender._sessions() as db, db.begin():  # the reply as if it had carried it
        stored = await db.get(Message, reply.id)
        stored.buttons = [{"title": "Jam", "payload": long_payload}]
    message_id = fake.delivered[-1]["message_id"]
    assert await voter._push(fake.callback_update(VOTER, callback_data(long_payload), message_id))
    assert (await rows(settings, Message, direction="in"))[-1].payload == long_payload


@pytest.mark.parametrize("body", [
    b"[1, 2]", b'{"update_id": "x"}', b'{"update_id": 1, "message": {"chat": "nope"}}', b"[" * 5000,
    b'{"update_id": NaN}', b'{"update_id": 1, "message": {"message_id": 1, "date": 1e999, "chat": {"id": 1}}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 99999999999999999, "chat": {"id": 1, "type": "private"}}}',
    b'{"update_id": 1, "message": null, "callback_query": {"id": null}}',
])
async def test_a_malformed_update_is_acknowledged_dropped_and_nothing_is_stored(
    server: Running, http: ClientSession, settings: Settings, body: bytes
) -> None:
    """Telegram redelivers an update it got no 200 for: an unusable one is answered and counted."""
    async with http.post(f"{server.url}/webhooks/telegram/7100200300", data=body,
                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                  "Content-Type": "application/json"}) as response:
        assert response.status == 200
        assert "Traceback" not in await response.text()
    async with http.get(f"{server.url}/metrics") as response:
        assert 'suara_webhook_events_dropped_total{channel="telegram"' in await response.text()
    assert await rows(settings, WebhookEvent) == []


async def test_a_crash_between_answering_and_sending_is_resumed_with_one_reply(
    fake: FakeBotAPI, http: ClientSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = telegram_settings(settings, fake)
    async with running(configured) as server:
        await set_webhook(telegram_settings(settings, fake, public_url=server.url))

        async def crash(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the process died here")

        monkeypatch.setattr(server.messaging.sender, "send_replies", crash)
        assert await fake.push(fake.text_update(VOTER, "jam berapa tps buka?"), http) == 200
        await server.messaging.inbox.drain(10)
    assert fake.sent(VOTER) == [] and len(await rows(settings, WebhookEvent)) == 1
    assert len(await rows(settings, Message, direction="out")) == 1  # answered, never sent

    async with running(configured) as server:  # the restart resumes the stored update
        await server.settle()
        await set_webhook(telegram_settings(settings, fake, public_url=server.url))
        assert await fake.push(fake.text_update(VOTER, "halo"), http) == 200  # and goes on normally
        await server.settle()
    texts = [m["text"] for m in fake.sent(VOTER)]
    assert len(texts) == 3 and "07.00" in texts[0] and "Suara" in texts[1]
    assert await rows(settings, WebhookEvent) == []


async def test_a_typed_yes_to_the_consent_question_is_recorded(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings
) -> None:
    voter = Voter(fake, server, http)
    await voter.say("/start")
    (thanks,) = await voter.say("ya boleh")
    assert "persetujuan Anda kami catat" in thanks["text"]
    (record,) = await rows(settings, ConsentRecord)
    assert (record.action, record.channel) == ("granted", "telegram")


async def test_privacy_drill_hapus_data_is_confirmed_and_leaves_no_identifier_written(
    server: Running, fake: FakeBotAPI, http: ClientSession, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    voter = Voter(fake, server, http)
    replies = await privacy_drill(voter.say, settings, caplog)
    assert any("sudah dihapus" in r["text"] for r in replies), replies
