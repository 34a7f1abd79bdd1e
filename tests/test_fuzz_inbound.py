"""Fuzzing the three inbound parsers (web chat, Telegram, WhatsApp): whatever the body, the
answer is a parsed message or a clear "bad body" — never another exception, which the server
would turn into a 500. 12,000 generated bodies in all (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from telegram import Bot

from bot.channels.json_body import MAX_DEPTH, BadBody, decode
from bot.channels.telegram import check_update
from bot.channels.web import BadRequest, parse_body
from bot.channels.whatsapp import events
from bot.conversation.loop import utcnow

BOT = Bot("7100200300:AAF-fake-token-for-parsing-only")
FUZZ = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
# Odd raw bodies JSON generators never write: deep nesting, NaN, huge numbers, bytes.
raw_oddities = st.one_of(
    st.integers(min_value=MAX_DEPTH - 2, max_value=6000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=6000).map(lambda n: b'{"a":' * n),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b'{"x": 1e999}', b"9" * 5000, b"", b"\xff\xfe"]),
    st.binary(max_size=200),
)


def _bodies(shapes: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(shapes.map(lambda v: json.dumps(v).encode()), raw_oddities)


def _telegram_like() -> st.SearchStrategy[Any]:
    chat = st.fixed_dictionaries({"id": values, "type": st.sampled_from(["private", "group", 5, None])})
    message = st.fixed_dictionaries(
        {"message_id": values, "date": st.one_of(st.integers(), values), "chat": st.one_of(chat, values)},
        optional={"text": values, "location": values, "from": values},
    )
    return st.one_of(values, st.fixed_dictionaries({"update_id": st.one_of(st.integers(), values)},
                                                   optional={"message": message, "callback_query": values}))


def _whatsapp_like() -> st.SearchStrategy[Any]:
    message = st.fixed_dictionaries({"id": values, "from": values}, optional={"type": values, "text": values,
                                                                            "interactive": values})
    value = st.fixed_dictionaries({}, optional={"messages": st.one_of(st.lists(message, max_size=3), values),
                                                "statuses": values})
    change = st.fixed_dictionaries({"field": st.sampled_from(["messages", 1]), "value": st.one_of(value, values)})
    entry = st.fixed_dictionaries({"changes": st.one_of(st.lists(change, max_size=3), values)})
    return st.one_of(values, st.fixed_dictionaries({"object": st.just("whatsapp_business_account"),
                                                    "entry": st.one_of(st.lists(entry, max_size=3), values)}))


def _web_like() -> st.SearchStrategy[Any]:
    return st.one_of(values, st.fixed_dictionaries(
        {"contact": st.one_of(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), values),
         "id": st.one_of(st.from_regex(r"[0-9]{1,8}", fullmatch=True), values)},
        optional={"text": values, "payload": values, "location": values},
    ))


@FUZZ
@given(_bodies(_web_like()))
def test_web_chat_bodies_parse_or_are_refused_clearly(raw: bytes) -> None:
    try:
        parse_body(decode(raw), utcnow())
    except (BadBody, BadRequest) as refused:
        assert str(refused) and "Traceback" not in str(refused)


@FUZZ
@given(_bodies(_telegram_like()))
def test_telegram_updates_parse_or_are_refused_clearly(raw: bytes) -> None:
    try:
        update = decode(raw)
        if not isinstance(update, dict):
            return
        check_update(update, BOT)
    except ValueError as refused:  # BadBody is a ValueError too: both answer 400
        assert str(refused)


@FUZZ
@given(_bodies(_whatsapp_like()))
def test_whatsapp_payloads_parse_or_are_refused_clearly(raw: bytes) -> None:
    try:
        found, dropped = events(decode(raw))
    except ValueError:
        return  # the webhook acknowledges these and counts them dropped
    for event_id, wa_id, _event in found:
        assert event_id.isprintable() and wa_id.isdigit()
    assert all(reason.isidentifier() for reason in dropped)


@FUZZ
@given(raw_oddities)
def test_decode_refuses_what_json_loads_would_crash_on_or_store_wrongly(raw: bytes) -> None:
    try:
        value = decode(raw)
    except BadBody:
        return
    assert json.loads(json.dumps(value, allow_nan=False)) == value  # finite, storable, re-encodable
