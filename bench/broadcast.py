"""Reminders at scale on PostgreSQL: scheduling a million, and draining at a configured rate.

(a) **schedule**: seeds N consenting contacts subscribed to ``voting_day`` (regions in WIB, WITA
    and WIT villages with one imported TPS each, so every text names the voter's own TPS; some
    first-time voters, movers and voters needing help, a tenth in English, a third on WhatsApp)
    with ``COPY``, then times :func:`bot.broadcasts.planner.schedule` — what
    ``suara broadcast schedule`` runs — for the H-1 event of the shipped Pilkada campaign: one
    personalised reminder per contact. Prints seconds and the peak RSS of a child process that
    does only the scheduling (targets: ≤ 60 s, ≤ 500 MB for 1,000,000).
(b) **drain**: M due reminders on WhatsApp through the fake Graph API (the real wire format;
    it answers 130429 above its limit) with the channel rate set to R messages/s, sent by the
    real dispatcher and sender; prints achieved / configured (target ≥ 0.98 at 1,000/s).

Each part runs ``--runs`` times on a fresh database; the median is printed last. Nothing is
asserted: this prints numbers.

    .venv/bin/python bench/broadcast.py [--contacts 1000000] [--drain 100000] [--rate 1000] [--runs 3]
        [--only schedule|drain] [--admin-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bot.storage.migrate import upgrade  # noqa: E402

ADMIN_URL = os.environ.get("SUARA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CAMPAIGN_FILE = ROOT / "flows" / "campaigns" / "library" / "pilkada-2024.yml"
PLANNED_AT = datetime(2024, 11, 20, 3, tzinfo=UTC)  # a week before voting day: H-1 is ahead
#: Village codes per zone: Jakarta (WIB), Samarinda (WITA), Jayapura (WIT).
PROVINCES = {"31.71.01": "WIB", "64.72.01": "WITA", "91.71.01": "WIT"}
VILLAGES_PER_PROVINCE = 2000


# --- databases --------------------------------------------------------------------------------

async def fresh_database() -> str:
    """A new, migrated database on the admin URL's server; its SQLAlchemy URL."""
    name = f"suara_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    await asyncio.to_thread(upgrade, url)
    return url


async def drop_database(url: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


def raw_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


# --- (a) scheduling ---------------------------------------------------------------------------

def villages() -> list[str]:
    return [f"{prefix}.{1001 + n}" for prefix in PROVINCES for n in range(VILLAGES_PER_PROVINCE)]


async def seed_contacts(url: str, count: int) -> float:
    """``count`` consenting, subscribed contacts with identities, signals and one TPS per village,
    written with COPY; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(13)
    codes = villages()
    now = datetime.now(UTC)
    connection = await asyncpg.connect(raw_url(url))
    try:
        await connection.copy_records_to_table("polling_stations", columns=[
            "province_code", "province", "regency_code", "regency", "district_code", "district", "village_code",
            "village", "number", "address", "latitude", "longitude", "notes", "imported_at"], records=[
            (code[:2], "Provinsi", code[:5], "Kota", code[:8], "Kecamatan", code, f"Kelurahan {code[-4:]}",
             n % 40 + 1, f"Jl. Pemilu No. {n % 97 + 1}", -0.5, 117.1, "bench", now)
            for n, code in enumerate(codes)])
        for start in range(0, count, 100_000):
            ids = range(start + 1, min(count, start + 100_000) + 1)
            await connection.copy_records_to_table("contacts", columns=[
                "id", "language", "timezone", "region", "source", "consent", "opted_out", "needs_human",
                "created_at", "last_seen_at"], records=[
                (cid, "en" if cid % 10 == 0 else "id", "Asia/Jakarta", codes[cid % len(codes)], "bench", True,
                 False, False, now, now - timedelta(days=cid % 3)) for cid in ids])
            await connection.copy_records_to_table("channel_identities", columns=[
                "contact_id", "channel", "external_id", "created_at"], records=[
                (cid, "whatsapp" if cid % 3 == 0 else "telegram",
                 str(628_000_000_000 + cid) if cid % 3 == 0 else str(cid), now) for cid in ids])
            await connection.copy_records_to_table("reminder_subscriptions", columns=[
                "contact_id", "topic", "created_at"], records=[(cid, "voting_day", now) for cid in ids])
            signals = [(cid, name, "yes", 0.9, f"{name}=yes", "bench", now) for cid in ids
                       for name, share in (("first_time_voter", 5), ("moved_residence", 20), ("disability_need", 50))
                       if rng.randrange(share) == 0]
            await connection.copy_records_to_table("segment_signals", columns=[
                "contact_id", "name", "value", "confidence", "evidence", "source", "created_at"], records=signals)
        await connection.execute("SELECT setval(pg_get_serial_sequence('contacts', 'id'), $1)", count)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


def h1_campaign_source() -> str:
    """The shipped Pilkada campaign with only its H-1 event: one reminder per contact."""
    data = yaml.safe_load(CAMPAIGN_FILE.read_text(encoding="utf-8"))
    data["id"] = "bench-h1"
    data["events"] = [event for event in data["events"] if event["id"] == "h-1"]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def schedule_once(url: str) -> dict[str, Any]:
    """In this process: publish the H-1 campaign and schedule it (what ``suara broadcast schedule``
    does); the seconds, rows written by status, and this process's peak RSS."""
    from flows.campaigns import parse_campaign

    from bot.broadcasts.campaigns import plan_settings, publish
    from bot.broadcasts.planner import schedule
    from bot.settings import Settings
    from bot.storage.engine import create_engine, session_factory

    settings = Settings(database_url=url, _env_file=None)
    source = h1_campaign_source()
    campaign, problems = parse_campaign(source, "bench-h1.yml")
    assert campaign is not None, problems
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            started, cpu = time.perf_counter(), _cpu()
            published = await publish(db, campaign, source, "bench", PLANNED_AT)
            await db.commit()
            result = await schedule(db, campaign, published.version_id, PLANNED_AT, plan_settings(settings, campaign))
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    finally:
        await engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "written": dict(result.written), "contacts": result.contacts,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def schedule_in_child(url: str) -> dict[str, Any]:
    """:func:`schedule_once` in a fresh interpreter, so its peak RSS is the scheduling's alone
    (the interpreter and the bot's imports included, the seeding not)."""
    code = ("import asyncio, json, sys; sys.path[:0] = [sys.argv[2], sys.argv[3]]; import broadcast; "
            "print(json.dumps(asyncio.run(broadcast.schedule_once(sys.argv[1]))))")
    out = subprocess.run([sys.executable, "-c", code, url, str(ROOT / "bench"), str(ROOT)], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    import json

    return json.loads(out.strip().splitlines()[-1])


async def bench_schedule(contacts: int, runs: int) -> None:
    seconds, rss = [], []
    for run in range(runs):
        url = await fresh_database()
        try:
            seeded = await seed_contacts(url, contacts)
            got = await asyncio.to_thread(schedule_in_child, url)
        finally:
            await drop_database(url)
        seconds.append(got["seconds"])
        rss.append(got["peak_rss_mb"])
        print(f"schedule run {run + 1}: seeded {contacts:,} contacts in {seeded:.1f} s; scheduled "
              f"{got['contacts']:,} contacts → {got['written']} in {got['seconds']:.1f} s "
              f"(this process's CPU {got['cpu']:.1f} s), "
              f"peak RSS {got['peak_rss_mb']:.0f} MB", flush=True)
    print(f"SCHEDULE {contacts:,} reminders: median {statistics.median(seconds):.1f} s (target ≤ 60 s), "
          f"peak RSS median {statistics.median(rss):.0f} MB (target ≤ 500 MB); runs {[round(s, 1) for s in seconds]}")


# --- (b) draining -----------------------------------------------------------------------------

async def drain_once(url: str, count: int, rate: float) -> dict[str, Any]:
    """``count`` due WhatsApp template reminders sent by one dispatcher at ``rate``/s through the
    fake Graph API (which enforces ``rate`` too); achieved rate between the first and last send."""
    import aiohttp
    from dispatch_fleet import TEMPLATE, WA_PHONE, WA_TOKEN
    from fakes.whatsapp import FakeGraphAPI
    from pydantic import SecretStr
    from reminder_rows import add_campaign, add_reminders, add_voters

    from bot.broadcasts.dispatcher import Dispatcher
    from bot.channels.messaging import whatsapp_limits
    from bot.channels.whatsapp import WhatsAppTransport
    from bot.delivery.sender import Sender
    from bot.settings import Settings
    from bot.storage.engine import create_engine, session_factory

    fake = FakeGraphAPI(WA_TOKEN, WA_PHONE, rate=rate, user_rate=1, user_burst=1)
    await fake.start()
    settings = Settings(database_url=url, whatsapp_token=SecretStr(WA_TOKEN), whatsapp_app_secret=SecretStr("s"),
                        whatsapp_verify_token=SecretStr("v"), whatsapp_phone_number_id=WA_PHONE,
                        whatsapp_api_url=fake.url, whatsapp_rate_per_second=rate, _env_file=None)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    try:
        version = await add_campaign(sessions, "drain")
        voters = await add_voters(sessions, "whatsapp", [str(628_100_000_000 + n) for n in range(count)])
        await add_reminders(sessions, "drain", version, "whatsapp", voters, due_at=clock() - timedelta(minutes=1),
                            template=TEMPLATE)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            sender = Sender(sessions, [WhatsAppTransport(settings, whatsapp_limits(settings), http)], clock=clock)
            dispatcher = Dispatcher(sessions, sender, {"whatsapp": f"whatsapp:{WA_PHONE}"}, clock=clock,
                                    lease_timeout=settings.dispatch_lease_timeout_seconds,
                                    batch_size=max(settings.dispatch_batch_size, int(rate * 2)))
            stop = asyncio.Event()
            task = asyncio.create_task(dispatcher.run(stop))
            while len(fake.sent()) < count and not task.done():
                await asyncio.sleep(0.5)
            stop.set()
            await task
            await sender.close()
    finally:
        await engine.dispose()
        await fake.close()
    accepted = [call.at for call in fake.calls if call.status == 200]
    achieved = (len(accepted) - 1) / (accepted[-1] - accepted[0]) if len(accepted) > 1 else 0.0
    return {"sent": len(accepted), "achieved": achieved, "throttled": fake.errors(130429),
            "seconds": accepted[-1] - accepted[0] if accepted else 0.0}


async def bench_drain(count: int, rate: float, runs: int) -> None:
    ratios = []
    for run in range(runs):
        url = await fresh_database()
        try:
            got = await drain_once(url, count, rate)
        finally:
            await drop_database(url)
        ratios.append(got["achieved"] / rate)
        print(f"drain run {run + 1}: {got['sent']:,} sent in {got['seconds']:.1f} s = {got['achieved']:.0f}/s "
              f"of {rate:.0f}/s configured ({ratios[-1]:.3f}); 130429 answers: {got['throttled']}", flush=True)
    print(f"DRAIN {count:,} at {rate:.0f}/s: achieved/configured median {statistics.median(ratios):.3f} "
          f"(target ≥ 0.98); runs {[round(r, 3) for r in ratios]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--drain", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("schedule", "drain"))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    if args.only != "drain":
        asyncio.run(bench_schedule(args.contacts, args.runs))
    if args.only != "schedule":
        asyncio.run(bench_drain(args.drain, args.rate, args.runs))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
