"""The optional Rasa backend: a real Rasa server decides the intent (``SUARA_NLU_BACKEND=rasa``).

Our own ``nlu.parse`` still runs first: it masks personal identifiers (Rasa only ever sees the
redacted text), and computes the language, signals and sentence vector the rest of the bot uses.
Rasa's ``POST /model/parse`` answer then supplies the intent, ranking and entities
(:func:`nlu.rasa_json.apply_rasa_answer`). When Rasa is down or answers nonsense, the message keeps
our own understanding and a warning is logged: a voter never waits on, or sees, a Rasa failure.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from aiohttp import ClientError, ClientSession, ClientTimeout

import nlu
from nlu.rasa_json import RasaResponseError, apply_rasa_answer

from bot.understanding.local import LocalNlu

log = logging.getLogger("suara.rasa")


class RasaNlu:
    """Understanding through a Rasa 3 server's HTTP API (``rasa run --enable-api``)."""

    def __init__(self, url: str, timeout_seconds: float, local: LocalNlu) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self._timeout = ClientTimeout(total=timeout_seconds)
        self._local = local
        self._session: ClientSession | None = None

    async def parse(self, text: str, language: nlu.Language, today: date | None = None) -> nlu.ParseResult:
        result = await self._local.parse(text, language, today)
        if not result.normalised:
            return result
        try:
            answer = await self.ask(result.redacted)
            return apply_rasa_answer(result, answer)
        except (ClientError, asyncio.TimeoutError, ValueError, RasaResponseError) as exc:
            log.warning("rasa_unavailable", extra={"url": self.url, "error": f"{type(exc).__name__}: {exc}"[:200]})
            return result

    async def ask(self, text: str) -> object:
        """POST ``text`` to ``/model/parse`` and return the decoded JSON answer."""
        if self._session is None or self._session.closed:
            self._session = ClientSession(timeout=self._timeout)
        async with self._session.post(self.url, json={"text": text}) as response:
            response.raise_for_status()
            return await response.json(content_type=None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
