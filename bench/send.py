"""Outbound sending through each channel's fake platform: rate, 429s, lost and duplicated.

Records N replies to M contacts in the outbox (on a fresh SQLite database, or PostgreSQL with
``--database-url``) and lets the one sender push them to the fake Telegram Bot API (through
python-telegram-bot) and the fake WhatsApp Graph API, which enforce the platforms' limits.
Prints the achieved rate against the configured limit, the throttling answers received
(target 0) and the messages lost or duplicated (target 0).

    .venv/bin/python bench/send.py [--messages 5000] [--contacts 1000] [--channel telegram|whatsapp|both]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bot.channels.telegram import TelegramTransport, make_bot  # noqa: E402
from bot.channels.whatsapp import WhatsAppTransport  # noqa: E402
from bot.storage.engine import create_engine, session_factory  # noqa: E402
from bot.storage.migrate import upgrade_async  # noqa: E402
from bot.storage.models import ChannelIdentity, Contact, Message  # noqa: E402
from bot.conversation.messages import OutboundMessage  # noqa: E402
from bot.channels.messaging import telegram_limits, whatsapp_limits  # noqa: E402
from bot.delivery.sender import Sender, Transport  # noqa: E402
from bot.settings import Settings  # noqa: E402
from fakes.telegram import FakeBotAPI  # noqa: E402
from fakes.whatsapp import FakeGraphAPI  # noqa: E402

TOKEN = "7100200300:AAH" + "b" * 32


def now() -> datetime:
    return datetime.now(timezone.utc)


async def _contacts(settings: Settings, channel: str, ids: list[str]) -> None:
    """The voters, each with a message just received (so WhatsApp's 24-hour window is open)."""
    engine = create_engine(settings)
    async with session_factory(engine)() as db, db.begin():
        for external_id in ids:
            contact = Contact(language="id", timezone="Asia/Jakarta", opted_out=False, needs_human=False,
                              created_at=now(), last_seen_at=now())
            db.add(contact)
            await db.flush()
            db.add(ChannelIdentity(contact_id=contact.id, channel=channel, external_id=external_id, created_at=now()))
            db.add(Message(contact_id=contact.id, direction="in", channel=channel, text="halo", created_at=now()))
    await engine.dispose()


async def _push(settings: Settings, transport: Transport, ids: list[str], messages: int) -> tuple[float, list[str]]:
    engine = create_engine(settings)
    sender = Sender(session_factory(engine), [transport], clock=now)
    expected = [f"balasan {n} untuk {ids[n % len(ids)]}" for n in range(messages)]
    started = time.monotonic()
    for n, text in enumerate(expected):  # one reply at a time, as the loop hands them over
        await sender.send_replies([OutboundMessage(transport.channel, ids[n % len(ids)], text)])
    await sender.drain()
    elapsed = time.monotonic() - started
    await sender.close()
    await engine.dispose()
    return elapsed, expected


def _report(channel: str, limit: float, elapsed: float, expected: list[str], delivered: list[str], throttled: int) -> None:
    counts = Counter(delivered)
    lost = sum(1 for text in expected if counts[text] == 0)
    duplicated = sum(n - 1 for n in counts.values() if n > 1)
    print(f"{channel:9s} {len(expected)} messages in {elapsed:6.1f} s = {len(expected) / elapsed:5.1f}/s "
          f"(limit {limit:g}/s) | throttled (429/130429/131056): {throttled} | lost: {lost} | duplicated: {duplicated}")


async def bench_telegram(base: Settings, messages: int, contacts: int) -> None:
    fake = FakeBotAPI(TOKEN)
    await fake.start()
    settings = base.model_copy(update={"telegram_token": SecretStr(TOKEN), "telegram_api_url": fake.base_url})
    ids = [str(100000 + n) for n in range(contacts)]
    await _contacts(settings, "telegram", ids)
    bot = make_bot(settings)
    await bot.initialize()
    try:
        elapsed, expected = await _push(settings, TelegramTransport(bot, telegram_limits(settings)), ids, messages)
    finally:
        await bot.shutdown()
        await fake.close()
    _report("telegram", settings.telegram_rate_per_second, elapsed, expected,
            [m["text"] for m in fake.delivered], fake.count("sendMessage", 429))


async def bench_whatsapp(base: Settings, messages: int, contacts: int) -> None:
    fake = FakeGraphAPI("bench-token", "1065403522")
    await fake.start()
    settings = base.model_copy(update={
        "whatsapp_token": SecretStr("bench-token"), "whatsapp_app_secret": SecretStr("s"),
        "whatsapp_verify_token": SecretStr("v"), "whatsapp_phone_number_id": "1065403522",
        "whatsapp_api_url": fake.url})
    ids = [str(6281200000000 + n) for n in range(contacts)]
    for wa_id in ids:
        fake.last_inbound[wa_id] = time.time()
    await _contacts(settings, "whatsapp", ids)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:
        try:
            elapsed, expected = await _push(settings, WhatsAppTransport(settings, whatsapp_limits(settings), http),
                                            ids, messages)
        finally:
            await fake.close()
    _report("whatsapp", settings.whatsapp_rate_per_second, elapsed, expected,
            [m["text"]["body"] for m in fake.sent()], fake.errors(130429) + fake.errors(131056))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--channel", choices=("telegram", "whatsapp", "both"), default="both")
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for channel in ("telegram", "whatsapp") if args.channel == "both" else (args.channel,):
            url = args.database_url or f"sqlite+aiosqlite:///{folder}/{channel}.db"
            settings = Settings(database_url=url, _env_file=None)
            await upgrade_async(settings.database_url)
            await (bench_telegram if channel == "telegram" else bench_whatsapp)(settings, args.messages, args.contacts)


if __name__ == "__main__":
    asyncio.run(main())
