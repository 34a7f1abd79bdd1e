"""The flow editor: the list of flows, a flow's YAML with the validator's problems at their
line, a simulator that chats with the draft, publish, history with diffs, rollback.

One form carries the draft everywhere (check, publish, simulate: one path per action), so a
staff member never loses an edit by trying it.
"""

from __future__ import annotations

import asyncio
import difflib

from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy

import flows

from bot.console.flow_check import Finding, source_key
from bot.console.flow_sim import MAX_TURNS, Said, SimTurn, next_input, read_inputs, simulate, write_inputs
from bot.console.flow_store import Outcome, check_draft, history, library_sources, live_rows, publish_flow, titles
from bot.console.keys import DB, PUBLISH_LOCK, USER
from bot.console.render import render, url
from bot.console.sessions import flash, language
from bot.server.keys import CLOCK, SETTINGS
from bot.storage.content import load_tps
from bot.storage.models import FlowVersion

routes = web.RouteTableDef()


async def _live(request: web.Request) -> tuple[str, dict[str, FlowVersion]]:
    """The flow of the path and the live library; 404 when there is no such flow."""
    async with request.app[DB]() as db:
        live = await live_rows(db)
    flow_id = request.match_info["flow_id"]
    if flow_id not in live:
        raise web.HTTPNotFound()
    return flow_id, live


def _source(form: MultiDictProxy[str | bytes | web.FileField]) -> str:
    """The draft from the form (browsers send CRLF line ends); 400 when the form has none."""
    value = form.get("source")
    if not isinstance(value, str):
        raise web.HTTPBadRequest(reason="source")
    return value.replace("\r\n", "\n").replace("\r", "\n")


@routes.get("/flows", name="flows.list")
async def flows_list(request: web.Request) -> web.StreamResponse:
    async with request.app[DB]() as db:
        live = await live_rows(db)
    lang = language(await get_session(request), request.config_dict[SETTINGS].default_language)
    named = await asyncio.to_thread(titles, live, lang)
    rows = sorted(live.values(), key=lambda r: (r.flow_id == flows.ELECTION_ID, r.flow_id))
    return await render(request, "flow_list.html", {"rows": rows, "titles": named, "election": flows.ELECTION_ID})


@routes.get("/flows/{flow_id}", name="flows.edit")
async def flows_edit(request: web.Request) -> web.StreamResponse:
    flow_id, live = await _live(request)
    row = live[flow_id]
    return await _editor(request, flow_id, row.source, base_version=row.version)


@routes.post("/flows/{flow_id}/check", name="flows.check")
async def flows_check(request: web.Request) -> web.StreamResponse:
    flow_id, live = await _live(request)
    form = await request.post()
    source = _source(form)
    findings = await asyncio.to_thread(check_draft, live, flow_id, source)
    return await _editor(request, flow_id, source, **_kept(form), findings=findings, checked=True)


@routes.post("/flows/{flow_id}/publish", name="flows.publish")
async def flows_publish(request: web.Request) -> web.StreamResponse:
    flow_id, _ = await _live(request)
    form = await request.post()
    source = _source(form)
    kept = _kept(form)
    outcome = await _publish(request, flow_id, source, base_version=kept["base_version"], note=kept["note"])
    if outcome.version is not None:
        flash(await get_session(request), "flows.published", flow=flow_id, version=outcome.version[:12])
        raise web.HTTPFound(url(request, "flows.edit", flow_id=flow_id))
    status = 409 if outcome.conflict else 422 if outcome.findings else 200
    return await _editor(request, flow_id, source, **kept, findings=outcome.findings, conflict=outcome.conflict,
                         unchanged=outcome.unchanged, status=status)


async def _publish(request: web.Request, flow_id: str, source: str, *, base_version: str, note: str) -> Outcome:
    async with request.app[DB]() as db:
        return await publish_flow(db, request.app[PUBLISH_LOCK], request[USER], flow_id, source,
                                  base_version=base_version, note=note, now=request.config_dict[CLOCK]())


@routes.post("/flows/{flow_id}/simulate", name="flows.simulate")
async def flows_simulate(request: web.Request) -> web.StreamResponse:
    flow_id, live = await _live(request)
    form = await request.post()
    source, kept = _source(form), _kept(form)
    inputs, notice = read_inputs(str(form.get("transcript", ""))), ""
    if inputs is None:
        inputs, notice = [], "flows.sim_reset"
    findings = await asyncio.to_thread(check_draft, live, flow_id, source)
    if findings:
        return await _editor(request, flow_id, source, **kept, findings=findings, inputs=inputs,
                             notice="flows.sim_fix_first", status=422)
    if form.get("restart"):
        inputs = []
    said = None if form.get("restart") else next_input(str(form.get("message", "")), str(form.get("payload", "")))
    if said is not None and len(inputs) >= MAX_TURNS:
        notice = "flows.sim_full"
    elif said is not None:
        inputs.append(said)
    turns = await _play(request, live, flow_id, source, inputs)
    return await _editor(request, flow_id, source, **kept, inputs=inputs, turns=turns, notice=notice)


async def _play(request: web.Request, live: dict[str, FlowVersion], flow_id: str, source: str,
                inputs: list[Said]) -> list[SimTurn]:
    """Play ``inputs`` against the live library with ``source`` as the flow's text."""
    sources = library_sources(live) | {source_key(flow_id, live[flow_id].file): source}
    library, _ = await asyncio.to_thread(flows.parse_library, sources)
    async with request.app[DB]() as db:  # read only: the stations lookup_tps answers from
        tps = await load_tps(db)
    return await simulate(request.config_dict[SETTINGS], library, tps, inputs, request.config_dict[CLOCK]())


def _kept(form: MultiDictProxy[str | bytes | web.FileField]) -> dict[str, str]:
    return {key: str(form.get(key, ""))[:200] for key in ("base_version", "note")}


async def _editor(request: web.Request, flow_id: str, source: str, *, base_version: str, note: str = "",
                  findings: list[Finding] | None = None, inputs: list[Said] | None = None,
                  turns: list[SimTurn] | None = None, notice: str = "", status: int = 200,
                  **more: object) -> web.Response:
    findings = findings or []
    return await render(request, "flow_edit.html", {
        "flow_id": flow_id, "source": source, "base_version": base_version, "note": note,
        "findings": findings, "bad_lines": {f.line for f in findings if not f.file},
        "line_count": source.count("\n") + 1, "transcript": write_inputs(inputs or []), "turns": turns or [],
        "notice": notice, "max_turns": MAX_TURNS, "checked": False, "conflict": False, "unchanged": False,
    } | more, status=status)


@routes.get("/flows/{flow_id}/history", name="flows.history")
async def flows_history(request: web.Request) -> web.StreamResponse:
    flow_id, live = await _live(request)
    async with request.app[DB]() as db:
        rows = await history(db, flow_id)
    changes = [_changes(older.source if older else "", row.source) for row, older in zip(rows, [*rows[1:], None])]
    return await render(request, "flow_history.html", {"flow_id": flow_id, "live": live[flow_id],
                                                        "versions": list(zip(rows, changes))})


def _changes(before: str, after: str) -> list[tuple[str, str]]:
    """The lines of a unified diff from ``before`` to ``after``, each with its kind (add, del, at)."""
    kinds = {"+": "add", "-": "del", "@": "at"}
    lines = list(difflib.unified_diff(before.split("\n"), after.split("\n"), lineterm="", n=2))[2:]
    return [(kinds.get(line[:1], ""), line) for line in lines]


@routes.post("/flows/{flow_id}/rollback", name="flows.rollback")
async def flows_rollback(request: web.Request) -> web.StreamResponse:
    flow_id, _ = await _live(request)
    form = await request.post()
    number = str(form.get("version_id", ""))
    async with request.app[DB]() as db:
        row = await db.get(FlowVersion, int(number)) if number.isdigit() and len(number) < 18 else None
    if row is None or row.flow_id != flow_id:
        raise web.HTTPBadRequest(reason="version_id")
    outcome = await _publish(request, flow_id, row.source, base_version=str(form.get("base_version", "")),
                             note=f"rollback to #{row.id}")
    session = await get_session(request)
    if outcome.version is not None:
        flash(session, "flows.rolled_back", flow=flow_id, number=str(row.id))
    else:
        flash(session, "flows.conflict" if outcome.conflict else "flows.unchanged" if outcome.unchanged
              else "flows.problems", "error")
    raise web.HTTPFound(url(request, "flows.history", flow_id=flow_id))
