"""A tiny client for the web chat API, shared by tests and benchmarks."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import ClientSession


class WebVoter:
    """One voter talking to the server through ``POST /api/web/messages``."""

    def __init__(self, http: ClientSession, base_url: str, contact: str | None = None) -> None:
        self.http, self.base_url = http, base_url
        self.contact = contact or uuid.uuid4().hex

    async def post(self, *, message_id: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"contact": self.contact, "id": message_id or uuid.uuid4().hex, **fields}
        async with self.http.post(f"{self.base_url}/api/web/messages", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def say(self, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        return (await self.post(text=text, **kwargs))["replies"]

    async def press(self, payload: str) -> list[dict[str, Any]]:
        return (await self.post(payload=payload))["replies"]
