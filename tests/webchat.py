"""A tiny client for the web chat API, shared by tests, benchmarks and scripts.

Every caller gets its contact id from the server (``POST /api/web/contacts``), as the widget
does: the server refuses ids it did not issue.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import ClientSession


async def issued_contact(http: ClientSession, base_url: str) -> str:
    """A contact id the server at ``base_url`` issued."""
    async with http.post(f"{base_url}/api/web/contacts") as response:
        assert response.status == 201, await response.text()
        return (await response.json())["contact"]


class WebVoter:
    """One voter talking to the server through ``POST /api/web/messages``.

    ``contact`` is asked of the server on the first message unless given (an issued id).
    """

    def __init__(self, http: ClientSession, base_url: str, contact: str | None = None) -> None:
        self.http, self.base_url = http, base_url
        self.contact = contact
        self._issuing = asyncio.Lock()  # concurrent first messages share one id

    async def post(self, *, message_id: str | None = None, **fields: Any) -> dict[str, Any]:
        async with self._issuing:
            if self.contact is None:
                self.contact = await issued_contact(self.http, self.base_url)
        body = {"contact": self.contact, "id": message_id or uuid.uuid4().hex, **fields}
        async with self.http.post(f"{self.base_url}/api/web/messages", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def say(self, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        return (await self.post(text=text, **kwargs))["replies"]

    async def press(self, payload: str) -> list[dict[str, Any]]:
        return (await self.post(payload=payload))["replies"]
