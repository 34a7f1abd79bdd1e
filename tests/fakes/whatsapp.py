"""A fake WhatsApp Cloud API (Graph API) on loopback, and webhooks as Meta sends them.

``POST /{version}/{phone-number-id}/messages`` answers
``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}``
or a Graph API error ``{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}``:
130429 over 80 messages/s, 131056 over the per-user pair rate (bursts of 45, then one per 6 s),
131047 for free text outside the 24-hour window, 131026 for numbers that cannot receive, 100 for
bodies that break the documented limits. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, web

from bot.channels.whatsapp import sign

from .common import Allowance, Call, LoopbackServer

WINDOW_SECONDS = 24 * 3600


class FakeGraphAPI(LoopbackServer):
    def __init__(self, token: str, phone_number_id: str, *, version: str = "v23.0", rate: float = 80,
                 user_rate: float = 1 / 6, user_burst: int = 45,
                 on_accept: Callable[[dict[str, Any], str], None] | None = None) -> None:
        """``on_accept(request body, wamid)`` is called for every accepted message (to send status
        webhooks the way Meta does, say)."""
        self.token, self.phone_number_id, self.version = token, phone_number_id, version
        app = web.Application()
        app.router.add_post("/{version}/{phone_id}/messages", self._messages)
        super().__init__(app)
        self.calls: list[Call] = []
        self.undeliverable: set[str] = set()
        self.scripted: dict[str, list[int]] = {}
        self.lose_answers = False  # accept messages but never answer (see _messages)
        self._released = asyncio.Event()
        self.last_inbound: dict[str, float] = {}  # wa_id → when the voter last wrote (time.time())
        self._overall = Allowance(rate, rate + 1)
        self._user_rate, self._user_burst = user_rate, user_burst + 1
        self._users: dict[str, Allowance] = {}
        self._ids = itertools.count(1)
        self._on_accept = on_accept

    # --- what tests look at -------------------------------------------------------------------

    async def close(self) -> None:
        self._released.set()  # answers held back by lose_answers go to connections long closed
        await super().close()

    def sent(self, wa_id: str | None = None) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.status == 200 and (wa_id is None or c.params.get("to") == wa_id)]

    def errors(self, code: int) -> int:
        return sum(1 for c in self.calls if c.extra.get("code") == code)

    def fail_next(self, wa_id: str, code: int) -> None:
        """Answer the next message to ``wa_id`` with this error code (500: a server error)."""
        self.scripted.setdefault(wa_id, []).append(code)

    # --- the Graph API --------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        if self.down:
            return self.bad_gateway()
        try:
            body = await request.json()
        except ValueError:
            body = {}
        call = Call("messages", body if isinstance(body, dict) else {}, time.monotonic())
        self.calls.append(call)
        response = self._answer(request, call.params)
        call.status = response.status
        if response.status != 200:
            call.extra["code"] = json.loads(response.body)["error"]["code"]  # type: ignore[arg-type]
        elif self.lose_answers:
            call.extra["wamid"] = json.loads(response.body)["messages"][0]["id"]  # type: ignore[arg-type]
            await self._released.wait()  # accepted, but the answer never reaches the bot (it dies first)
        return response

    def _answer(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token", "OAuthException")
        if request.match_info["phone_id"] != self.phone_number_id or request.match_info["version"] != self.version:
            return _error(400, 100, "Unsupported post request. Object does not exist", "GraphMethodException")
        to, kind = str(body.get("to", "")), body.get("type")
        if body.get("messaging_product") != "whatsapp" or not to.isdigit():
            return _error(400, 100, "(#100) Invalid parameter")
        problem = _shape_problem(kind, body)
        if problem:
            return _error(400, 100, f"(#100) Invalid parameter: {problem}")
        if self.scripted.get(to):
            code = self.scripted[to].pop(0)
            return _error(500, 131000, "Something went wrong") if code == 500 else _coded(code)
        if to in self.undeliverable:
            return _coded(131026)
        if kind != "template" and time.time() - self.last_inbound.get(to, 0) > WINDOW_SECONDS:
            return _coded(131047)
        if self._overall.spend() > 0:
            return _coded(130429)
        if self._users.setdefault(to, Allowance(self._user_rate, self._user_burst)).spend() > 0:
            return _coded(131056)
        wamid = f"wamid.{uuid.uuid4().hex}"
        if self._on_accept is not None:
            self._on_accept(body, wamid)
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                                  "messages": [{"id": wamid}]})

    # --- webhooks, as Meta sends them ----------------------------------------------------------

    def text_message(self, wa_id: str, text: str) -> dict[str, Any]:
        return self._inbound(wa_id, "text", text={"body": text})

    def button_reply(self, wa_id: str, payload: str, title: str = "…") -> dict[str, Any]:
        return self._inbound(wa_id, "interactive", interactive={"type": "button_reply",
                                                                "button_reply": {"id": payload, "title": title}})

    def list_reply(self, wa_id: str, payload: str, title: str = "…") -> dict[str, Any]:
        return self._inbound(wa_id, "interactive", interactive={"type": "list_reply",
                                                                "list_reply": {"id": payload, "title": title}})

    def location_message(self, wa_id: str, latitude: float, longitude: float) -> dict[str, Any]:
        return self._inbound(wa_id, "location", location={"latitude": latitude, "longitude": longitude})

    def _inbound(self, wa_id: str, kind: str, **content: Any) -> dict[str, Any]:
        self.last_inbound[wa_id] = time.time()
        message = {"from": wa_id, "id": f"wamid.in{next(self._ids)}{uuid.uuid4().hex[:8]}",
                   "timestamp": str(int(time.time())), "type": kind, **content}
        return self._envelope({"contacts": [{"profile": {"name": "Pemilih"}, "wa_id": wa_id}], "messages": [message]})

    def status(self, outbound: dict[str, Any], wamid: str, state: str, error_code: int | None = None) -> dict[str, Any]:
        status: dict[str, Any] = {"id": wamid, "status": state, "timestamp": str(int(time.time())),
                                  "recipient_id": outbound["to"]}
        if outbound.get("biz_opaque_callback_data"):
            status["biz_opaque_callback_data"] = outbound["biz_opaque_callback_data"]
        if error_code is not None:
            status["errors"] = [{"code": error_code, "title": "Message undeliverable",
                                 "message": "Message undeliverable", "error_data": {"details": "…"}}]
        return self._envelope({"statuses": [status]})

    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        metadata = {"display_phone_number": "6281100000000", "phone_number_id": self.phone_number_id}
        return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
            {"value": {"messaging_product": "whatsapp", "metadata": metadata, **value}, "field": "messages"}]}]}

    @staticmethod
    async def post_webhook(http: ClientSession, url: str, payload: dict[str, Any], app_secret: str) -> int:
        """POST ``payload`` to our webhook signed like Meta does; return the status."""
        raw = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(app_secret, raw)}
        async with http.post(url, data=raw, headers=headers) as response:
            return response.status


def _shape_problem(kind: object, body: dict[str, Any]) -> str | None:
    """What breaks the documented limits of a message body, if anything."""
    if kind == "text":
        text = (body.get("text") or {}).get("body", "")
        return "text.body must be 1-4096 characters" if not 0 < len(text) <= 4096 else None
    if kind == "template":
        template = body.get("template") or {}
        return None if template.get("name") and (template.get("language") or {}).get("code") else "template"
    if kind != "interactive":
        return f"unsupported type {kind!r}"
    interactive = body.get("interactive") or {}
    if len((interactive.get("body") or {}).get("text", "")) > 1024:
        return "interactive.body.text over 1024 characters"
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= 3 or any(len(b["reply"]["title"]) > 20 for b in buttons):
            return "1-3 reply buttons with titles of at most 20 characters"
        return None
    if interactive.get("type") == "list":
        rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
        if not 1 <= len(rows) <= 10 or any(len(r["title"]) > 24 for r in rows) or len(action.get("button", "")) > 20:
            return "1-10 list rows with titles of at most 24 characters"
        return None
    return "unsupported interactive type"


def _error(status: int, code: int, message: str, kind: str = "OAuthException") -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind, "code": code,
                                        "error_data": {"messaging_product": "whatsapp", "details": message},
                                        "fbtrace_id": uuid.uuid4().hex[:20]}}, status=status)


_CODES = {
    130429: (429, "(#130429) Rate limit hit"),
    131056: (429, "(#131056) (Business Account, Consumer Account) pair rate limit hit"),
    131047: (400, "(#131047) Re-engagement message"),
    131026: (400, "(#131026) Message undeliverable"),
}


def _coded(code: int) -> web.Response:
    status, message = _CODES[code]
    return _error(status, code, message)
