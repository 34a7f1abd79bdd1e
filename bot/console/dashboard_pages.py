"""The dashboard (the viewers' home): numbers and tables in the page, each chart an ``<img>`` of
an SVG drawn here (works without JavaScript; the tables carry the same numbers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import charts
from bot.console.dashboard import (
    FUNNEL, WINDOWS, Window, concerns, funnel, messages_per_day, opt_outs_per_day, outcomes, per_day,
    signals_by_region, top_questions, top_unanswered, window,
)
from bot.console.keys import DB
from bot.console.render import render
from bot.console.sessions import language
from bot.console.texts import text
from bot.server.keys import CLOCK, SETTINGS

routes = web.RouteTableDef()
Words = Callable[..., str]


def _days(request: web.Request) -> int:
    raw = request.query.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in WINDOWS else 30


def _outcome_words(t: Words, found: dict[str, int]) -> dict[str, int]:
    return {t(f"dash.{name}"): count for name, count in found.items()}


def _region_series(found: dict[str, dict[str, int]]) -> tuple[list[str], dict[str, list[int]]]:
    """Provinces (most signals first) and, per signal name, its count in each."""
    provinces = list(found)
    names = sorted({name for counts in found.values() for name in counts})
    return provinces, {name: [found[p].get(name, 0) for p in provinces] for name in names}


async def _messages_chart(db: AsyncSession, span: Window, t: Words) -> bytes:
    found = await messages_per_day(db, span.since)
    return charts.per_day(t("dash.messages"), t("dash.no_data"), span.days,
                          {channel: per_day(days, span.days) for channel, days in found.items()})


async def _outcomes_chart(db: AsyncSession, span: Window, t: Words) -> bytes:
    return charts.shares(t("dash.outcomes"), t("dash.no_data"), _outcome_words(t, await outcomes(db, span.since)))


async def _regions_chart(db: AsyncSession, span: Window, t: Words) -> bytes:
    provinces, series = _region_series(await signals_by_region(db))
    return charts.by_category(t("dash.regions"), t("dash.no_data"), provinces, series)


async def _opt_outs_chart(db: AsyncSession, span: Window, t: Words) -> bytes:
    found = await opt_outs_per_day(db, span.since)
    return charts.per_day(t("dash.opt_outs"), t("dash.no_data"), span.days, {"STOP": per_day(found, span.days)})


async def _funnel_chart(db: AsyncSession, span: Window, t: Words) -> bytes:
    found = await funnel(db)
    return charts.stages(t("dash.funnel"), t("dash.no_data"), [(t(f"dash.stage.{s}"), found[s]) for s in FUNNEL])


DRAW: dict[str, Callable[[AsyncSession, Window, Words], Awaitable[bytes]]] = {
    "messages": _messages_chart, "outcomes": _outcomes_chart, "regions": _regions_chart,
    "opt_outs": _opt_outs_chart, "funnel": _funnel_chart,
}


@routes.get("/dashboard", name="dashboard")
async def dashboard(request: web.Request) -> web.StreamResponse:
    days = _days(request)
    span = window(request.config_dict[CLOCK](), days)
    async with request.app[DB]() as db:
        traffic = await messages_per_day(db, span.since)
        context = {
            "days": days, "windows": WINDOWS, "span": span, "charts": tuple(DRAW),
            "traffic": {channel: per_day(counts, span.days) for channel, counts in traffic.items()},
            "outcomes": await outcomes(db, span.since),
            "top_questions": await top_questions(db, span.since),
            "top_unanswered": await top_unanswered(db, span.since),
            "regions": await signals_by_region(db),
            "opt_outs": sum((await opt_outs_per_day(db, span.since)).values()),
            "concerns": await concerns(db, span.since),
            "funnel": await funnel(db), "stages": FUNNEL,
        }
    context["total_messages"] = sum(sum(values) for values in context["traffic"].values())
    return await render(request, "dashboard.html", context)


@routes.get("/dashboard/{chart}.svg", name="dashboard.chart")
async def dashboard_chart(request: web.Request) -> web.StreamResponse:
    draw = DRAW.get(request.match_info["chart"])
    if draw is None:
        raise web.HTTPNotFound()
    lang = language(await get_session(request), request.config_dict[SETTINGS].default_language)
    span = window(request.config_dict[CLOCK](), _days(request))
    async with request.app[DB]() as db:
        body = await draw(db, span, partial(text, lang))
    return web.Response(body=body, content_type="image/svg+xml", charset="utf-8")
