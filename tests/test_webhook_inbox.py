"""Raw webhook bodies are transient (issue 18, items 2 and 6), on SQLite and PostgreSQL, through
the real server and signed webhooks from the fake WhatsApp and Telegram platforms.

A body that cannot be processed is acknowledged and dropped with a counted reason; one whose
processing fails is kept redacted for a bounded number of runs, then becomes a dead letter
without personal data; nothing logs a body or a bound SQL parameter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError, StatementError

from bot.channels.inbox import MAX_ATTEMPTS, redact_body
from bot.channels.whatsapp import sign
from bot.conversation.loop import ConversationLoop, utcnow
from bot.settings import Settings
from flows.privacy import PAYLOAD_ERASE_YES
from bot.storage.engine import create_engine, session_factory
from bot.storage.models import Message, WebhookDeadLetter, WebhookEvent
from bot.telemetry.logs import QUIET, quiet_libraries
from channel_server import Running, running
from dbread import rows
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI

TOKEN, APP_SECRET, VERIFY, PHONE_ID = "EAAG-test-token", "app-secret-for-tests", "verify-me-please", "106540352242922"
TELEGRAM_TOKEN, TELEGRAM_SECRET = "7100200300:AAH" + "x" * 32, "webhook-secret-for-tests-0123"
VOTER, OTHER = "6281234567890", "6285700000001"
NIK, PHONE, EMAIL = "3374012345678901", "0812-3456-7890", "budi@contoh.id"
PERSONAL = f"NIK saya {NIK}, HP {PHONE}, email {EMAIL}"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphAPI]:
    api = FakeGraphAPI(TOKEN, PHONE_ID)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
def configured(settings: Settings, graph: FakeGraphAPI) -> Settings:
    return settings.model_copy(update={
        "whatsapp_token": SecretStr(TOKEN), "whatsapp_app_secret": SecretStr(APP_SECRET),
        "whatsapp_verify_token": SecretStr(VERIFY), "whatsapp_phone_number_id": PHONE_ID,
        "whatsapp_api_url": graph.url,
    })


async def _post(http: ClientSession, server: Running, raw: bytes) -> int:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(APP_SECRET, raw)}
    async with http.post(f"{server.url}/webhooks/whatsapp", data=raw, headers=headers) as response:
        assert "Traceback" not in await response.text()
        return response.status


async def _metric(http: ClientSession, server: Running, prefix: str) -> float:
    async with http.get(f"{server.url}/metrics") as response:
        lines = (await response.text()).splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(prefix))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log line at DEBUG, with the library levels the service sets (production settings),
    and SQLAlchemy's statement log (INFO: each statement and its parameters) switched on besides."""
    caplog.set_level(logging.DEBUG)
    quiet_libraries()
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    yield caplog
    for name in (*QUIET, "sqlalchemy.engine"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _has_personal_data(value: Any) -> bool:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return any(secret in text for secret in (NIK, PHONE, "3456-7890", EMAIL))


async def test_a_crashing_signed_webhook_keeps_no_raw_body_and_ends_as_a_dead_letter(
    configured: Settings, graph: FakeGraphAPI, http: ClientSession, monkeypatch: pytest.MonkeyPatch,
    logs: pytest.LogCaptureFixture,
) -> None:
    handle = ConversationLoop.handle

    async def crash_for_voter(self: ConversationLoop, inbound: Any) -> Any:  # a bug reachable by one body
        if inbound.external_id == VOTER:
            raise RuntimeError(f"crashed on {inbound.text}")
        return await handle(self, inbound)

    monkeypatch.setattr(ConversationLoop, "handle", crash_for_voter)
    async with running(configured) as server:
        assert await _post(http, server, json.dumps(graph.text_message(VOTER, PERSONAL)).encode()) == 200
        await server.settle()
    (kept,) = await rows(configured, WebhookEvent)
    assert kept.attempts == 1 and not _has_personal_data(kept.body)  # kept for a retry, redacted
    assert "[NIK]" in json.dumps(kept.body)

    for restart in range(2, MAX_ATTEMPTS + 1):  # every start proceeds; the event fails again
        async with running(configured) as server:
            await server.settle()
            other = await _post(http, server, json.dumps(graph.text_message(OTHER, "halo")).encode())
            await server.settle()
            assert other == 200 and graph.sent(OTHER), "start-up was held up by the failing event"
            dead = await _metric(http, server, 'suara_webhook_dead_letters_total{channel="whatsapp"')
        assert dead == (1 if restart == MAX_ATTEMPTS else 0)
    assert await rows(configured, WebhookEvent) == []
    (letter,) = await rows(configured, WebhookDeadLetter)
    assert (letter.channel, letter.reason, letter.attempts) == ("whatsapp", "RuntimeError", MAX_ATTEMPTS)
    assert not _has_personal_data({c: getattr(letter, c) for c in ("channel", "reason", "attempts")})
    assert graph.sent(VOTER) == []
    leaks = [line for line in logs.text.splitlines() if _has_personal_data(line)]
    assert not leaks, leaks[:3]

    async with running(configured) as server:  # and nothing is tried again
        await server.settle()
    assert len(await rows(configured, WebhookDeadLetter)) == 1


async def test_hapus_data_removes_the_voters_events_kept_for_a_retry(
    configured: Settings, graph: FakeGraphAPI, http: ClientSession, monkeypatch: pytest.MonkeyPatch,
) -> None:
    handle = ConversationLoop.handle

    async def crash_on_nik(self: ConversationLoop, inbound: Any) -> Any:
        if inbound.text and "NIK" in inbound.text:
            raise RuntimeError("a bug")
        return await handle(self, inbound)

    monkeypatch.setattr(ConversationLoop, "handle", crash_on_nik)
    async with running(configured) as server:
        for payload in (graph.text_message(VOTER, "halo"), graph.text_message(VOTER, PERSONAL)):
            assert await _post(http, server, json.dumps(payload).encode()) == 200
            await server.settle()
        assert len(await rows(configured, WebhookEvent)) == 1  # kept (redacted) for a retry
        for payload in (graph.text_message(VOTER, "HAPUS DATA"), graph.button_reply(VOTER, PAYLOAD_ERASE_YES)):
            assert await _post(http, server, json.dumps(payload).encode()) == 200
            await server.settle()
    assert await rows(configured, WebhookEvent) == []


@pytest.mark.parametrize("message", [
    {"type": "interactive", "interactive": [1, 2]},
    {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": "menu"}},
    {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": {"x": 1}}}},
    {"type": "text", "text": PERSONAL},
    {"type": "text", "text": {"body": ["halo"]}},
    {"type": "button", "button": True},
])
async def test_an_unusable_signed_message_is_acknowledged_dropped_and_counted(
    configured: Settings, graph: FakeGraphAPI, http: ClientSession, message: dict[str, Any],
    logs: pytest.LogCaptureFixture,
) -> None:
    payload = graph.text_message(VOTER, "halo")
    inner = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    inner.pop("text")
    inner.update(message)
    async with running(configured) as server:
        assert await _post(http, server, json.dumps(payload).encode()) == 200
        await server.settle()
        assert await _metric(http, server, 'suara_webhook_events_dropped_total{channel="whatsapp"') == 1
    assert await rows(configured, WebhookEvent) == [] and await rows(configured, WebhookDeadLetter) == []
    assert await rows(configured, Message) == []
    assert "Traceback" not in logs.text and not _has_personal_data(logs.text)


@pytest.mark.parametrize("raw", [
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": '
    b'{"messages": [{"from": "6281234567890", "id": "wamid.1", "type": "text", "text": {"body": "NIK '
    + NIK.encode() + b'"}, "timestamp": NaN}]}}]}]}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": '
    b'{"messages": [{"from": "6281234567890", "id": "wamid.\\u0000' + NIK.encode() + b'", "type": "text"}]}}]}]}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": '
    b'{"messages": [{"from": "\\u0000' + NIK.encode() + b'", "id": "wamid.2", "type": "text"}]}}]}]}',
])
async def test_a_signed_body_the_database_would_refuse_is_dropped_and_logs_nothing_of_it(
    configured: Settings, http: ClientSession, raw: bytes, logs: pytest.LogCaptureFixture,
) -> None:
    async with running(configured) as server:
        assert await _post(http, server, raw) == 200
        await server.settle()
        assert await _metric(http, server, "suara_webhook_events_dropped_total") == 1
    assert await rows(configured, WebhookEvent) == []
    assert NIK not in logs.text and "Traceback" not in logs.text


async def test_a_failed_statement_never_shows_its_parameters(
    settings: Settings, logs: pytest.LogCaptureFixture
) -> None:
    """What SQLAlchemy would log or raise with the values in: a duplicate key, a NaN in JSON."""
    engine = create_engine(settings)
    sessions = session_factory(engine)

    def event(body: dict[str, Any]) -> WebhookEvent:
        return WebhookEvent(channel="whatsapp", event_id="wamid.dup", key=VOTER, body=body, received_at=utcnow())

    try:
        async with sessions() as db, db.begin():
            db.add(event({"text": PERSONAL}))
        for body in ({"text": PERSONAL}, {"text": PERSONAL, "n": float("nan")}):
            with pytest.raises((IntegrityError, StatementError, ValueError)) as failed:
                async with sessions() as db, db.begin():
                    db.add(event(body))
            logging.getLogger("suara.test").exception("insert_failed")
            assert not _has_personal_data(str(failed.value))
    finally:
        await engine.dispose()
    assert not _has_personal_data(logs.text)


def test_a_body_kept_for_retry_keeps_its_ids_and_loses_the_voters_data() -> None:
    payload = FakeGraphAPI(TOKEN, PHONE_ID).text_message(VOTER, PERSONAL)
    redacted = redact_body(payload)
    message = redacted["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["from"] == VOTER and message["id"].startswith("wamid.")
    assert message["text"]["body"] == "NIK saya [NIK], HP [TELEPON], email [EMAIL]"
    update = FakeBotAPI(TELEGRAM_TOKEN).text_update(4242, PERSONAL)
    assert redact_body(update)["message"]["chat"]["id"] == 4242
    assert not _has_personal_data(redact_body(update))


@pytest.mark.parametrize("message", [
    {"chat": None}, {"text": True}, {"date": 99999999999999999}, {"chat": {"id": "\u0000", "type": "private"}},
    {"chat": {"id": 2**70, "type": "private"}}, {"location": {"latitude": "north", "longitude": None}},
])
async def test_an_odd_signed_telegram_update_is_acknowledged_and_nothing_kept(
    settings: Settings, http: ClientSession, message: dict[str, Any], logs: pytest.LogCaptureFixture,
) -> None:
    fake = FakeBotAPI(TELEGRAM_TOKEN)
    await fake.start()
    try:
        configured = settings.model_copy(update={
            "telegram_token": SecretStr(TELEGRAM_TOKEN), "telegram_webhook_secret": SecretStr(TELEGRAM_SECRET),
            "telegram_api_url": fake.base_url})
        update = fake.text_update(4242, PERSONAL)
        update["message"].update(message)
        async with running(configured) as server:
            async with http.post(f"{server.url}/webhooks/telegram/7100200300", json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}) as response:
                assert response.status == 200
            await server.settle()
    finally:
        await fake.close()
    assert await rows(configured, WebhookEvent) == [] and await rows(configured, WebhookDeadLetter) == []
    assert "Traceback" not in logs.text and NIK not in logs.text
