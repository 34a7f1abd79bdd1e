"""A fake Telegram Bot API (https://core.telegram.org/bots/api) on loopback.

Answers ``/bot<token>/<method>`` like the real server: ``{"ok": true, "result": …}``, or
``{"ok": false, "error_code": …, "description": …, "parameters": {"retry_after": …}}``.
It enforces the documented limits (about 30 messages/s overall, about 1/s per chat with
short bursts), answers 403 for chats that blocked the bot, records every request, and delivers
updates either to the registered webhook (with the secret header) or through ``getUpdates``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from typing import Any

from aiohttp import ClientSession, web

from .common import Allowance, Call, LoopbackServer

BOT_USER = {"id": 0, "is_bot": True, "first_name": "Suara", "username": "suara_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


class FakeBotAPI(LoopbackServer):
    def __init__(self, token: str, *, rate: float = 30, chat_rate: float = 1, chat_burst: int = 3,
                 answer_delay: float = 0.0) -> None:
        """``answer_delay``: seconds each ``sendMessage`` takes (a network round trip);
        ``max_in_flight`` then shows how many the bot had under way at once."""
        self.token = token
        self.answer_delay = answer_delay
        self.in_flight = self.max_in_flight = 0
        self.bot_id = int(token.split(":")[0])
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        super().__init__(app)
        self.calls: list[Call] = []
        self.delivered: list[dict[str, Any]] = []  # the Message objects of accepted sendMessage calls
        self.blocked: set[int] = set()
        self.scripted: dict[int, list[tuple[int, int | None]]] = {}
        self.webhook: dict[str, str] | None = None
        # getUpdates misbehaving: answering at once with nothing, or failing with this status
        self.long_poll, self.poll_status = True, None
        self._overall = Allowance(rate, rate + 1)  # +1: a request's latency is not the sender's fault
        self._chat_rate, self._chat_burst = chat_rate, chat_burst + 1
        self._chats: dict[int, Allowance] = {}
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(5000)
        self._queue: list[dict[str, Any]] = []
        self._queued = asyncio.Event()

    @property
    def base_url(self) -> str:
        """What ``SUARA_TELEGRAM_API_URL`` (PTB's ``base_url``) points at."""
        return f"{self.url}/bot"

    # --- what tests look at -------------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The ``sendMessage`` calls that were accepted, in order."""
        return [c.params for c in self.calls if c.method == "sendMessage" and c.status == 200
                and (chat_id is None or int(c.params["chat_id"]) == chat_id)]

    def count(self, method: str, status: int | None = None) -> int:
        return sum(1 for c in self.calls if c.method == method and (status is None or c.status == status))

    def fail_next(self, chat_id: int, status: int, retry_after: int | None = None) -> None:
        """Answer the next ``sendMessage`` to ``chat_id`` with this error (429 needs retry_after)."""
        self.scripted.setdefault(chat_id, []).append((status, retry_after))

    # --- updates, as Telegram sends them --------------------------------------------------------

    def text_update(self, chat_id: int, text: str, *, chat_type: str = "private", edited: bool = False) -> dict[str, Any]:
        return {"update_id": next(self._update_ids),
                "edited_message" if edited else "message": self._message(chat_id, chat_type, text=text)}

    def location_update(self, chat_id: int, latitude: float, longitude: float) -> dict[str, Any]:
        message = self._message(chat_id, "private", location={"latitude": latitude, "longitude": longitude})
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(self, chat_id: int, data: str, message_id: int) -> dict[str, Any]:
        message = self._message(chat_id, "private", text="…", from_bot=True)
        message["message_id"] = message_id
        return {"update_id": next(self._update_ids), "callback_query": {
            "id": str(next(self._update_ids)), "from": self._user(chat_id), "message": message,
            "chat_instance": str(chat_id), "data": data}}

    def _message(self, chat_id: int, chat_type: str, *, from_bot: bool = False, **content: Any) -> dict[str, Any]:
        chat = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Voter"} if chat_type == "private" else {"title": "Grup Warga"})
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": {**BOT_USER, "id": self.bot_id} if from_bot else self._user(abs(chat_id)), **content}

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Voter", "language_code": "id"}

    async def push(self, update: dict[str, Any], http: ClientSession, *, secret: str | None = None) -> int:
        """Deliver ``update`` like Telegram: POST to the webhook (returns its status) or queue it."""
        if self.webhook is None:
            self._queue.append(update)
            self._queued.set()
            return 0
        header = self.webhook.get("secret_token") if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header else {}
        async with http.post(self.webhook["url"], json=update, headers=headers) as response:
            return response.status

    # --- the Bot API ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if self.down:
            return self.bad_gateway()
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            call.status = 404
            return _error(404, "Not Found: method not found")
        response = await handler(params)
        call.status = response.status
        return response

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok({**BOT_USER, "id": self.bot_id})

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        url = params.get("url", "")
        if url and not url.startswith(("https://", "http://127.0.0.1")):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": params.get("secret_token", "")} if url else None
        return _ok(True, "Webhook was set" if url else "Webhook was deleted")

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = None
        return _ok(True, "Webhook was deleted")

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        return _ok({"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": len(self._queue)})

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")
        if self.poll_status is not None:
            return _failure(self.poll_status, None)
        offset = int(params.get("offset") or 0)
        self._queue = [u for u in self._queue if u["update_id"] >= offset]
        if not self._queue and self.long_poll:
            self._queued.clear()
            try:
                await asyncio.wait_for(self._queued.wait(), min(float(params.get("timeout") or 0), 5))
            except asyncio.TimeoutError:
                pass
        return _ok(self._queue[: int(params.get("limit") or 100)])

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        return _ok(True) if params.get("callback_query_id") else _error(400, "Bad Request: query is too old")

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.answer_delay:
                await asyncio.sleep(self.answer_delay)
            return self._send_message(params)
        finally:
            self.in_flight -= 1

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params.get("chat_id", 0))
        text = params.get("text") or ""
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        if self.scripted.get(chat_id):
            status, retry_after = self.scripted[chat_id].pop(0)
            return _failure(status, retry_after)
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        chat = self._chats.setdefault(chat_id, Allowance(self._chat_rate, self._chat_burst))
        wait = max(self._overall.spend(), chat.spend())
        if wait > 0:
            return _failure(429, math.ceil(wait))
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                   "from": {**BOT_USER, "id": self.bot_id}, "text": text}
        if markup:
            message["reply_markup"] = markup
        self.delivered.append(message)
        return _ok(message)


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters come as a query string, a form or JSON; complex values are JSON."""
    if request.content_type == "application/json":
        return dict(await request.json())
    params: dict[str, Any] = dict(request.query)
    params.update(await request.post())
    for name in ("reply_markup", "allowed_updates"):
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    return params


def _ok(result: Any, description: str | None = None) -> web.Response:
    body = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return web.json_response(body)


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _failure(status: int, retry_after: int | None) -> web.Response:
    if status == 429:
        return _error(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
    if status == 403:
        return _error(403, "Forbidden: bot was blocked by the user")
    if status == 400:
        return _error(400, "Bad Request: chat not found")
    return _error(status, "Internal Server Error")
