"""Bad and unusual input never produces a 500 or a traceback, and is stored safely."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession

from bot.storage.models import Message
from bot.settings import Settings
from dbread import rows
from webchat import WebVoter


async def test_body_over_64_kib_is_refused_with_413(server: str, http: ClientSession) -> None:
    body = {"contact": "c1", "id": "m1", "text": "a" * (65 * 1024)}
    async with http.post(f"{server}/api/web/messages", json=body) as response:
        assert response.status == 413
        assert "terlalu besar" in (await response.json())["error"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"contact": "a b", "id": "1", "text": "x"}', b'{"contact": "a", "id": "1", "text": 5}',
     b'{"contact": "a", "id": "1", "payload": ""}', b'{"contact": "a", "id": "' + b"9" * 65 + b'", "text": "x"}',
     b"[" * 5000, b'{"contact": "a", "id": "1", "text": "x", "n": NaN}', b'{"contact": "a", "id": "1", "x": 1e999}',
     b'{"contact": "a", "id": "1", "location": {"latitude": ' + b"9" * 5000 + b', "longitude": 1}}',
     b"\xff\xfe not utf-8"],
)
async def test_malformed_bodies_get_a_clear_400(server: str, http: ClientSession, body: bytes) -> None:
    async with http.post(f"{server}/api/web/messages", data=body, headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
        error = (await r.json())["error"]
        assert error and "Traceback" not in error


async def test_long_text_is_cut_at_4096_and_the_voter_is_told(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    replies = await voter.say("kata " * 2000)
    assert "4.096" in replies[0]["text"]
    (stored,) = await rows(settings, Message, direction="in")
    assert len(stored.text) == 4096


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "\n\t"])
async def test_empty_messages_get_a_gentle_prompt(server: str, http: ClientSession, text: str) -> None:
    (reply,) = await WebVoter(http, server).say(text)
    assert "kosong" in reply["text"]


@pytest.mark.parametrize(
    "text",
    ["🗳️🇮🇩👍🏽", "مرحبا كيف حالك", "שלום", "jam\u200b berapa\u202e tps buka", "𝔥𝔞𝔩𝔬", "\x00\x07halo", "你好",
     "Ω≈ç√∫", "' OR 1=1; DROP TABLE messages; --"],
)
async def test_any_unicode_is_handled(server: str, http: ClientSession, settings: Settings, text: str) -> None:
    replies = await WebVoter(http, server).say(text)
    assert replies
    assert len(await rows(settings, Message, direction="in")) == 1


async def test_nik_phone_and_email_are_never_stored(server: str, http: ClientSession, settings: Settings) -> None:
    voter = WebVoter(http, server)
    await voter.say("NIK saya 3374 0123 4567 8901, HP 0812-3456-7890 atau +62 21 5550 1234, email budi@contoh.id")
    await voter.say("3374012345678901")
    stored = " ".join(m.text for m in await rows(settings, Message))
    for secret in ("3374", "4567", "8901", "0812", "5550", "budi@contoh.id"):
        assert secret not in stored
    assert "[NIK]" in stored and "[TELEPON]" in stored and "[EMAIL]" in stored


async def test_health_readiness_and_metrics(server: str, http: ClientSession) -> None:
    async with http.get(f"{server}/healthz") as r:
        assert r.status == 200
    async with http.get(f"{server}/readyz") as r:
        assert r.status == 200 and (await r.json())["status"] == "ready"
    await WebVoter(http, server).say("halo")
    async with http.get(f"{server}/metrics") as r:
        body = await r.text()
    assert 'suara_messages_in_total{channel="web"} 1.0' in body
    assert 'suara_messages_out_total{channel="web"} 2.0' in body
    assert "suara_message_seconds_bucket" in body
