"""The inbox's form actions: take a conversation, assign it, change its state, add a private note.

Every change is audit-logged with what it was before and after (never message or note text).
Each action answers with a redirect back to the conversation (or to the list when the
conversation no longer exists), so the forms work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import NoReturn

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.accounts import StaffUser
from bot.console.audit import record
from bot.console.inbox_data import agents, emails, find
from bot.console.keys import DB, USER
from bot.console.render import url
from bot.console.sessions import flash
from bot.server.keys import CLOCK
from bot.storage.inbox_models import STATES, InboxConversation, InboxNote
from bot.storage.models import Contact

MAX_NOTE = 2000

routes = web.RouteTableDef()


async def change(db: AsyncSession, user: StaffUser, conversation: InboxConversation, contact: Contact, now: datetime,
                 *, state: str | None = None, assign: bool = False, assignee_id: int | None = None) -> bool:
    """Set the conversation's ``state`` and (when ``assign``) its assignee, and audit it;
    returns whether anything changed. Resolving hands the voter back to the bot."""
    before = (conversation.state, conversation.assignee_id)
    conversation.state = state or conversation.state
    if assign:
        conversation.assignee_id = assignee_id
    after = (conversation.state, conversation.assignee_id)
    if after == before:
        return False
    conversation.updated_at = now
    if conversation.state == "resolved":
        contact.needs_human = False
    names = await emails(db, [before[1], after[1]])
    record(db, user, "inbox_changed", f"conversation:{conversation.id}", now,
           before={"state": before[0], "assignee": names.get(before[1]) if before[1] else None},
           after={"state": after[0], "assignee": names.get(after[1]) if after[1] else None})
    return True


async def take(db: AsyncSession, user: StaffUser, conversation: InboxConversation, contact: Contact,
               now: datetime) -> bool:
    """Assign the conversation to ``user`` and open it: from now on the bot stays quiet."""
    state = "open" if conversation.state == "resolved" else None
    return await change(db, user, conversation, contact, now, state=state, assign=True, assignee_id=user.id)


def back(request: web.Request, conversation_id: str | int) -> web.HTTPFound:
    return web.HTTPFound(url(request, "inbox.conversation", conversation_id=str(conversation_id)))


async def gone(request: web.Request) -> web.HTTPFound:
    flash(await get_session(request), "inbox.not_found", "error")
    return web.HTTPFound(url(request, "inbox.list"))


Action = Callable[[AsyncSession, StaffUser, InboxConversation, Contact, datetime], Awaitable[bool]]


async def _act(request: web.Request, action: Action, done: str) -> NoReturn:
    """Run ``action`` on the conversation of the path, commit and say ``done`` if it changed anything."""
    raw = request.match_info["conversation_id"]
    async with request.app[DB]() as db:
        found = await find(db, raw)
        if found is None:
            raise await gone(request)
        if await action(db, request[USER], *found, request.config_dict[CLOCK]()):
            await db.commit()
            flash(await get_session(request), done)
    raise back(request, raw)


@routes.post("/inbox/{conversation_id}/take", name="inbox.take")
async def take_conversation(request: web.Request) -> web.StreamResponse:
    await _act(request, take, "inbox.taken")


@routes.post("/inbox/{conversation_id}/assign", name="inbox.assign")
async def assign_conversation(request: web.Request) -> web.StreamResponse:
    chosen = str((await request.post()).get("assignee", ""))  # "": nobody

    async def assign(db: AsyncSession, user: StaffUser, conversation: InboxConversation, contact: Contact,
                     now: datetime) -> bool:
        allowed = {str(account.id): account.id for account in await agents(db)}
        if chosen not in allowed and chosen != "":
            raise web.HTTPBadRequest(reason="choose an agent")
        return await change(db, user, conversation, contact, now, assign=True, assignee_id=allowed.get(chosen))

    await _act(request, assign, "inbox.assigned")


@routes.post("/inbox/{conversation_id}/state", name="inbox.state")
async def change_state(request: web.Request) -> web.StreamResponse:
    state = str((await request.post()).get("state", ""))
    if state not in STATES:
        raise web.HTTPBadRequest(reason="state must be open, pending or resolved")
    await _act(request, partial(change, state=state), f"inbox.now_{state}")


@routes.post("/inbox/{conversation_id}/note", name="inbox.note")
async def add_note(request: web.Request) -> web.StreamResponse:
    """A private note for staff: stored with the conversation, never sent to the voter."""
    raw, form = request.match_info["conversation_id"], await request.post()
    text = str(form.get("text", "")).strip()
    if not text:
        raise web.HTTPBadRequest(reason="write a note")
    if len(text) > MAX_NOTE:
        raise web.HTTPBadRequest(reason=f"a note has at most {MAX_NOTE} characters")
    now = request.config_dict[CLOCK]()
    async with request.app[DB]() as db:
        found = await find(db, raw)
        if found is None:
            raise await gone(request)
        note = InboxNote(conversation_id=found[0].id, author=request[USER].email, text=text, created_at=now)
        db.add(note)
        await db.flush()
        record(db, request[USER], "inbox_note_added", f"conversation:{found[0].id}", now, note_id=note.id)
        await db.commit()
    flash(await get_session(request), "inbox.noted")
    raise back(request, raw)
