"""Three ``suara dispatch`` processes on PostgreSQL, the holder of a channel killed with SIGKILL
every 3 s (and restarted), 900 reminders: every one is delivered; WhatsApp exactly once;
Telegram duplicates (a send Telegram accepted just before the kill, which has no key to
recognise it by) counted, at most one per kill; no "too many requests" from either; every
killed holder's leases taken over within the lease timeout (plus one renewal period).
Scaled down for CI; ``bench/broadcast_crash.py`` is the full run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from dispatch_fleet import (
    Fleet,
    Platforms,
    dispatcher_env,
    platforms,
    run_with_kills,
    seed,
    tally,
)
from reminder_rows import statuses

KILLS = 6
BATCH = 50
LEASE_TIMEOUT = 4
RENEW_EVERY = 1  # a dispatcher tries to take or renew every min(1 s, timeout / 3)
TABLES = "reminders, campaigns, campaign_versions, channel_leases, outbox, channel_identities, contacts"


@pytest.fixture
async def fakes(postgres_url: str) -> AsyncIterator[Platforms]:
    connection = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()
    async with platforms(postgres_url) as running:
        yield running


async def test_killed_dispatchers_never_lose_a_reminder_nor_double_one_on_whatsapp(
    fakes: Platforms, tmp_path: Path
) -> None:
    on_telegram, on_whatsapp = await seed(fakes.sessions, 300, 600)
    # 80 % of the platforms' limits: a new holder starts with a full bucket, and on a loaded machine
    # scheduling jitter bunches requests up on the way; at the exact limit the fakes would
    # (rightly) answer 429 now and then.
    env = dispatcher_env(fakes.settings, lease_timeout=LEASE_TIMEOUT, batch=BATCH, telegram_rate=24,
                         whatsapp_rate=64)
    fleet = Fleet(env, tmp_path)
    try:
        await run_with_kills(fleet, fakes.sessions, len(on_telegram) + len(on_whatsapp),
                             kills=KILLS, every=3, timeout=180)
    finally:
        print("\nreminders:", Counter(status for status, _ in (await statuses(fakes.sessions)).values()))

    got = tally(fakes.tg, fakes.wa)
    assert set(got["whatsapp"]) == {f"pilkada:h-1:{cid}:0" for cid in on_whatsapp}
    assert set(got["whatsapp"].values()) == {1}, "a WhatsApp reminder went twice"
    assert set(got["telegram"]) == {f"Besok hari pemungutan suara. #{cid}" for cid in on_telegram}
    duplicates = sum(count - 1 for count in got["telegram"].values())
    print(f"kills {fleet.kills}, Telegram duplicates {duplicates}, 429s {got['telegram_429']} / {got['whatsapp_429']}, "
          f"takeovers {[(name, round(seconds, 1)) for name, seconds in fleet.takeovers]} (timeout {LEASE_TIMEOUT} s)")
    assert fleet.kills == KILLS
    assert duplicates <= fleet.kills  # one unrecorded Telegram send at most per killed dispatcher
    assert got["telegram_429"] == 0 and got["whatsapp_429"] == 0
    # Each killed holder's leases moved: it stopped renewing at the kill, so its lease ran out within
    # the timeout, and a standby took it within one renewal period of that (plus two seconds of
    # slack: on a loaded 2-core machine a standby's round of database work can run late).
    assert len(fleet.takeovers) >= fleet.kills and not fleet.pending_takeovers
    assert all(seconds <= LEASE_TIMEOUT + RENEW_EVERY + 2 for _, seconds in fleet.takeovers)
