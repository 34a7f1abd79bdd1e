"""The contacts pages: search by segment query, one voter's page, and the admin-only erasure
(a confirmation page, then a POST that must repeat the contact's number)."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from flows.segments import MAX_LENGTH, SegmentQueryError

from bot.broadcasts.segments import SegmentError
from bot.console.contacts import contact_exists, erase_contact, pages_of, query_for, search, view
from bot.console.keys import DB, USER
from bot.console.render import render, url
from bot.console.sessions import flash
from bot.server.keys import CLOCK, SETTINGS

routes = web.RouteTableDef()


def page_number(request: web.Request) -> int:
    """The ``page`` query parameter (1 when missing or nonsense)."""
    raw = request.query.get("page", "")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


@routes.get("/contacts", name="contacts.list")
async def contacts_list(request: web.Request) -> web.StreamResponse:
    text = request.query.get("q", "")[:MAX_LENGTH]
    page = page_number(request)
    problem: SegmentQueryError | None = None
    unknown = ""
    rows, total = [], 0
    async with request.app[DB]() as db:
        try:
            query = await query_for(db, text)
        except SegmentQueryError as exc:
            problem = exc
        except SegmentError as exc:
            unknown = str(exc)
        else:
            rows, total = await search(db, query, request.config_dict[CLOCK](), page)
    context = {"q": text, "rows": rows, "total": total, "page": page, "pages": pages_of(total),
               "problem": problem, "unknown": unknown}
    return await render(request, "contacts.html", context, status=422 if problem or unknown else 200)


async def _contact_id(request: web.Request) -> int:
    """The contact in the path; a stale link goes back to the list with a note (never a 404 page)."""
    raw = request.match_info["contact_id"]
    contact_id = int(raw) if raw.isdigit() and len(raw) < 19 else 0
    known = False
    if contact_id:
        async with request.app[DB]() as db:
            known = await contact_exists(db, contact_id)
    if not known:
        flash(await get_session(request), "contacts.not_found", "error", contact=raw[:20])
        raise web.HTTPFound(url(request, "contacts.list"))
    return contact_id


@routes.get("/contacts/{contact_id}", name="contacts.show")
async def contacts_show(request: web.Request) -> web.StreamResponse:
    contact_id = await _contact_id(request)
    async with request.app[DB]() as db:
        found = await view(db, contact_id)
    return await render(request, "contact.html", {"view": found})


@routes.get("/contacts/{contact_id}/erase", name="contacts.erase_confirm")
async def contacts_erase_confirm(request: web.Request) -> web.StreamResponse:
    contact_id = await _contact_id(request)
    return await render(request, "contact_erase.html", {"contact_id": contact_id, "wrong": False})


@routes.post("/contacts/{contact_id}/erase", name="contacts.erase")
async def contacts_erase(request: web.Request) -> web.StreamResponse:
    """Erase only when the form repeats the contact's number (the confirmation step)."""
    contact_id = await _contact_id(request)
    typed = str((await request.post()).get("confirm", "")).strip()
    if typed != str(contact_id):
        return await render(request, "contact_erase.html", {"contact_id": contact_id, "wrong": True}, status=422)
    async with request.app[DB]() as db:
        await erase_contact(db, request[USER], contact_id, request.config_dict[SETTINGS].timezone,
                            request.config_dict[CLOCK]())
        await db.commit()
    flash(await get_session(request), "contacts.erased", contact=str(contact_id))
    raise web.HTTPFound(url(request, "contacts.show", contact_id=str(contact_id)))
