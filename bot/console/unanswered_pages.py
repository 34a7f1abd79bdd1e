"""The unanswered queue page: grouped questions, add one as a phrasing, start an entry, mark handled."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from aiohttp import web
from aiohttp_session import get_session

from flows import UNANSWERED_KINDS

from bot.console.faq_files import all_entries, locate, version_of
from bot.console.keys import DB, USER
from bot.console.knowledge_pages import current_files, publish_and_tell
from bot.console.render import render, url
from bot.console.sessions import flash
from bot.console.unanswered import group_questions, kind_of, mark_handled, open_questions, questions_by_id
from bot.server.keys import CLOCK, SETTINGS
from bot.understanding.models import settings_encoder

routes = web.RouteTableDef()


@routes.get("/unanswered", name="unanswered.list")
async def unanswered_list(request: web.Request) -> web.StreamResponse:
    """The open questions grouped by meaning; ``?kind=abstained`` or ``clarified`` shows one kind."""
    kind = request.query.get("kind")
    kind = kind if kind in UNANSWERED_KINDS else None
    async with request.app[DB]() as db:
        rows = await open_questions(db, kind)
    encoder = settings_encoder(request.config_dict[SETTINGS])
    groups = await asyncio.to_thread(group_questions, rows, encoder)
    entries = all_entries(await current_files(request))
    return await render(request, "unanswered.html", {"groups": groups, "entries": entries, "kind": kind,
                                                     "kinds": UNANSWERED_KINDS, "kind_of": kind_of})


def _ids(form) -> list[int]:  # noqa: ANN001 - MultiDictProxy
    return [int(value) for value in form.getall("ids", []) if str(value).isdigit()][:500]


@routes.post("/unanswered/handled", name="unanswered.handled")
async def unanswered_handled(request: web.Request) -> web.StreamResponse:
    ids = _ids(await request.post())
    async with request.app[DB]() as db:
        count = await mark_handled(db, request[USER], ids, "marked handled", request.config_dict[CLOCK]())
        await db.commit()
    flash(await get_session(request), "un.marked", count=str(count))
    raise web.HTTPFound(url(request, "unanswered.list"))


@routes.post("/unanswered/phrasing", name="unanswered.phrasing")
async def unanswered_phrasing(request: web.Request) -> web.StreamResponse:
    """Publish the chosen question as a phrasing of an entry, then mark its group handled."""
    form = await request.post()
    ids, chosen = _ids(form), str(form.get("question", ""))
    async with request.app[DB]() as db:
        rows = await questions_by_id(db, [int(chosen)] if chosen.isdigit() else [])
    located = locate(await current_files(request), str(form.get("entry_id", "")))
    if not rows or located is None:
        raise web.HTTPBadRequest(reason="choose a question and an entry")
    question = rows[0].question.strip()
    entry = located.entry
    draft = replace(entry, phrasings=entry.phrasings + (question,)) if question not in entry.phrasings else entry
    published = await publish_and_tell(request, draft, base_version=version_of(located.block), new_in=None,
                               note=f"phrasing from unanswered #{rows[0].id}")
    session = await get_session(request)
    if published.version is not None or published.unchanged:
        async with request.app[DB]() as db:
            await mark_handled(db, request[USER], ids or [rows[0].id], f"phrasing of {entry.id}",
                               request.config_dict[CLOCK]())
            await db.commit()
        flash(session, "un.added", entry=entry.id)
    else:
        messages = [m for found in published.problems.values() for m in found] or ["conflict"]
        flash(session, "un.not_added", "error", entry=entry.id, problem=messages[0])
    raise web.HTTPFound(url(request, "unanswered.list"))
