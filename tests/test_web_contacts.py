"""Issue 18 item 7: the web chat's contact id is issued by the server and nothing else is
accepted, and each client address has a token bucket over the web chat API."""

from __future__ import annotations

import asyncio
import base64
import uuid

import pytest
from aiohttp import ClientSession

from bot.channels.web_limits import AddressLimiter, client_address
from bot.settings import Settings
from bot.storage.models import Contact, SegmentSignal
from channel_server import running
from dbread import rows
from webchat import WebVoter, issued_contact

PROFILED = "sy pemilih pemula, ktp kukar tp kerja di bpn"


async def _post(http: ClientSession, base: str, contact: str, text: str) -> tuple[int, dict]:
    async with http.post(f"{base}/api/web/messages", json={"contact": contact, "id": uuid.uuid4().hex,
                                                          "text": text}) as response:
        return response.status, await response.json()


async def _profiled(http: ClientSession, base: str) -> WebVoter:
    """A consenting voter whose region (Kutai Kartanegara) is noted."""
    voter = WebVoter(http, base)
    await voter.say("halo")
    await voter.press("consent:yes")
    await voter.say(PROFILED)
    return voter


def _guesses(real: str) -> list[str]:
    """What an attacker might try: the voter's id one character off, its random half with another
    signature, an id from before ids were issued (a UUID), a short id, an id signed elsewhere."""
    flipped = real[:-1] + ("A" if real[-1] != "A" else "B")
    return [flipped, real[:22] + "x" * 22, "c1", "3f2a9c0e8b7d4e1fa0b2c3d4e5f60718", real[::-1]]


async def test_a_guessed_or_forged_id_is_refused_and_reveals_or_erases_nothing(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _profiled(http, server)
    (mine,) = await voter.say("/datasaya")
    assert "Kutai Kartanegara" in mine["text"]
    signals = len(await rows(settings, SegmentSignal))
    assert signals > 0

    for guess in _guesses(voter.contact):
        for text in ("/datasaya", "HAPUS DATA", "YA"):
            status, body = await _post(http, server, guess, text)
            assert status == 403, (guess, body)
            assert body["code"] == "unknown_contact"
            assert "tidak dikenal" in body["error"] and "not recognised" in body["error"]
            assert "Kutai" not in str(body) and "replies" not in body
        async with http.get(f"{server}/api/web/messages", params={"contact": guess, "after": "0"}) as response:
            assert response.status == 403 and "messages" not in await response.json()

    assert len(await rows(settings, Contact)) == 1, "a refused id created no contact"
    assert len(await rows(settings, SegmentSignal)) == signals, "nothing was erased"
    (again,) = await voter.say("/datasaya")
    assert "Kutai Kartanegara" in again["text"]


async def test_each_call_issues_a_new_unguessable_id(server: str, http: ClientSession) -> None:
    ids = {await issued_contact(http, server) for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 44 and i.replace("-", "").replace("_", "").isalnum() for i in ids)


async def test_ids_survive_a_restart_and_need_the_same_key(settings: Settings, http: ClientSession) -> None:
    async with running(settings) as first:
        voter = await _profiled(http, first.url)
    async with running(settings) as second:  # the key was kept in the database
        (reply,) = await WebVoter(http, second.url, voter.contact).say("/datasaya")
        assert "Kutai Kartanegara" in reply["text"]

    key = base64.urlsafe_b64encode(bytes(range(32))).decode()
    configured = Settings(database_url=settings.database_url, web_secret=key, _env_file=None)
    async with running(configured) as third:  # SUARA_WEB_SECRET set: ids from the stored key are refused
        status, body = await _post(http, third.url, voter.contact, "/datasaya")
        assert status == 403 and body["code"] == "unknown_contact"
        own = await issued_contact(http, third.url)
    async with running(configured) as fourth:
        assert (await WebVoter(http, fourth.url, own).say("halo"))


@pytest.fixture
def strict(settings: Settings) -> Settings:
    return Settings(database_url=settings.database_url, web_rate_per_second=1, web_burst=3, _env_file=None)


async def _issue(http: ClientSession, base: str, forwarded: str | None = None) -> tuple[int, dict, str | None]:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    async with http.post(f"{base}/api/web/contacts", headers=headers) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def test_an_address_over_its_burst_gets_429_with_retry_after_and_recovers(
    strict: Settings, http: ClientSession
) -> None:
    async with running(strict) as app:
        assert [(await _issue(http, app.url))[0] for _ in range(3)] == [201, 201, 201]
        status, body, retry_after = await _issue(http, app.url)
        assert status == 429 and retry_after is not None and int(retry_after) >= 1
        assert "Terlalu banyak" in body["error"] and "Too many" in body["error"]
        # the message API shares the bucket: a voter's message is refused too, and not processed
        status, _ = await _post(http, app.url, "x" * 44, "halo")
        assert status == 429
        assert await rows(strict, Contact) == []
        await asyncio.sleep(int(retry_after))
        assert (await _issue(http, app.url))[0] == 201
        async with http.get(f"{app.url}/metrics") as response:
            assert 'suara_web_refused_total{reason="rate_limited"} 2.0' in await response.text()


async def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(strict: Settings, http: ClientSession) -> None:
    async with running(strict) as app:  # no trusted proxy: a forged header does not buy a new bucket
        statuses = [(await _issue(http, app.url, f"203.0.113.{n}"))[0] for n in range(4)]
        assert statuses == [201, 201, 201, 429]
    behind = Settings(database_url=strict.database_url, web_rate_per_second=1, web_burst=3,
                      web_trusted_proxies="127.0.0.1", _env_file=None)
    async with running(behind) as app:  # behind our proxy each client has its own bucket
        assert [(await _issue(http, app.url, f"203.0.113.{n}"))[0] for n in range(4)] == [201] * 4
        assert [(await _issue(http, app.url, "198.51.100.7"))[0] for _ in range(4)] == [201, 201, 201, 429]


def test_the_client_is_the_nearest_untrusted_hop() -> None:
    trusted = Settings(web_trusted_proxies="10.0.0.0/8, 127.0.0.1", _env_file=None).trusted_proxy_networks
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.1.2.3", trusted) == "203.0.113.9"
    assert client_address("198.51.100.1", "1.2.3.4", trusted) == "198.51.100.1"  # peer is not a proxy
    assert client_address("127.0.0.1", "1.2.3.4, not-an-ip, 10.0.0.2", trusted) == "10.0.0.2"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"


def test_one_ipv6_subscriber_shares_a_bucket_and_idle_buckets_are_forgotten() -> None:
    now = [0.0]
    limiter = AddressLimiter(1, 2, max_tracked=3, clock=lambda: now[0])
    assert [limiter.take(f"2001:db8:1:2::{n}") for n in range(3)] == [0, 0, 1]  # one /64
    assert limiter.take("2001:db8:1:3::1") == 0  # the next /64 is someone else
    for n in range(10):  # more addresses than tracked: memory stays bounded
        limiter.take(f"192.0.2.{n}")
    assert len(limiter._buckets) <= 3


def test_a_bad_trusted_proxy_setting_names_the_value() -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        Settings(web_trusted_proxies="10.0.0.1, not-a-network", _env_file=None)
