"""The dispatcher: sends planned reminders once each, at the platform's rate, from N processes.

For every channel credential whose lease it holds (:mod:`bot.broadcasts.leases`), a dispatcher
claims due reminders of active campaigns (``planned → sending``, with ``claimed_by`` and
``claimed_until`` = its lease's expiry), re-checks each just before the send (a STOP wins), and
hands the rest to the one :class:`~bot.delivery.sender.Sender` at ``BULK`` priority under the
outbox keys ``<reminder key>:<part>``. The sender owns rates and retries; the dispatcher reads
the outbox rows' outcomes back in batches and records ``sent`` / ``failed`` on the reminders,
then ``delivered`` / ``read`` from WhatsApp's status webhooks.

A dispatcher that dies leaves rows ``sending`` with a claim that runs out with its lease. The next
holder reclaims them and reconciles each through its outbox key, never blindly: a row already
sent or failed is recorded as such, a row still ``pending`` is resumed, and only a row the outbox
never saw is sent for the first time. What this guarantees is spelled out in docs/reminders.md
("Dispatch").
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.broadcasts import claims
from bot.broadcasts.leases import Leases
from bot.delivery import bulk
from bot.delivery.sender import BULK, Sender, TemplateRequired

log = logging.getLogger("suara.dispatcher")

#: Channels whose status webhooks report delivered / read (Telegram reports neither).
REPORTING_CHANNELS = frozenset({"whatsapp"})
REPORT_EVERY = 2.0  # seconds between copies of delivery reports


def holder_name() -> str:
    """A name for this dispatcher that no other process shares: host, pid and a random tail."""
    return f"{platform.node()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def template_body(template: Mapping[str, Any]) -> dict[str, Any]:
    """A reminder's ``{"name", "language", "parameters"}`` as a Cloud API ``template`` body."""
    values = [str(value) for value in template.get("parameters") or []]
    components = [{"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}] if values else []
    return {"type": "template", "template": {"name": str(template["name"]),
                                             "language": {"code": str(template["language"])},
                                             "components": components}}


class Dispatcher:
    """Claims, re-checks and sends due reminders for the channels in ``credentials``.

    ``credentials`` maps a channel (``telegram``) to its credential's lease name
    (``telegram:<bot id>``); ``batch_size`` bounds both one claim and the reminders in flight per
    channel. On channels without an idempotency key (:data:`bulk.UNKEYED`) those go to the
    platform one at a time (:class:`bulk.OneAtATime`), so a killed dispatcher leaves at most one
    send that Telegram accepted and nobody recorded: at most one duplicate per crash.
    """

    def __init__(
        self, sessions: claims.Sessions, sender: Sender, credentials: Mapping[str, str], *,
        clock: Callable[[], datetime], lease_timeout: float, batch_size: int, holder: str | None = None,
        idle_wait: float = 0.2,
    ) -> None:
        self.holder = holder or holder_name()
        self._sessions, self._sender, self._clock = sessions, sender, clock
        self._credentials = {c: name for c, name in credentials.items() if sender.handles(c)}
        self._leases = Leases(sessions, self.holder, lease_timeout, clock)
        self._renew_every = min(1.0, lease_timeout / 3)
        self._grace = timedelta(seconds=lease_timeout)
        self._batch, self._idle_wait = batch_size, idle_wait
        self._held: dict[str, datetime] = {}  # channel → lease expiry
        self._in_flight: dict[str, dict[int, list[str]]] = {c: {} for c in self._credentials}
        # Platforms without an idempotency key send one message at a time, and only while the
        # lease is held: a crash repeats at most one of them (docs/reminders.md, "Guarantees").
        self._feeds = {c: bulk.OneAtATime(sender, c, lambda c=c: self.holds(c))
                       for c in self._credentials if c in bulk.UNKEYED}
        self._reported = 0.0

    def holds(self, channel: str) -> bool:
        """Whether this dispatcher holds ``channel``'s lease now."""
        expiry = self._held.get(channel)
        return expiry is not None and expiry > self._clock()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set, then settle what it can and give the leases back.

        Leases are kept by a task of their own, so a slow round of sending never delays a renewal.
        """
        log.info("dispatcher_started", extra={"holder": self.holder, "channels": sorted(self._credentials)})
        keeper = asyncio.create_task(self._keep_leases(stop))
        try:
            while not stop.is_set():
                busy = await self._guarded(self.step)
                if not busy:
                    await _wait(stop, self._idle_wait)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            await self._stop()

    async def keep_leases(self) -> None:
        """Take or renew the lease of every credential; extend the claims made under each."""
        for channel, credential in self._credentials.items():
            had = self.holds(channel)
            expiry = await self._leases.hold(credential)
            if expiry is None:
                self._held.pop(channel, None)
                if had:
                    log.warning("lease_lost", extra={"credential": credential, "holder": self.holder})
                continue
            if not had and channel in self._held:
                log.warning("lease_lapsed", extra={"credential": credential, "holder": self.holder})
            self._held[channel] = expiry
            await claims.extend(self._sessions, channel, self.holder, expiry)

    async def step(self) -> bool:
        """One round over the channels; True when it claimed rows (so no pause before the next)."""
        busy = False
        for channel in self._credentials:
            await self._put_back(channel)
            await self._settle(channel)
            if self.holds(channel):
                busy |= await self._fill(channel)
        if time.monotonic() - self._reported >= REPORT_EVERY:
            self._reported = time.monotonic()
            for channel in REPORTING_CHANNELS & set(self._credentials):
                if self.holds(channel):
                    await claims.copy_delivery_reports(self._sessions, channel, self._clock())
        return busy

    async def _keep_leases(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._guarded(self.keep_leases)
            await _wait(stop, self._renew_every)

    async def _guarded(self, work: Callable[[], Awaitable[bool | None]]) -> bool:
        """Run ``work``; a database that went away is logged and tried again on the next round."""
        try:
            return bool(await work())
        except (OperationalError, DBAPIError, OSError) as exc:
            log.warning("dispatch_round_failed", extra={"error": f"{type(exc).__name__}: {exc}"[:200]})
            return False

    async def _fill(self, channel: str) -> bool:
        """Claim what fits in flight (abandoned rows first), re-check it, hand it to the sender."""
        in_flight = self._in_flight[channel]
        room = self._batch - len(in_flight)
        if room < max(1, self._batch // 2):
            return False
        until, now = self._held[channel], self._clock()
        ids = await claims.claim(self._sessions, channel, self.holder, until, now, room,
                                 abandoned_before=now - self._grace)
        ids += await claims.claim(self._sessions, channel, self.holder, until, now, room - len(ids))
        if not ids:
            return False
        outcomes: dict[int, claims.Outcome] = {}
        sends: dict[int, list[bulk.Item]] = {}
        for row in await claims.load(self._sessions, channel, ids):
            if row.id in in_flight:  # our own claim ran out while we were cut off: still ours to settle
                continue
            stopped = claims.recheck(row)
            bodies = [] if stopped else self._bodies(channel, row)
            if stopped or not bodies:
                outcomes[row.id] = stopped or claims.Outcome("failed", "empty")
            else:
                sends[row.id] = [(row.external_id or "", f"{row.key}:{i}", body) for i, body in enumerate(bodies)]
        outcomes |= await self._hand_over(channel, sends)
        await claims.finish(self._sessions, outcomes, self._clock())
        return True

    def _bodies(self, channel: str, row: claims.Claimed) -> list[dict[str, Any]]:
        if channel == "whatsapp" and row.template:
            return [template_body(row.template)]
        return bulk.render_text(self._sender, channel, row.external_id or "", row.text or "") if row.text else []

    async def _hand_over(self, channel: str, sends: dict[int, list[bulk.Item]]) -> dict[int, claims.Outcome]:
        """Send what the outbox never saw; resume what it holds pending; the rest settles by itself."""
        if not sends:
            return {}
        known = await claims.outbox_states(self._sessions, [key for items in sends.values() for _, key, _ in items])
        fresh = {rid: items for rid, items in sends.items() if items[0][1] not in known}
        feed = self._feeds.get(channel)
        await bulk.resume(self._sender, [key for key, (status, _) in known.items() if status == "pending"], feed=feed)
        refused: dict[int, claims.Outcome] = {}
        try:
            await bulk.send_many(self._sender, channel, [item for items in fresh.values() for item in items], BULK,
                                 feed=feed)
        except TemplateRequired:  # some voters are outside the service window: find which, one by one
            for rid, items in fresh.items():
                try:
                    await bulk.send_many(self._sender, channel, items, BULK, feed=feed)
                except TemplateRequired:
                    refused[rid] = claims.Outcome("failed", "whatsapp_window")
        self._in_flight[channel].update({rid: [key for _, key, _ in items]
                                         for rid, items in sends.items() if rid not in refused})
        return refused

    async def _put_back(self, channel: str) -> None:
        """Reminders whose sends were dropped unsent (the lease ran out) go back to ``planned``:
        whoever holds the lease next claims them and resumes their ``pending`` outbox rows."""
        feed = self._feeds.get(channel)
        if feed is None or not feed.dropped:
            return
        dropped, in_flight = set(feed.dropped), self._in_flight[channel]
        ids = [rid for rid, keys in in_flight.items() if dropped.intersection(keys)]
        await claims.finish(self._sessions, {rid: claims.Outcome("planned") for rid in ids}, self._clock())
        for rid in ids:
            del in_flight[rid]
        feed.dropped.clear()

    async def _settle(self, channel: str) -> bool:
        """Record the reminders whose outbox rows are all sent or failed now."""
        in_flight = self._in_flight[channel]
        if not in_flight:
            return False
        states = await claims.outbox_states(self._sessions, [key for keys in in_flight.values() for key in keys])
        outcomes: dict[int, claims.Outcome] = {}
        for rid, keys in in_flight.items():
            if all(key in states for key in keys) and (outcome := claims.send_outcome([states[k] for k in keys])):
                outcomes[rid] = outcome
        for rid in outcomes:
            del in_flight[rid]
        await claims.finish(self._sessions, outcomes, self._clock())
        return bool(outcomes)

    async def _stop(self, drain_timeout: float = 5.0) -> None:
        """Let the sender finish what it can, record it, and give the leases back.

        Reminders still in flight keep their claim until the lease would have expired, so a
        dispatcher taking over resumes them only once this process can no longer send them.
        """
        for feed in self._feeds.values():
            await feed.close(drain_timeout)
        try:
            await self._sender.drain(timeout=drain_timeout)
        except TimeoutError:
            pass
        try:
            for channel, credential in self._credentials.items():
                await self._settle(channel)
                if channel in self._held:
                    await self._leases.release(credential)
        except (OperationalError, DBAPIError, OSError) as exc:
            log.warning("dispatcher_stop_incomplete", extra={"error": f"{type(exc).__name__}: {exc}"[:200]})
        log.info("dispatcher_stopped", extra={"holder": self.holder,
                                              "in_flight": sum(len(f) for f in self._in_flight.values())})


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
