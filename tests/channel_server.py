"""Running the real app with messaging channels pointed at the fake platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.app import create_app
from bot.channels.messaging import MESSAGING, Messaging
from bot.settings import Settings


@dataclass
class Running:
    url: str
    app: web.Application

    @property
    def messaging(self) -> Messaging:
        return self.app[MESSAGING]

    async def settle(self, timeout: float = 20) -> None:
        """Wait until every accepted event was processed and every send finished."""
        await self.messaging.inbox.drain(timeout)
        await self.messaging.sender.drain(timeout)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Running]:
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Running(f"http://127.0.0.1:{port}", app)
    finally:
        await runner.cleanup()
