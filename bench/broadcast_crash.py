"""The full crash run: three ``suara dispatch`` processes on PostgreSQL, the fake Telegram and
WhatsApp servers, 50,000 reminders, the holder of one channel killed with SIGKILL every 10 s and
restarted. ``tests/test_broadcast_crash.py`` is the same run scaled down for CI; both use
``tests/dispatch_fleet.py``.

Prints: reminders delivered exactly once (by the fakes' logs), missing ones, WhatsApp duplicates
(target 0), Telegram duplicates against kills (target ≤ kills), 429 answers (target 0), every
lease takeover's time against the lease timeout, and the total time. Nothing is asserted.

    .venv/bin/python bench/broadcast_crash.py [--reminders 50000] [--telegram-share 0.25]
        [--every 10] [--kills 0 (= as many as fit)] [--lease-timeout 15] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from broadcast import drop_database, fresh_database  # noqa: E402  (bench/broadcast.py)
from dispatch_fleet import Fleet, dispatcher_env, platforms, run_with_kills, seed, tally  # noqa: E402


async def run(args: argparse.Namespace) -> None:
    url = await fresh_database()
    try:
        await crash_run(url, args)
    finally:
        await drop_database(url)


async def crash_run(url: str, args: argparse.Namespace) -> None:
    telegram = int(args.reminders * args.telegram_share)
    whatsapp = args.reminders - telegram
    # 80 % of the platforms' limits, as in the CI test: a new holder starts with a full bucket.
    rates = {"telegram_rate": 24.0, "whatsapp_rate": 64.0}
    expected = max(telegram / rates["telegram_rate"], whatsapp / rates["whatsapp_rate"])
    kills = args.kills or max(1, int(expected / args.every))
    async with platforms(url) as fakes:
        on_telegram, on_whatsapp = await seed(fakes.sessions, telegram, whatsapp)
        env = dispatcher_env(fakes.settings, lease_timeout=args.lease_timeout, batch=args.batch, **rates)
        fleet = Fleet(env, Path(tempfile.mkdtemp(prefix="suara-crash-")))
        print(f"{telegram:,} Telegram + {whatsapp:,} WhatsApp reminders; 3 dispatchers; a kill every {args.every:g} s "
              f"(up to {kills}); lease timeout {args.lease_timeout:g} s; batch {args.batch}; logs in {fleet.logs}",
              flush=True)
        started = time.monotonic()
        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns) as bar:
            task = bar.add_task("sent", total=telegram + whatsapp)
            seconds = await run_with_kills(
                fleet, fakes.sessions, telegram + whatsapp, kills=kills, every=args.every,
                timeout=args.timeout, progress=lambda sent, killed: bar.update(
                    task, completed=sent, description=f"sent (kills {killed})"))
        got = tally(fakes.tg, fakes.wa)
    wanted_tg = {f"Besok hari pemungutan suara. #{cid}" for cid in on_telegram}
    wanted_wa = {f"pilkada:h-1:{cid}:0" for cid in on_whatsapp}
    once = sum(1 for text in wanted_tg if got["telegram"][text] == 1) + \
        sum(1 for key in wanted_wa if got["whatsapp"][key] == 1)
    missing = sum(1 for text in wanted_tg if not got["telegram"][text]) + \
        sum(1 for key in wanted_wa if not got["whatsapp"][key])
    tg_duplicates = sum(count - 1 for count in got["telegram"].values())
    wa_duplicates = sum(count - 1 for count in got["whatsapp"].values())
    takeovers = sorted(seconds for _, seconds in fleet.takeovers)
    bound = args.lease_timeout + min(1.0, args.lease_timeout / 3)
    print(f"reminders: {telegram + whatsapp:,}; delivered exactly once: {once:,}; missing: {missing}")
    print(f"WhatsApp duplicates: {wa_duplicates} (target 0)")
    print(f"Telegram duplicates: {tg_duplicates} for {fleet.kills} kills (target ≤ {fleet.kills})")
    print(f"429 answers: Telegram {got['telegram_429']}, WhatsApp {got['whatsapp_429']} (target 0)")
    print(f"lease takeovers after a kill: {len(takeovers)} of {len(takeovers) + len(fleet.pending_takeovers)}; "
          f"seconds {[round(s, 1) for s in takeovers]}; max {max(takeovers, default=0):.1f} s against "
          f"timeout {args.lease_timeout:g} s (+ one renewal period = {bound:g} s)")
    print(f"total: {seconds:.1f} s (from the first process start; wall {time.monotonic() - started:.1f} s); "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=50_000)
    parser.add_argument("--telegram-share", type=float, default=0.25)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between kills")
    parser.add_argument("--kills", type=int, default=0, help="how many kills (0: one every --every s while sending)")
    parser.add_argument("--lease-timeout", type=float, default=15.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=3600.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
