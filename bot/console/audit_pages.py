"""The audit log page (admins only): who did what to which record and when, with the before and
after of content as a diff. Read-only: the console has no route that edits or deletes an entry."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from bot.console.audit import audit_page
from bot.console.keys import DB
from bot.console.render import render
from bot.storage.models import AuditEntry

routes = web.RouteTableDef()
#: How much of an entry's detail the page prints (the diff and the JSON each).
MAX_SHOWN = 4000


@dataclass(frozen=True, slots=True)
class Shown:
    """An entry as the page shows it: the diff of ``before`` → ``after`` when the detail has
    them, and the rest of the detail as JSON."""

    entry: AuditEntry
    diff: list[tuple[str, str]]
    rest: str


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def shown(entry: AuditEntry) -> Shown:
    detail = dict(entry.detail or {})
    diff: list[tuple[str, str]] = []
    if isinstance(detail.get("before"), str | None) and isinstance(detail.get("after"), str):
        before, after = detail.pop("before") or "", detail.pop("after")
        kinds = {"+": "add", "-": "del", "@": "at"}
        lines = list(difflib.unified_diff(before.split("\n"), after.split("\n"), lineterm="", n=2))[2:]
        diff, budget = [], MAX_SHOWN
        for line in lines:
            budget -= len(line)
            if budget < 0:
                diff.append(("at", "…"))
                break
            diff.append((kinds.get(line[:1], ""), line))
    rest = json.dumps(detail, ensure_ascii=False, indent=1, default=str) if detail else ""
    return Shown(entry, diff, rest[:MAX_SHOWN])


@routes.get("/audit", name="audit.list")
async def audit_list(request: web.Request) -> web.StreamResponse:
    query = request.query
    filters = {"actor": query.get("actor", "")[:128], "action": query.get("action", "")[:64],
               "subject": query.get("subject", "")[:128], "since": query.get("since", "")[:10],
               "until": query.get("until", "")[:10]}
    since, until = _day(filters["since"]), _day(filters["until"])
    page = max(int(query["page"]), 1) if query.get("page", "").isdigit() and len(query["page"]) < 7 else 1
    async with request.app[DB]() as db:
        entries, pages = await audit_page(
            db, page, filters["actor"], filters["action"], filters["subject"],
            since=datetime.combine(since, datetime.min.time(), UTC) if since else None,
            until=datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC) if until else None)
    return await render(request, "audit.html", {"rows": [shown(e) for e in entries], "page": page, "pages": pages,
                                                "filters": filters})
