"""Run N worker processes on one port and keep N running (``suara serve --workers N``).

Each worker is a fresh interpreter (``spawn``, never ``fork``: torch's thread pools and a
parent's event loop do not survive a fork) that builds its own application and listens on the
same host and port with ``SO_REUSEPORT``, so the kernel spreads connections across them and no
process sits in the middle of a request. This supervisor only starts, watches and stops them:

- a worker that dies is logged with its exit code and started again, after a pause that grows
  while workers keep dying within :data:`QUICK_DEATH_SECONDS` of their start (a broken setting
  must not become a busy loop);
- SIGINT (Ctrl-C) and SIGTERM stop every worker (SIGTERM, which aiohttp turns into a graceful
  shutdown), wait up to :data:`STOP_GRACE_SECONDS`, then kill what is left.

Why not gunicorn's aiohttp worker: it is another dependency and another configuration language
for what is ~150 lines here, and gunicorn's master owns the socket and forks after importing the
app, which is exactly what torch does not survive.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType

log = logging.getLogger("suara.workers")

QUICK_DEATH_SECONDS = 10.0  # a worker that dies sooner than this after its start is "crashing"
MAX_RESTART_PAUSE = 30.0
STOP_GRACE_SECONDS = 30.0

#: What a worker runs: ``target(index, ready)``, sending its pid on ``ready`` once it accepts
#: connections. Must be a module-level function (it is pickled into the new process).
WorkerTarget = Callable[[int, Connection], None]


@dataclass
class _Slot:
    """One of the N places a worker runs in, and the process currently in it."""

    index: int
    process: BaseProcess | None = None
    ready: Connection | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float = 0.0


@dataclass
class Supervisor:
    """Starts ``count`` workers running ``target`` and keeps them running until stopped."""

    target: WorkerTarget
    count: int
    on_all_ready: Callable[[], None] = lambda: None
    _slots: list[_Slot] = field(default_factory=list)
    _stopping: bool = False
    _announced: bool = False

    def run(self) -> int:
        """Block until SIGINT/SIGTERM; returns the exit status for the command."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._slots = [_Slot(index) for index in range(self.count)]
            for slot in self._slots:
                self._start(slot)
            while not self._stopping:
                self._watch_once()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stop_all()
        return 0

    def pids(self) -> list[int]:
        return [slot.process.pid for slot in self._slots if slot.process and slot.process.pid]

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        if not self._stopping:
            log.info("workers_stopping", extra={"signal": signal.Signals(signum).name})
        self._stopping = True

    def _start(self, slot: _Slot) -> None:
        receiver, sender = multiprocessing.Pipe(duplex=False)
        process = multiprocessing.get_context("spawn").Process(
            target=self.target, args=(slot.index, sender), name=f"suara-worker-{slot.index}", daemon=False)
        process.start()
        sender.close()  # the worker holds its own copy; ours would keep the pipe open forever
        slot.process, slot.ready, slot.started = process, receiver, time.monotonic()
        log.info("worker_started", extra={"worker": slot.index, "pid": process.pid})

    def _watch_once(self) -> None:
        waiting = {slot.ready: slot for slot in self._slots if slot.ready is not None}
        exits = {slot.process.sentinel: slot for slot in self._slots if slot.process is not None}
        due = [slot.restart_at for slot in self._slots if slot.process is None]
        timeout = max(0.0, min(due) - time.monotonic()) if due else 1.0
        for ready in wait([*waiting, *exits], timeout=min(timeout, 1.0)):
            if ready in waiting:
                self._note_ready(waiting[ready])  # type: ignore[index]
            elif ready in exits:
                self._note_exit(exits[ready])  # type: ignore[index]
        now = time.monotonic()
        for slot in self._slots:
            if slot.process is None and now >= slot.restart_at and not self._stopping:
                self._start(slot)

    def _note_ready(self, slot: _Slot) -> None:
        assert slot.ready is not None
        try:
            pid = slot.ready.recv()
        except (EOFError, OSError):  # died before it was ready: the exit is noted separately
            pid = None
        slot.ready.close()
        slot.ready = None
        if pid is None:
            return
        log.info("worker_ready", extra={"worker": slot.index, "pid": pid})
        if not self._announced and all(s.ready is None and s.process is not None for s in self._slots):
            self._announced = True
            self.on_all_ready()

    def _note_exit(self, slot: _Slot) -> None:
        assert slot.process is not None
        slot.process.join()
        code, pid = slot.process.exitcode, slot.process.pid
        if slot.ready is not None:
            slot.ready.close()
        slot.process, slot.ready = None, None
        if self._stopping:
            return
        lived = time.monotonic() - slot.started
        slot.quick_deaths = slot.quick_deaths + 1 if lived < QUICK_DEATH_SECONDS else 0
        pause = min(MAX_RESTART_PAUSE, 0.5 * 2 ** slot.quick_deaths) if slot.quick_deaths else 0.0
        slot.restart_at = time.monotonic() + pause
        log.error("worker_died", extra={"worker": slot.index, "pid": pid, "exit_code": code,
                                        "seconds_alive": round(lived, 1), "restart_in_seconds": pause})

    def _stop_all(self) -> None:
        running = [slot.process for slot in self._slots if slot.process is not None and slot.process.is_alive()]
        for process in running:
            _signal(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("worker_killed", extra={"pid": process.pid})
                process.kill()
                process.join()
        log.info("workers_stopped", extra={"workers": len(running)})


def _signal(process: BaseProcess, signum: int) -> None:
    if process.pid is not None:
        try:
            os.kill(process.pid, signum)
        except ProcessLookupError:
            pass
