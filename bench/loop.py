"""Throughput and latency of the conversation loop over the web channel.

Starts ``suara serve`` as a separate process on loopback (on SQLite, then on PostgreSQL), lets
100 simulated voters talk to it at once, and prints messages/s and p50/p99 latency.

    .venv/bin/python bench/loop.py [--voters 100] [--messages 10] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from aiohttp import ClientSession, ClientTimeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from webchat import WebVoter  # noqa: E402

#: Every simulated voter comes from 127.0.0.1: lift the per-address limit, or it is what gets measured.
ONE_ADDRESS = {"SUARA_WEB_RATE_PER_SECOND": "100000", "SUARA_WEB_BURST": "1000000"}
SCRIPT = ["halo", "jam berapa tps buka?", "cara mencoblos gimana", "saya belum terdaftar di DPT",
          "What time do polling stations open?", "bawa apa ke tps", "harga cabai hari ini", "menu",
          "makasih", "kapan hasil pemilu diumumkan"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_ready(http: ClientSession, base: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            async with http.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("server did not become ready")


async def _voter(http: ClientSession, base: str, messages: int, latencies: list[float]) -> None:
    voter = WebVoter(http, base)
    for n in range(messages):
        started = time.perf_counter()
        await voter.say(SCRIPT[n % len(SCRIPT)])
        latencies.append(time.perf_counter() - started)


async def run(name: str, database_url: str, voters: int, messages: int) -> None:
    port = _free_port()
    env = {**os.environ, "SUARA_DATABASE_URL": database_url, "SUARA_PORT": str(port), "SUARA_LOG_LEVEL": "WARNING",
           **ONE_ADDRESS}
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with ClientSession(timeout=ClientTimeout(total=120)) as http:
            await _wait_ready(http, base, server)
            await _voter(http, base, 5, [])  # warm up
            latencies: list[float] = []
            started = time.perf_counter()
            await asyncio.gather(*(_voter(http, base, messages, latencies) for _ in range(voters)))
            elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"{name:<10} voters={voters} messages={len(latencies)} "
          f"rate={len(latencies) / elapsed:8.1f} msg/s  p50={p50:7.1f} ms  p99={p99:7.1f} ms")


async def _postgres_database(admin_url: str) -> tuple[str, str] | None:
    name = f"suara_bench_{uuid.uuid4().hex[:8]}"
    try:
        connection = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"postgresql skipped: {admin_url} unreachable ({exc})")
        return None
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return name, admin_url.rsplit("/", 1)[0] + "/" + name


async def _drop(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10, help="messages per voter")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await run("sqlite", f"sqlite:///{folder}/bench.db", args.voters, args.messages)
    created = await _postgres_database(args.postgres)
    if created:
        name, url = created
        try:
            await run("postgresql", url, args.voters, args.messages)
        finally:
            await _drop(args.postgres, name)


if __name__ == "__main__":
    asyncio.run(main())
