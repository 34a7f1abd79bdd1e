"""The knowledge editor: list and search entries, edit one with validation beside each field
and a "try a question" box, publish, history with diffs, rollback."""

from __future__ import annotations

import asyncio
import difflib
from typing import Any
from datetime import date
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp_session import get_session

from knowledge import FaqEntry
from knowledge.faq_loader import FaqFormatError

from bot.console.faq_files import FaqFile, all_entries, entry_block, locate, parse_block, read_folder, version_of
from bot.console.keys import DB, PUBLISH_LOCK, USER
from bot.console.knowledge_form import FormProblem, blank_entry, entry_from_form, form_values
from bot.console.publishing import Published, check_draft, publish_entry, version_by_id, versions
from bot.console.render import render, url
from bot.console.sessions import flash
from bot.server.keys import CLOCK, SETTINGS
from bot.storage.staff_models import KnowledgeVersion

routes = web.RouteTableDef()


def today(request: web.Request) -> date:
    return request.config_dict[CLOCK]().astimezone(ZoneInfo(request.config_dict[SETTINGS].timezone)).date()


async def current_files(request: web.Request) -> list[FaqFile]:
    return await asyncio.to_thread(read_folder, request.config_dict[SETTINGS].faq_dir)


@routes.get("/knowledge", name="knowledge.list")
async def knowledge_list(request: web.Request) -> web.StreamResponse:
    files = await current_files(request)
    query, topic, file = (request.query.get(k, "").strip()[:200] for k in ("q", "topic", "file"))
    entries = [e for f in files for e in f.entries if not file or f.path.name == file]
    if topic:
        entries = [e for e in entries if topic in e.topics]
    if query:
        needle = query.casefold()
        entries = [e for e in entries if needle in " ".join(
            [e.id, *e.question.values(), *e.phrasings, *e.answer.values()]).casefold()]
    topics = sorted({t for e in all_entries(files) for t in e.topics})
    return await render(request, "knowledge_list.html", {
        "entries": entries, "q": query, "topic": topic, "file": file, "topics": topics,
        "files": [f.path.name for f in files], "file_of": {e.id: f.path.name for f in files for e in f.entries}})


@routes.get("/knowledge/new", name="knowledge.new")
async def knowledge_new(request: web.Request) -> web.StreamResponse:
    files = await current_files(request)
    values = form_values(blank_entry()) | {"question_id": request.query.get("question", "")[:500]}
    return await _editor(request, None, values, files=files, new_in=request.query.get("file", ""))


@routes.get("/knowledge/{entry_id}", name="knowledge.edit")
async def knowledge_edit(request: web.Request) -> web.StreamResponse:
    located = locate(await current_files(request), request.match_info["entry_id"])
    if located is None:
        raise web.HTTPNotFound()
    return await _editor(request, located.entry, form_values(located.entry), base_version=version_of(located.block))


@routes.post("/knowledge/check", name="knowledge.check")
async def knowledge_check(request: web.Request) -> web.StreamResponse:
    submitted = await _submitted(request)
    if isinstance(submitted, web.Response):
        return submitted
    form, existing, files, draft = submitted
    question = str(form.get("try", ""))[:500]
    problems, trial = await asyncio.to_thread(check_draft, request.config_dict[SETTINGS], draft, question, today(request))
    return await _editor(request, existing, form_values(draft) | _kept(form), files=files, problems=problems,
                         trial=trial, checked=True)


@routes.post("/knowledge/publish", name="knowledge.publish")
async def knowledge_publish(request: web.Request) -> web.StreamResponse:
    submitted = await _submitted(request)
    if isinstance(submitted, web.Response):
        return submitted
    form, existing, files, draft = submitted
    published = await publish_and_tell(request, draft, base_version=str(form.get("base_version", "")) or None,
                               new_in=None if existing else str(form.get("new_in", "")), note="edit")
    if published.version is None:
        status = 409 if published.conflict else 422 if published.problems else 200
        return await _editor(request, existing, form_values(draft) | _kept(form), files=files,
                             problems=published.problems, conflict=published.conflict,
                             unchanged=published.unchanged, status=status)
    raise web.HTTPFound(url(request, "knowledge.edit", entry_id=draft.id))


async def _submitted(request: web.Request) -> tuple[Any, FaqEntry | None, list[FaqFile], FaqEntry] | web.Response:
    """The posted form, the entry it edits, the files and the draft it describes — or the editor
    again with the field's problem (422) when the form does not make an entry."""
    form = await request.post()
    existing, files = await _existing(request, form)
    try:
        draft = entry_from_form(form, existing, today(request))
    except FormProblem as exc:
        return await _editor(request, existing, _as_typed(form, existing), files=files, problems={exc.field: [str(exc)]},
                             status=422)
    return form, existing, files, draft


async def _existing(request: web.Request, form) -> tuple[FaqEntry | None, list[FaqFile]]:  # noqa: ANN001 - MultiDictProxy
    """The entry being edited (``None`` for a new one) and the files; 400 when it is gone."""
    files = await current_files(request)
    if not form.get("base_version"):
        return None, files
    located = locate(files, str(form.get("entry_id", "")))
    if located is None:
        raise web.HTTPBadRequest(reason="no such entry")
    return located.entry, files


def _as_typed(form, existing: FaqEntry | None) -> dict[str, str]:  # noqa: ANN001 - MultiDictProxy
    """The form's values as typed, over the entry's (so a field the form lacks still shows)."""
    return form_values(existing or blank_entry()) | {key: str(value) for key, value in form.items()}


def _kept(form) -> dict[str, str]:  # noqa: ANN001 - MultiDictProxy
    return {key: str(form.get(key, "")) for key in ("base_version", "new_in", "try")}


async def publish_and_tell(request: web.Request, draft: FaqEntry, *, base_version: str | None, new_in: str | None,
                   note: str) -> Published:
    """Publish through :func:`publish_entry` and say so on the next page."""
    async with request.app[DB]() as db:
        published = await publish_entry(db, request.config_dict[SETTINGS], request.app[PUBLISH_LOCK], request[USER],
                                         draft, base_version=base_version, new_in=new_in, note=note,
                                         today=today(request), now=request.config_dict[CLOCK]())
    if published.version is not None:
        flash(await get_session(request), "kb.published", entry=draft.id, version=published.version[:8])
    return published


async def _editor(request: web.Request, existing: FaqEntry | None, values: dict[str, str], *,
                  files: list[FaqFile] | None = None, base_version: str = "", new_in: str = "",
                  problems: dict[str, list[str]] | None = None, status: int = 200, **more: object) -> web.Response:
    values = {"base_version": base_version, "new_in": new_in, "try": ""} | values
    return await render(request, "knowledge_edit.html", {
        "existing": existing, "v": values, "problems": problems or {},
        "files": [f.path.name for f in files or []], "trial": None, "checked": False, "conflict": False,
        "unchanged": False} | more, status=status)


@routes.get("/knowledge/{entry_id}/history", name="knowledge.history")
async def knowledge_history(request: web.Request) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    located = locate(await current_files(request), entry_id)
    async with request.app[DB]() as db:
        rows = await versions(db, entry_id)
    live = version_of(located.block) if located else ""
    diffs = [_diff(_canonical(older) if older else "", _canonical(row)) for row, older in zip(rows, [*rows[1:], None])]
    return await render(request, "knowledge_history.html", {"entry_id": entry_id, "rows": list(zip(rows, diffs)),
                                                            "live": live})


def _canonical(row: KnowledgeVersion) -> str:
    """A version's text as the console writes it (the same YAML serializer for every version),
    so the diff shows what changed rather than how the hand-written first version was laid out;
    a text that no longer parses is shown as stored."""
    try:
        return entry_block(parse_block(row.source, row.file))
    except FaqFormatError:
        return row.source


def _diff(before: str, after: str) -> list[tuple[str, str]]:
    """(css class, line) of a unified diff from ``before`` to ``after``."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "after", lineterm="", n=2)
    return [("add" if l.startswith("+") else "del" if l.startswith("-") else "", l) for l in list(lines)[2:]]


@routes.post("/knowledge/{entry_id}/rollback", name="knowledge.rollback")
async def knowledge_rollback(request: web.Request) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    form = await request.post()
    number = str(form.get("version_id", ""))
    located = locate(await current_files(request), entry_id)
    async with request.app[DB]() as db:
        row = await version_by_id(db, entry_id, int(number)) if number.isdigit() else None
    if row is None or located is None:
        raise web.HTTPBadRequest(reason="no such version")
    older = parse_block(row.source, row.file)
    published = await publish_and_tell(request, older, base_version=version_of(located.block), new_in=None,
                               note=f"rollback to #{row.id}")
    session = await get_session(request)
    if published.version is not None:
        flash(session, "kb.rolled_back", entry=entry_id, number=str(row.id))
    elif published.problems:
        flash(session, "kb.problems", "error")
    elif published.conflict:
        flash(session, "kb.conflict", "error")
    raise web.HTTPFound(url(request, "knowledge.history", entry_id=entry_id))
