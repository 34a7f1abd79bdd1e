"""``suara dispatch`` processes against fake platforms, killed and restarted: for the crash test
(``tests/test_broadcast_crash.py``) and its full-size bench (``bench/broadcast_crash.py``).

The fake Telegram and WhatsApp servers run on an event loop of their own thread, so the caller's
database work never delays their answers (a delayed loop sees requests bunched up and answers 429
for them); WhatsApp's ``sent`` status webhooks, which echo each send's key as Meta's do, are
applied on the caller's loop through the channel's own handler.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI
from pydantic import SecretStr
from reminder_rows import add_campaign, add_reminders, add_voters
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.channels import whatsapp
from bot.channels.inbox import Inbox
from bot.telemetry.metrics import Metrics
from bot.settings import Settings
from bot.storage.campaign_models import ChannelLease, Reminder
from bot.storage.engine import create_engine, session_factory

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "987654321:AAcrash-test-token-for-dispatchers"
WA_TOKEN, WA_PHONE, WA_SECRET = "EAAG-crash-token", "106540352242999", "crash-app-secret"
TEMPLATE = {"name": "pengingat_pemilu", "language": "id", "parameters": ["Rabu, 27 November"]}
CREDENTIALS = (f"telegram:{TOKEN.split(':')[0]}", f"whatsapp:{WA_PHONE}")


@dataclass
class Platforms:
    """The running fakes, the settings that point at them, and sessions on the database."""

    settings: Settings
    tg: FakeBotAPI
    wa: FakeGraphAPI
    sessions: Any


class _FakesThread:
    def __init__(self, on_accept: Callable[[dict[str, Any], str], None], telegram_rate: float,
                 whatsapp_rate: float) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.tg = FakeBotAPI(TOKEN, rate=telegram_rate)
        self.wa = FakeGraphAPI(WA_TOKEN, WA_PHONE, rate=whatsapp_rate, on_accept=on_accept)

    def __enter__(self) -> _FakesThread:  # noqa: PYI034 - a helper, never subclassed
        self.thread.start()
        self._run(self.tg.start())
        self._run(self.wa.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(self.tg.close())
        self._run(self.wa.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)


@asynccontextmanager
async def platforms(database_url: str, *, telegram_rate: float = 30, whatsapp_rate: float = 80) -> AsyncIterator[Platforms]:
    """The fakes (at the platforms' real limits unless told), sending ``sent`` status webhooks."""
    engine = create_engine(Settings(database_url=database_url, _env_file=None))
    sessions = session_factory(engine)
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    channel: list[whatsapp.WhatsAppChannel] = []

    def apply(status: dict[str, Any]) -> None:
        task = loop.create_task(channel[0].process({"status": status}))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def report_sent(body: dict[str, Any], wamid: str) -> None:
        loop.call_soon_threadsafe(apply, {"id": wamid, "status": "sent", "recipient_id": body["to"],
                                          "biz_opaque_callback_data": body["biz_opaque_callback_data"]})

    with _FakesThread(report_sent, telegram_rate, whatsapp_rate) as fakes:
        settings = Settings(
            database_url=database_url, telegram_token=SecretStr(TOKEN), telegram_api_url=fakes.tg.base_url,
            whatsapp_token=SecretStr(WA_TOKEN), whatsapp_app_secret=SecretStr(WA_SECRET),
            whatsapp_verify_token=SecretStr("verify-crash"), whatsapp_phone_number_id=WA_PHONE,
            whatsapp_api_url=fakes.wa.url, _env_file=None)
        clock = lambda: datetime.now(UTC)
        channel.append(whatsapp.WhatsAppChannel(settings, None, None, Inbox(sessions, clock, Metrics()),  # type: ignore[arg-type]
                                                sessions, clock, whatsapp.TemplateRegistry([])))
        try:
            yield Platforms(settings, fakes.tg, fakes.wa, sessions)
        finally:
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()


async def seed(sessions: Any, telegram: int, whatsapp_count: int) -> tuple[list[int], list[int]]:
    """Due reminders: free text on Telegram, a template on WhatsApp; the voters' ids per channel."""
    due = datetime.now(UTC) - timedelta(minutes=1)
    version = await add_campaign(sessions, "pilkada")
    on_telegram = await add_voters(sessions, "telegram", [str(10_000 + n) for n in range(telegram)])
    on_whatsapp = await add_voters(sessions, "whatsapp", [str(628_100_000_000 + n) for n in range(whatsapp_count)])
    await add_reminders(sessions, "pilkada", version, "telegram", on_telegram, due_at=due)
    await add_reminders(sessions, "pilkada", version, "whatsapp", on_whatsapp, due_at=due, template=TEMPLATE)
    return on_telegram, on_whatsapp


def dispatcher_env(settings: Settings, *, lease_timeout: float, batch: int, telegram_rate: float,
                   whatsapp_rate: float) -> dict[str, str]:
    """The environment of a ``suara dispatch`` process against ``settings``' fakes."""
    return {**os.environ, "SUARA_DATABASE_URL": settings.database_url, "SUARA_LOG_LEVEL": "WARNING",
            "SUARA_TELEGRAM_TOKEN": TOKEN, "SUARA_TELEGRAM_API_URL": settings.telegram_api_url,
            "SUARA_WHATSAPP_TOKEN": WA_TOKEN, "SUARA_WHATSAPP_APP_SECRET": WA_SECRET,
            "SUARA_WHATSAPP_VERIFY_TOKEN": "verify-crash", "SUARA_WHATSAPP_PHONE_NUMBER_ID": WA_PHONE,
            "SUARA_WHATSAPP_API_URL": settings.whatsapp_api_url,
            "SUARA_DISPATCH_LEASE_TIMEOUT_SECONDS": str(lease_timeout), "SUARA_DISPATCH_BATCH_SIZE": str(batch),
            "SUARA_TELEGRAM_RATE_PER_SECOND": str(telegram_rate),
            "SUARA_WHATSAPP_RATE_PER_SECOND": str(whatsapp_rate)}


@dataclass
class Fleet:
    """Dispatcher processes by slot; kills lease holders with SIGKILL and starts replacements.

    While :meth:`watch_leases` runs, ``takeovers`` collects, for every credential a killed
    process held, the seconds from the kill until another dispatcher held it.
    """

    env: dict[str, str]
    logs: Path
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    kills: int = 0
    takeovers: list[tuple[str, float]] = field(default_factory=list)
    _log_files: dict[int, Path] = field(default_factory=dict)
    _orphaned: dict[str, tuple[str, float]] = field(default_factory=dict)  # credential → (dead holder, killed at)

    async def start(self, slot: int) -> None:
        self._log_files[slot] = self.logs / f"dispatcher-{slot}-{self.kills}.log"
        log = self._log_files[slot].open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "dispatch", cwd=ROOT, env=self.env, stdout=log, stderr=log)
        if slot < len(self.processes):
            self.processes[slot] = process
        else:
            self.processes.append(process)

    async def kill_holder(self, sessions: Any, credential: str) -> bool:
        """SIGKILL the process holding ``credential`` (its pid is in the holder name), start another."""
        leases = await _live_leases(sessions)
        holder = leases.get(credential)
        if holder is None:
            return False
        pid = int(holder.split(":")[-2])
        if not any(self._ready(slot) for slot, process in enumerate(self.processes) if process.pid != pid):
            return False  # no standby is up yet (a restarted one may still be starting): kill later
        for slot, process in enumerate(self.processes):
            if process.pid == pid and process.returncode is None:
                process.send_signal(signal.SIGKILL)
                killed_at = asyncio.get_running_loop().time()
                await process.wait()
                self.kills += 1
                self._orphaned |= {name: (holder, killed_at) for name, held_by in leases.items() if held_by == holder}
                await self.start(slot)
                return True
        return False

    def _ready(self, slot: int) -> bool:
        """The process in ``slot`` runs and has started dispatching (it says so on stderr)."""
        process = self.processes[slot]
        return process.returncode is None and b"dispatching as" in self._log_files[slot].read_bytes()

    async def watch_leases(self, sessions: Any, every: float = 0.1) -> None:
        """Until cancelled: note when each killed holder's credentials have a new live holder."""
        while True:
            try:
                leases = await _live_leases(sessions)
            except (OSError, SQLAlchemyError, TimeoutError):  # a busy pool or server: look again
                await asyncio.sleep(every)
                continue
            now = asyncio.get_running_loop().time()
            for credential, (dead, killed_at) in list(self._orphaned.items()):
                if leases.get(credential) not in (None, dead):
                    self.takeovers.append((credential, now - killed_at))
                    del self._orphaned[credential]
            await asyncio.sleep(every)

    @property
    def pending_takeovers(self) -> list[str]:
        """Credentials of killed holders that nobody has taken over (yet)."""
        return list(self._orphaned)

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def run_with_kills(fleet: Fleet, sessions: Any, total: int, *, kills: int, every: float, timeout: float,
                         progress: Callable[[int, int], None] | None = None) -> float:
    """Start three dispatchers; every ``every`` s kill the holder of one channel, then the other
    (``kills`` times); return the seconds until all ``total`` reminders are ``sent`` and every
    killed holder's leases were taken over. ``progress(sent, kills)`` is called about every second."""
    started = asyncio.get_running_loop().time()
    for slot in range(3):
        await fleet.start(slot)
    watcher = asyncio.create_task(fleet.watch_leases(sessions))
    try:
        async with asyncio.timeout(timeout):
            next_kill = started + every
            while (sent := await count_sent(sessions)) < total or fleet.pending_takeovers:
                if progress is not None:
                    progress(sent, fleet.kills)
                await asyncio.sleep(min(1.0, every))
                if fleet.kills < kills and asyncio.get_running_loop().time() >= next_kill:
                    if await fleet.kill_holder(sessions, CREDENTIALS[fleet.kills % 2]):
                        next_kill = asyncio.get_running_loop().time() + every  # else: again in a second
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await fleet.stop()
    return asyncio.get_running_loop().time() - started


async def count_sent(sessions: Any) -> int:
    """How many reminders are ``sent`` (or further: delivered, read)."""
    async with sessions() as db:
        return int(await db.scalar(select(func.count()).select_from(Reminder)
                                   .where(Reminder.status.in_(("sent", "delivered", "read")))) or 0)


async def _live_leases(sessions: Any) -> dict[str, str]:
    """``{credential: holder}`` of the leases that have not expired."""
    async with sessions() as db:
        leases = (await db.scalars(select(ChannelLease))).all()
    now = datetime.now(UTC)
    return {lease.credential: lease.holder for lease in leases if lease.expires_at > now}


def tally(tg: FakeBotAPI, wa: FakeGraphAPI) -> dict[str, Any]:
    """What the fakes received: sends per Telegram text and per WhatsApp key, throttling answers."""
    return {"telegram": Counter(call["text"] for call in tg.sent()),
            "whatsapp": Counter(call["biz_opaque_callback_data"] for call in wa.sent()),
            "telegram_429": tg.count("sendMessage", 429),
            "whatsapp_429": wa.errors(130429) + wa.errors(131056)}
