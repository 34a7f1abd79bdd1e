"""The reminders pages: the campaigns and their status, scheduling a campaign file (pasted,
uploaded or from the library; checked and previewed first), one campaign's progress (polled as
JSON by ``console.js``, or reloaded), results per event and variant, its preview, and
pause / resume / cancel. Planning runs in the background (:mod:`bot.console.planning`): the
schedule request publishes and returns; the campaign page shows "planned N of M" and any error,
with a button to plan again.

Every change goes through :mod:`bot.broadcasts.campaigns` and :mod:`bot.broadcasts.planner`,
which write the audit entries (the actor is the staff member).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from flows.campaigns import Campaign as CampaignPlan

from bot.broadcasts.campaigns import CampaignError, change_status, get, listed, plan_settings, publish
from bot.broadcasts.preview import Preview, preview
from bot.broadcasts.results import results
from bot.console.audit import actor_name
from bot.console.campaign_data import (
    Checked, checked_from_form, library_names, live_version, parsed, progress, progress_by_campaign,
    progress_json, variant_names,
)
from bot.console.keys import DB, PLANNING, USER
from bot.console.render import render, url
from bot.console.sessions import flash
from bot.server.keys import CLOCK, SETTINGS
from bot.storage.campaign_models import Campaign

routes = web.RouteTableDef()
CAMPAIGN = "/reminders/c/{campaign_id}"
#: Each action and the text key its confirmation flashes.
ACTIONS = {"pause": "reminders.paused", "resume": "reminders.resumed", "cancel": "reminders.cancelled"}


@routes.get("/reminders", name="reminders.list")
async def reminders_list(request: web.Request) -> web.StreamResponse:
    async with request.app[DB]() as db:
        rows = await listed(db)
        counts = await progress_by_campaign(db)
        versions = {row.id: await live_version(db, row) for row in rows}
    return await render(request, "reminders.html", {"rows": rows, "counts": counts, "versions": versions})


@routes.get("/reminders/new", name="reminders.new")
async def reminders_new(request: web.Request) -> web.StreamResponse:
    return await _form(request, Checked("", ""), None)


async def _form(request: web.Request, checked: Checked, found: Preview | None, *, problem: str = "",
                status: int = 200) -> web.Response:
    return await render(request, "reminder_schedule.html", {
        "checked": checked, "preview": found, "library": library_names(), "problem": problem,
        "names": variant_names(checked.campaign)}, status=status)


async def _preview_of(request: web.Request, checked: Checked) -> tuple[Preview | None, str]:
    """The preview of a campaign that passed its checks, or the reason there is none."""
    assert checked.campaign is not None
    try:
        rules = plan_settings(request.config_dict[SETTINGS], checked.campaign)
    except CampaignError as exc:
        return None, str(exc)
    async with request.app[DB]() as db:
        return await preview(db, checked.campaign, request.config_dict[CLOCK](), rules), ""


@routes.post("/reminders/check", name="reminders.check")
async def reminders_check(request: web.Request) -> web.StreamResponse:
    """Validate (file:line errors) and preview; nothing is written."""
    checked = checked_from_form(await request.post())
    if not checked.ok:
        return await _form(request, checked, None, status=422)
    found, problem = await _preview_of(request, checked)
    return await _form(request, checked, found, problem=problem)


@routes.post("/reminders/schedule", name="reminders.schedule")
async def reminders_schedule(request: web.Request) -> web.StreamResponse:
    """Publish the file as the campaign's version, then plan one reminder per voter and event in
    the background (:mod:`bot.console.planning`); the campaign page shows the progress."""
    checked = checked_from_form(await request.post())
    if not checked.ok:
        return await _form(request, checked, None, status=422)
    campaign, now, user = checked.campaign, request.config_dict[CLOCK](), request[USER]
    assert campaign is not None
    try:
        plan_settings(request.config_dict[SETTINGS], campaign)  # refused before anything is published
        async with request.app[DB]() as db:
            published = await publish(db, campaign, checked.source, actor_name(user), now)
            await db.commit()
    except CampaignError as exc:
        return await _form(request, checked, None, problem=str(exc), status=409)
    await _start_planning(request, campaign, published.version_id)
    raise web.HTTPFound(url(request, "reminders.show", campaign_id=campaign.id))


async def _start_planning(request: web.Request, campaign: CampaignPlan, version_id: int) -> None:
    """Start planning the campaign (version ``version_id``) and say so, or say a run is still going."""
    rules = plan_settings(request.config_dict[SETTINGS], campaign)
    job = request.app[PLANNING].start(campaign, version_id, request[USER], request.config_dict[CLOCK](), rules)
    flash(await get_session(request), "reminders.planning_started" if job else "reminders.planning_busy",
          "info" if job else "error", campaign=campaign.id)


async def _campaign(request: web.Request, db: Any) -> Campaign:
    """The campaign in the path; an unknown one goes back to the list with a note."""
    try:
        return await get(db, request.match_info["campaign_id"])
    except CampaignError:
        flash(await get_session(request), "reminders.unknown", "error", campaign=request.match_info["campaign_id"])
        raise web.HTTPFound(url(request, "reminders.list")) from None


@routes.get(CAMPAIGN, name="reminders.show")
async def reminders_show(request: web.Request) -> web.StreamResponse:
    async with request.app[DB]() as db:
        row = await _campaign(request, db)
        version = await live_version(db, row)
        counts = await progress(db, row.id)
        found = await results(db, row.id)
    plan = parsed(version) if version else None
    return await render(request, "reminder.html", {
        "row": row, "version": version, "plan": plan, "names": variant_names(plan),
        "progress": _progress(request, row, counts), "results": found})


@routes.post(CAMPAIGN + "/plan", name="reminders.plan")
async def reminders_plan(request: web.Request) -> web.StreamResponse:
    """Plan the live version again in the background (after a failed run: it picks up the rows
    already written and adds the rest; never a reminder twice)."""
    async with request.app[DB]() as db:
        row = await _campaign(request, db)
        version = await live_version(db, row)
    plan = parsed(version) if version else None
    if row.status == "cancelled" or version is None or plan is None:
        flash(await get_session(request), "reminders.cannot", "error", campaign=row.id, action="plan")
    else:
        try:
            await _start_planning(request, plan, version.id)
        except CampaignError as exc:
            flash(await get_session(request), "reminders.plan_refused", "error", campaign=row.id, problem=str(exc))
    raise web.HTTPFound(url(request, "reminders.show", campaign_id=row.id))


@routes.get(CAMPAIGN + "/preview", name="reminders.preview")
async def reminders_preview(request: web.Request) -> web.StreamResponse:
    """What scheduling the live version again would do now (nothing is written)."""
    async with request.app[DB]() as db:
        row = await _campaign(request, db)
        version = await live_version(db, row)
    plan = parsed(version) if version else None
    checked = Checked(version.source if version else "", version.file if version else "", plan)
    found, problem = await _preview_of(request, checked) if plan else (None, "")
    return await render(request, "reminder_preview.html", {
        "row": row, "preview": found, "problem": problem, "names": variant_names(plan)})


@routes.get(CAMPAIGN + "/progress", name="reminders.progress")
async def reminders_progress(request: web.Request) -> web.StreamResponse:
    """The counts the campaign page refreshes itself with (JSON)."""
    async with request.app[DB]() as db:
        try:
            row = await get(db, request.match_info["campaign_id"])
        except CampaignError as exc:
            return web.json_response({"error": str(exc)}, status=422)
        counts = await progress(db, row.id)
    return web.json_response(_progress(request, row, counts))


def _progress(request: web.Request, row: Campaign, counts: dict[str, int]) -> dict[str, Any]:
    """The rows by state and, when this process planned the campaign, that run's progress."""
    job = request.app[PLANNING].job(row.id)
    return progress_json(row, counts) | {"planning": job.as_json() if job else None}


async def _change(request: web.Request, action: str) -> web.StreamResponse:
    campaign_id, now = request.match_info["campaign_id"], request.config_dict[CLOCK]()
    session = await get_session(request)
    if action == "cancel":
        await request.app[PLANNING].stop(campaign_id)  # no row planned after the cancel
    async with request.app[DB]() as db:
        await _campaign(request, db)
        try:
            cancelled = await change_status(db, campaign_id, action, actor_name(request[USER]), now)
        except CampaignError:
            flash(session, "reminders.cannot", "error", campaign=campaign_id, action=action)
        else:
            await db.commit()
            flash(session, ACTIONS[action], campaign=campaign_id, count=str(cancelled))
    raise web.HTTPFound(url(request, "reminders.show", campaign_id=campaign_id))


def _action_route(action: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await _change(request, action)

    handler.__doc__ = f"{action.capitalize()} the campaign (POST, CSRF, audited by change_status)."
    routes.post(f"{CAMPAIGN}/{action}", name=f"reminders.{action}")(handler)


for _action in ACTIONS:
    _action_route(_action)
