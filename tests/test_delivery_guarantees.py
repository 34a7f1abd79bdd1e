"""Delivery that survives outages and restarts, and a STOP that wins over every queued send (issue 18).

The sender against an in-process transport that can be "down" (raising ``Transient`` as the
real transports do for a 5xx or a refused connection), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.loop import utcnow
from bot.conversation.messages import OutboundMessage
from bot.delivery import bulk
from bot.delivery.sender import Limits, Sender, Transient
from bot.settings import Settings
from bot.storage.models import Contact, Message, OutboxMessage
from dbread import rows
from reminder_rows import add_voters

Sessions = async_sessionmaker[AsyncSession]


class Platform:
    """Delivers unless down (until ``down_until`` on the monotonic clock), or hangs when frozen."""

    channel = "test"
    service_window: timedelta | None = None
    limits = Limits(1000, 1000, 1000, 1000)

    def __init__(self, down_for: float = 0.0) -> None:
        self.down_until = time.monotonic() + down_for
        self.frozen = False
        self.delivered: list[tuple[str, str]] = []
        self.refused = 0

    def render(self, message: Any) -> list[dict[str, Any]]:
        return [{"text": message.text}]

    async def deliver(self, external_id: str, body: dict[str, Any], key: str) -> str:
        if self.frozen:
            await asyncio.Event().wait()
        if time.monotonic() < self.down_until:
            self.refused += 1
            raise Transient("HTTP 502: Bad Gateway")
        self.delivered.append((external_id, body["text"]))
        return f"p-{len(self.delivered)}"


def sender_for(sessions: Sessions, platform: Platform, **options: Any) -> tuple[Sender, list[tuple[str, str]]]:
    drops: list[tuple[str, str]] = []
    options.setdefault("backoff", 0.02)
    options.setdefault("backoff_cap", 0.1)
    sender = Sender(sessions, [platform], clock=utcnow, on_drop=lambda channel, reason: drops.append((channel, reason)),
                    **options)
    return sender, drops


async def test_a_reply_outlives_an_outage_longer_than_five_quick_attempts(sessions: Sessions, settings: Settings) -> None:
    platform = Platform(down_for=1.0)  # the old sender gave up after 5 attempts within about 10 backoffs
    sender, drops = sender_for(sessions, platform)
    await sender.send_bodies("test", "voter", [{"text": "TPS buka pukul 07.00"}], key="r1")
    await sender.drain(10)
    assert platform.refused > 5 and platform.delivered == [("voter", "TPS buka pukul 07.00")]
    (row,) = await rows(settings, OutboxMessage)
    assert row.status == "sent" and drops == []
    await sender.close()


async def test_a_reply_older_than_its_lifetime_is_dropped_as_expired_and_never_sent_late(
    sessions: Sessions, settings: Settings
) -> None:
    platform = Platform(down_for=1.0)
    sender, drops = sender_for(sessions, platform, reply_lifetime=timedelta(seconds=0.4))
    await sender.send_bodies("test", "voter", [{"text": "jawaban lama"}], key="old")
    await sender.drain(10)
    await asyncio.sleep(max(0.0, platform.down_until - time.monotonic()))  # the platform is back
    await sender.send_bodies("test", "voter", [{"text": "jawaban baru"}], key="new")
    await sender.drain(10)
    assert platform.delivered == [("voter", "jawaban baru")]
    stored = {r.idempotency_key: r for r in await rows(settings, OutboxMessage)}
    assert stored["old:0"].status == "failed" and stored["old:0"].error.startswith("expired")
    assert drops == [("test", "expired")]
    await sender.close()


async def test_pending_replies_resume_after_a_restart_and_reminder_rows_are_left_to_the_dispatcher(
    sessions: Sessions, settings: Settings
) -> None:
    await add_voters(sessions, "test", ["other"])
    frozen = Platform()
    frozen.frozen = True
    first, _ = sender_for(sessions, frozen)
    await first.send_bodies("test", "voter", [{"text": "balasan"}], key="reply")
    await bulk.send_many(first, "test", [("other", "c:h-1:7:0", {"text": "pengingat"})])
    await asyncio.sleep(0.1)
    await first.close()  # the process stops with both pending

    platform = Platform()
    second, _ = sender_for(sessions, platform)
    assert await second.start() == 1
    await second.drain(10)
    assert platform.delivered == [("voter", "balasan")]
    stored = {r.idempotency_key: r for r in await rows(settings, OutboxMessage)}
    assert stored["reply:0"].status == "sent" and stored["reply:0"].kind == "reply"
    assert stored["c:h-1:7:0"].status == "pending" and stored["c:h-1:7:0"].kind == "reminder"
    await second.close()


async def test_rows_left_pending_wait_for_status_reports_before_they_are_sent_again(
    sessions: Sessions, settings: Settings
) -> None:
    frozen = Platform()
    frozen.frozen = True
    first, _ = sender_for(sessions, frozen)
    await first.send_bodies("test", "a", [{"text": "sudah diterima platform"}], key="accepted")
    await first.send_bodies("test", "b", [{"text": "belum terkirim"}], key="lost")
    await asyncio.sleep(0.1)
    await first.close()

    platform = Platform()
    second, _ = sender_for(sessions, platform, reconcile={"test": 0.5})
    assert await second.start() == 2
    await asyncio.sleep(0.1)
    assert platform.delivered == [], "nothing is resent before the platform could report it"
    # The platform's status report for the first arrives during the wait (what WhatsApp's webhook does).
    async with sessions() as db, db.begin():
        row = (await db.execute(OutboxMessage.__table__.select().where(
            OutboxMessage.idempotency_key == "accepted:0"))).one()
        await db.execute(OutboxMessage.__table__.update().where(OutboxMessage.id == row.id)
                         .values(status="sent", platform_message_id="wamid.reported"))
    await second.drain(10)
    assert platform.delivered == [("b", "belum terkirim")]
    await second.close()


async def _voter_who_stopped(sessions: Sessions) -> tuple[int, int, int]:
    """A voter answered once (message a), who then sent STOP and got its confirmation (message c).

    Returns the ids of the old answer, the STOP and the confirmation, stored as the loop stores them.
    """
    (contact_id,) = await add_voters(sessions, "test", ["voter"])
    now = datetime.now(UTC)
    async with sessions() as db, db.begin():
        ids = []
        for direction, text, intent in (("out", "jawaban lama", None), ("in", "STOP", "opt_out"),
                                        ("out", "Anda berhenti berlangganan", None)):
            message = Message(contact_id=contact_id, direction=direction, channel="test", text=text, intent=intent,
                              created_at=now)
            db.add(message)
            await db.flush()
            ids.append(message.id)
        (await db.get(Contact, contact_id)).opted_out = True
    return ids[0], ids[1], ids[2]


async def test_after_stop_an_earlier_answer_recorded_late_is_not_sent_but_the_confirmation_is(
    sessions: Sessions, settings: Settings
) -> None:
    old, _stop, confirmation = await _voter_who_stopped(sessions)
    platform = Platform()
    sender, drops = sender_for(sessions, platform)
    # The old answer reaches the outbox only after the STOP's transaction (the race the re-check closes).
    await sender.send_replies([OutboundMessage("test", "voter", "jawaban lama", stored_id=old),
                               OutboundMessage("test", "voter", "Anda berhenti berlangganan", stored_id=confirmation)])
    await sender.drain(10)
    assert platform.delivered == [("voter", "Anda berhenti berlangganan")]
    assert drops == [("test", "opted_out")]
    await sender.close()


async def test_a_reminder_row_goes_only_to_a_voter_who_still_consents(sessions: Sessions, settings: Settings) -> None:
    await add_voters(sessions, "test", ["consents"])
    await add_voters(sessions, "test", ["withdrew"], consent=False)
    platform = Platform()
    sender, drops = sender_for(sessions, platform)
    await bulk.send_many(sender, "test", [("consents", "c:h-1:1:0", {"text": "pengingat"}),
                                          ("withdrew", "c:h-1:2:0", {"text": "pengingat"})])
    await sender.drain(10)
    assert platform.delivered == [("consents", "pengingat")] and drops == [("test", "no_consent")]
    await sender.close()
