"""Fuzzing the three inbound routes through the real HTTP server (issue 18, item 6), on SQLite and
PostgreSQL: signed Telegram and WhatsApp webhooks and web chat posts whose bodies are valid ones
with a field replaced by something odd — a null, an out-of-range or huge number, NaN or
Infinity in the raw JSON, a wrong type, a NUL, deep nesting.

No answer is ever ≥ 500: webhooks are acknowledged (an unusable one dropped and counted), the web
chat answers a 4xx. And nothing crashes behind the 200: once every accepted event has run, no
event waits for a retry and none became a dead letter. 500 bodies per route and database, 3,000
in all (the parser-level fuzzing in ``test_fuzz_inbound`` adds 12,000).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from bot.channels.whatsapp import sign
from bot.settings import Settings
from bot.storage.models import WebhookDeadLetter, WebhookEvent
from channel_server import Running, running
from dbread import rows
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI
from fakes import TG_SECRET, WA_SECRET, with_both_channels

ROUTE_FUZZ = hypothesis_settings(max_examples=500, deadline=None, derandomize=True,
                                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# What JSON generators never write, spliced into the raw body where the sentinel string stands.
_RAW = {"__NaN__": "NaN", "__Inf__": "Infinity", "__-Inf__": "-Infinity", "__1e999__": "1e999",
        "__digits__": "9" * 5000, "__deep__": "[" * 200 + "]" * 200}
_leaves = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 2**64, 99999999999999999, 10**30]),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.sampled_from(["", "\u0000", "a" * 300, "3374012345678901", "\u202e", "1e999"]),
    st.sampled_from(sorted(_RAW)),
)
odd = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["id", "body", "type", "text", "latitude", "x"]), inner, max_size=3), max_leaves=6)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.extend(_paths(child, path + (key,)))
    return found


def mutated(base: dict[str, Any], data: st.DataObject) -> bytes:
    """``base`` with one to three fields (or whole sub-objects) replaced by odd values, as raw JSON."""
    body = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(body)[1:]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = data.draw(odd)
    raw = json.dumps(body)
    for sentinel, text in _RAW.items():
        raw = raw.replace(f'"{sentinel}"', text)
    return raw.encode()


@pytest.fixture
async def server(settings: Settings, fakes: tuple[FakeBotAPI, FakeGraphAPI]) -> AsyncIterator[Running]:
    """Every channel on; afterwards, every accepted event has run without a failure."""
    configured = with_both_channels(settings, *fakes)
    async with running(configured) as server:
        yield server
        await server.settle(120)
    assert await rows(configured, WebhookEvent) == [], "an accepted event failed and waits for a retry"
    assert await rows(configured, WebhookDeadLetter) == []


async def _status(http: ClientSession, url: str, raw: bytes, headers: dict[str, str]) -> int:
    async with http.post(url, data=raw, headers={"Content-Type": "application/json", **headers}) as response:
        assert "Traceback" not in await response.text()
        return response.status


def _telegram_request(telegram: FakeBotAPI, data: st.DataObject) -> tuple[str, bytes, dict[str, str]]:
    chat = data.draw(st.integers(1, 2**40))  # many chats: one chat's 1 message/s would pace the run
    base = data.draw(st.sampled_from([
        telegram.text_update(chat, "halo"), telegram.location_update(chat, -6.9, 107.6),
        telegram.callback_update(chat, "menu", 1000), telegram.text_update(-chat, "hai", chat_type="group"),
        telegram.text_update(chat, "diubah", edited=True),
    ]))
    base["update_id"] = data.draw(st.integers(1, 2**40))
    return "/webhooks/telegram/7100200300", mutated(base, data), {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}


def _whatsapp_request(graph: FakeGraphAPI, data: st.DataObject) -> tuple[str, bytes, dict[str, str]]:
    wa_id = data.draw(st.from_regex(r"628[0-9]{9}", fullmatch=True))
    base = data.draw(st.sampled_from([
        graph.text_message(wa_id, "halo"), graph.button_reply(wa_id, "menu"), graph.list_reply(wa_id, "menu"),
        graph.location_message(wa_id, -6.9, 107.6), graph._inbound(wa_id, "button", button={"payload": "menu"}),
        graph._envelope({"statuses": [{"id": "wamid.out1", "status": "failed", "timestamp": "1700000000",
                                       "recipient_id": wa_id, "errors": [{"code": 131026, "title": "x"}]}]}),
    ]))
    raw = mutated(base, data)
    return "/webhooks/whatsapp", raw, {"X-Hub-Signature-256": sign(WA_SECRET, raw)}


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
@ROUTE_FUZZ
@given(data=st.data())
async def test_signed_webhooks_are_acknowledged_never_a_500(
    server: Running, fakes: tuple[FakeBotAPI, FakeGraphAPI], http: ClientSession, channel: str,
    data: st.DataObject,
) -> None:
    telegram, graph = fakes
    path, raw, headers = (_telegram_request(telegram, data) if channel == "telegram"
                          else _whatsapp_request(graph, data))
    assert await _status(http, f"{server.url}{path}", raw, headers) == 200


@ROUTE_FUZZ
@given(data=st.data())
async def test_web_chat_posts_are_never_a_500(server: Running, http: ClientSession, data: st.DataObject) -> None:
    contact = data.draw(st.from_regex(r"[a-z0-9]{8}", fullmatch=True))
    base = data.draw(st.sampled_from([
        {"contact": contact, "id": "m1", "text": "halo"}, {"contact": contact, "id": "m2", "payload": "menu"},
        {"contact": contact, "id": "m3", "location": {"latitude": -6.9, "longitude": 107.6}},
    ]))
    status = await _status(http, f"{server.url}/api/web/messages", mutated(base, data), {})
    assert status == 200 or 400 <= status < 500
