"""``suara serve --workers N`` as a real process tree: one port, exactly-once and per-contact
order across workers, a killed worker restarted, a clean stop; and SQLite's documented refusal."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp import ClientSession, ClientTimeout, TCPConnector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.conversation.contact_lock import locking_sessions
from bot.conversation.keyed_locks import KeyedLocks
from webchat import issued_contact

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 1200.0  # two workers load the encoder at once on two shared cores


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _workers(pid: int) -> set[int]:
    """The worker processes (spawn also starts a resource tracker, which serves no requests)."""
    workers = set()
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in command:
            workers.add(child)
    return workers


def _wait_for(condition, timeout: float, what: str) -> None:  # noqa: ANN001 - a callable
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def two_workers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    port, log = _free_port(), tmp_path / "serve.log"
    # every voter here is on 127.0.0.1: one address's bucket must hold the whole burst
    env = {**os.environ, "SUARA_DATABASE_URL": postgres_url, "SUARA_PORT": str(port), "SUARA_LOG_LEVEL": "INFO",
           "SUARA_WEB_BURST": "1000"}
    with open(log, "wb") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--workers", "2"], cwd=ROOT, env=env,
                                  stderr=stderr, stdout=subprocess.DEVNULL)
    try:
        _wait_for(lambda: server.poll() is not None or "web chat at" in log.read_text(errors="replace"),
                  START_TIMEOUT, "both workers to listen")
        assert server.poll() is None, log.read_text()
        yield server, f"http://127.0.0.1:{port}", log
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()


async def _post(http: ClientSession, base: str, contact: str, message_id: str, text: str) -> dict:
    body = {"contact": contact, "id": message_id, "text": text}
    async with http.post(f"{base}/api/web/messages", json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _issued(base: str, count: int) -> list[str]:
    async with ClientSession() as http:
        return [await issued_contact(http, base) for _ in range(count)]


async def _burst(base: str, contacts: list[str], per_contact: int) -> list[tuple[str, str, dict]]:
    """Every message of every contact at once, each sent twice (a redelivery), each on a new
    connection so the kernel spreads them over both workers."""
    texts = ["halo", "jam berapa tps buka?", "cara mencoblos gimana", "bawa apa ke tps", "menu", "makasih"]
    sends = [(contact, f"{contact}-{n}", texts[n % len(texts)])
             for contact in contacts for n in range(per_contact)]
    async with ClientSession(connector=TCPConnector(force_close=True), timeout=ClientTimeout(total=600)) as http:
        results = await asyncio.gather(*(_post(http, base, c, m, t) for c, m, t in sends + sends))
    return [(c, m, r) for (c, m, _), r in zip(sends + sends, results)]


async def _stored(database_url: str, contacts: list[str]) -> dict[str, list[tuple[str, str | None]]]:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT i.external_id, m.direction, m.channel_message_id FROM messages m "
            "JOIN channel_identities i ON i.contact_id = m.contact_id "
            "WHERE i.channel = 'web' AND i.external_id = ANY($1::text[]) ORDER BY m.id",
            contacts)
    finally:
        await connection.close()
    stored: dict[str, list[tuple[str, str | None]]] = {c: [] for c in contacts}
    for row in rows:
        stored[row["external_id"]].append((row["direction"], row["channel_message_id"]))
    return stored


def test_two_workers_keep_each_voter_in_order_exactly_once_and_survive_a_killed_worker(
    two_workers: tuple[subprocess.Popen, str, Path], postgres_url: str,
) -> None:
    server, base, log = two_workers
    first = _workers(server.pid)
    assert len(first) == 2, first

    contacts = asyncio.run(_issued(base, 8))
    per_contact = 5
    results = asyncio.run(_burst(base, contacts, per_contact))

    # exactly once: of the two deliveries of each message id, one is answered, one is a duplicate
    answered: dict[str, int] = {}
    for _contact, message_id, result in results:
        if not result["duplicate"]:
            assert result["replies"], result
            answered[message_id] = answered.get(message_id, 0) + 1
    assert len(answered) == len(contacts) * per_contact and set(answered.values()) == {1}

    # in order: each voter's turns never interleave — every inbound message is followed by its
    # own replies before the next inbound one is stored, and each is stored once
    stored = asyncio.run(_stored(postgres_url, contacts))
    for contact, rows in stored.items():
        inbound = [message_id for direction, message_id in rows if direction == "in"]
        # the web channel stores its message ids per contact: "<contact>/<id>"
        assert sorted(inbound) == sorted(f"{contact}/{contact}-{n}" for n in range(per_contact)), rows
        turns = "".join("i" if direction == "in" else "o" for direction, _ in rows)
        assert turns.startswith("i") and "ii" not in turns, turns  # a reply after every message

    # a worker killed with -9 is logged and replaced; the port keeps answering
    victim = sorted(first)[0]
    os.kill(victim, signal.SIGKILL)
    _wait_for(lambda: "worker_died" in log.read_text(errors="replace"), 60, "the death to be logged")
    _wait_for(lambda: len(_workers(server.pid) - first) == 1 and len(_workers(server.pid)) == 2,
              60, "a replacement worker")
    _wait_for(lambda: log.read_text(errors="replace").count("worker_ready") >= 3, START_TIMEOUT,
              "the replacement to listen")
    again = asyncio.run(_burst(base, asyncio.run(_issued(base, 1)), 2))
    assert sum(not result["duplicate"] for _, _, result in again) == 2

    # SIGTERM stops every worker and the supervisor cleanly
    workers = _workers(server.pid)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=90) == 0
    assert all(not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
               for pid in workers)


async def test_one_voter_waits_for_another_process_turn_and_other_voters_do_not(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    sessions, order = locking_sessions(engine), []

    async def turn(name: str, voter: str, seconds: float) -> None:
        async with KeyedLocks().hold(("web", voter)):  # a KeyedLocks of its own: another process
            async with sessions() as db, db.begin():
                await db.execute(text("SELECT 1"))
                order.append(f"{name} start")
                await asyncio.sleep(seconds)
                order.append(f"{name} end")

    try:
        first = asyncio.create_task(turn("a", "voter-1", 0.5))
        await asyncio.sleep(0.2)
        await asyncio.gather(turn("b", "voter-1", 0), turn("c", "voter-2", 0))
        await first
    finally:
        await engine.dispose()
    assert order.index("a end") < order.index("b start")  # the same voter: after a's commit
    assert order.index("c end") < order.index("a end")  # another voter: not held up


def test_sqlite_refuses_more_than_one_worker_and_says_which_database_it_needs(tmp_path: Path) -> None:
    env = {**os.environ, "SUARA_DATABASE_URL": f"sqlite:///{tmp_path}/suara.db"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--workers", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "PostgreSQL" in done.stderr and "--workers 1" in done.stderr
    assert "web chat at" not in done.stderr
