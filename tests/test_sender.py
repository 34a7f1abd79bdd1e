"""The outbound sender: buckets, priority, retries, idempotency and resuming after a crash."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest

from bot.channels.text import split_text
from bot.storage.models import OutboxMessage
from bot.conversation.loop import utcnow
from bot.delivery.ratelimit import PriorityLimiter, TokenBucket
from bot.delivery.sender import BULK, REPLY, Limits, Sender, SendError, Transient
from bot.settings import Settings
from dbread import rows


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate_and_honours_a_pause() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.take() == 0 and not bucket.idle
    bucket.pause(3)
    assert bucket.take() == pytest.approx(3)
    clock.now += 3
    assert bucket.take() == pytest.approx(0.5), "a bucket starts empty after a pause"
    clock.now += 10
    assert bucket.idle and bucket.take() == 0


async def test_the_limiter_serves_the_most_urgent_waiter_first() -> None:
    limiter = PriorityLimiter(TokenBucket(rate=50, burst=1))
    await limiter.acquire(BULK)  # takes the only saved token
    order: list[str] = []

    async def wait(name: str, priority: int) -> None:
        await limiter.acquire(priority)
        order.append(name)

    tasks = [asyncio.create_task(wait(f"bulk{i}", BULK)) for i in range(5)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(wait("reply", REPLY)))
    await asyncio.gather(*tasks)
    assert order[0] == "reply" and order[1:] == [f"bulk{i}" for i in range(5)]
    await limiter.close()


def test_split_text_prefers_paragraphs_then_lines_then_spaces() -> None:
    assert split_text("pendek", 10) == ["pendek"]
    assert split_text("satu dua\n\ntiga empat", 12) == ["satu dua", "tiga empat"]
    assert split_text("aaaa bbbb cccc", 9) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


class Recorder:
    """An in-process transport: records deliveries, fails as scripted."""

    channel = "test"
    service_window: timedelta | None = None

    def __init__(self, limits: Limits = Limits(1000, 1000, 1000, 1000), failures: dict[str, list[SendError]] | None = None,
                 delay: float = 0.0) -> None:
        self.limits, self.failures, self.delay = limits, failures or {}, delay
        self.delivered: list[tuple[str, str]] = []
        self.attempts: list[str] = []

    def render(self, message: Any) -> list[dict[str, Any]]:
        return [{"text": message.text}]

    async def deliver(self, external_id: str, body: dict[str, Any], key: str) -> str:
        self.attempts.append(key)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures.get(key):
            raise self.failures[key].pop(0)
        self.delivered.append((external_id, body["text"]))
        return f"p-{len(self.delivered)}"


def make_sender(sessions: Any, transport: Recorder) -> Sender:
    return Sender(sessions, [transport], clock=utcnow, backoff=0.01, backoff_cap=0.05, max_attempts=3)


async def test_replies_to_waiting_voters_go_before_bulk_sends(sessions: Any) -> None:
    transport = Recorder(Limits(rate=20, burst=1, path_rate=100, path_burst=10))
    sender = make_sender(sessions, transport)
    for n in range(20):
        await sender.send_bodies("test", f"c{n}", [{"text": f"bulk {n}"}], key=f"bulk-{n}", priority=BULK)
    await sender.send_bodies("test", "waiting", [{"text": "reply"}], key="reply-1", priority=REPLY)
    already = len(transport.delivered)
    await sender.drain(10)
    texts = [text for _, text in transport.delivered]
    assert already < 15, "the test needs bulk sends still waiting"
    # Once recorded, the reply takes the next token (one bulk send may already hold one).
    assert len(texts) == 21 and texts.index("reply") <= already + 1
    await sender.close()


async def test_transient_failures_are_retried_in_order_and_then_given_up(sessions: Any, settings: Settings) -> None:
    transport = Recorder(failures={
        "one-1:0": [Transient("HTTP 502"), Transient("timed out")],
        "doomed:0": [Transient("HTTP 500")] * 5,
    })
    sender = make_sender(sessions, transport)
    for n in range(4):
        await sender.send_bodies("test", "chat", [{"text": f"m{n}"}], key=f"one-{n}")
    await sender.send_bodies("test", "other", [{"text": "doomed"}], key="doomed")
    await sender.drain(10)
    assert [text for chat, text in transport.delivered if chat == "chat"] == ["m0", "m1", "m2", "m3"]
    stored = {r.idempotency_key: r for r in await rows(settings, OutboxMessage)}
    assert stored["one-1:0"].status == "sent" and stored["one-1:0"].attempts == 3
    assert stored["doomed:0"].status == "failed" and "gave up after 3 attempts" in stored["doomed:0"].error
    await sender.close()


async def test_the_same_key_is_recorded_and_sent_once(sessions: Any, settings: Settings) -> None:
    transport = Recorder()
    sender = make_sender(sessions, transport)
    for _ in range(3):
        await sender.send_bodies("test", "chat", [{"text": "sekali"}], key="once")
    await sender.drain(10)
    assert transport.delivered == [("chat", "sekali")]
    assert len(await rows(settings, OutboxMessage)) == 1
    await sender.close()


async def test_a_crash_before_sending_is_resumed_without_loss_or_duplicates(sessions: Any, settings: Settings) -> None:
    class Stalling(Recorder):
        """Delivers five messages, then hangs as if the process froze before sending more."""

        async def deliver(self, external_id: str, body: dict[str, Any], key: str) -> str:
            if len(self.delivered) >= 5:
                await asyncio.Event().wait()
            return await super().deliver(external_id, body, key)

    stalling = Stalling()
    first = make_sender(sessions, stalling)
    for n in range(30):
        await first.send_bodies("test", f"c{n % 7}", [{"text": f"m{n}"}], key=f"k{n}")
    while len([r for r in await rows(settings, OutboxMessage) if r.status == "sent"]) < 5:
        await asyncio.sleep(0.02)
    await first.close()  # the process dies with 25 messages recorded but not sent

    after = Recorder()
    second = make_sender(sessions, after)
    assert await second.start() == 25
    await second.drain(10)
    everything = [text for _, text in stalling.delivered + after.delivered]
    assert sorted(everything) == sorted(f"m{n}" for n in range(30)), "lost or duplicated"
    assert {r.status for r in await rows(settings, OutboxMessage)} == {"sent"}
    await second.close()


async def test_sending_keeps_to_the_configured_rate(sessions: Any) -> None:
    transport = Recorder(Limits(rate=40, burst=1, path_rate=40, path_burst=1))
    sender = make_sender(sessions, transport)
    started = time.monotonic()
    for n in range(40):
        await sender.send_bodies("test", f"c{n}", [{"text": "x"}], key=f"r{n}")
    await sender.drain(10)
    assert time.monotonic() - started >= 0.9  # 40 sends at 40/s with no saved burst: about a second
    await sender.close()
