"""What both fakes share: a loopback server and an independent rate check."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web


class Allowance:
    """A platform-side rate check (``rate``/s, bursts of ``burst``), written apart from the bot's
    own buckets so a mistake there is not mirrored here. Returns the seconds to wait, 0 = ok."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def spend(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Call:
    """One request the fake received: the method (or path), its parameters, when, the status."""

    method: str
    params: dict
    at: float
    status: int = 200
    extra: dict = field(default_factory=dict)


class LoopbackServer:
    """Runs an aiohttp app on an ephemeral 127.0.0.1 port."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._down_until = 0.0
        self.refused = 0  # requests answered 502 during an outage

    def outage(self, seconds: float) -> None:
        """From now on, for ``seconds``, answer every request ``502 Bad Gateway`` (the platform is down)."""
        self._down_until = time.monotonic() + seconds

    @property
    def down(self) -> bool:
        return time.monotonic() < self._down_until

    def bad_gateway(self) -> web.Response:
        """What a platform's front end answers while the service behind it is down."""
        self.refused += 1
        return web.Response(status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                            content_type="text/html")

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
