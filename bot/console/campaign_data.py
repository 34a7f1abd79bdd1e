"""What the reminders pages read: a campaign file sent from the console (pasted, uploaded or
picked from the library) checked as ``suara broadcast validate`` does, each campaign's live
version, and the progress of its reminder rows by state.

Publishing, scheduling, previews, results and pause / resume / cancel are the functions of
:mod:`bot.broadcasts`; nothing here changes a campaign.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.campaigns import Campaign as CampaignPlan
from flows.campaigns import library_sources, parse_campaign

from bot.storage.campaign_models import REMINDER_STATES, Campaign, CampaignVersion, Reminder

#: The biggest campaign file the console accepts (the example is about 10 kB).
MAX_SOURCE = 200_000
PASTED = "pasted.yml"
#: Reminder states after which a row will not move any more (``sent`` may still become delivered / read).
SETTLED = ("sent", "delivered", "read", "failed", "skipped", "held", "cancelled")


@dataclass
class Checked:
    """A campaign file from a form: its text, the name its problems are reported under, the
    campaign when it parsed, and every problem as ``file:line:column: message``."""

    source: str
    file: str
    campaign: CampaignPlan | None = None
    problems: list[Any] = field(default_factory=list)
    refused: str = ""  # a text key: the form gave no usable text at all

    @property
    def ok(self) -> bool:
        return self.campaign is not None and not self.problems and not self.refused


def _uploaded(form: Any) -> tuple[str, str] | None:
    """(text, file name) of an uploaded file, if one was chosen."""
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return None
    data = upload.file.read(MAX_SOURCE + 1)
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data), upload.filename


def checked_from_form(form: Any) -> Checked:
    """The campaign the form sends: an uploaded file first, else a library pick, else the pasted text."""
    uploaded = _uploaded(form)
    library = str(form.get("library", ""))
    if uploaded is not None:
        source, file = uploaded
    elif library:
        sources = library_sources()
        if library not in sources:
            return Checked("", library[:100], refused="reminders.unknown_library")
        source, file = sources[library], library
    else:  # pasted, or the text a check page sends back with the name it came under
        source, file = str(form.get("source", "")), str(form.get("file_name", "")) or PASTED
    file = file.replace("\\", "/").rsplit("/", 1)[-1][:100] or PASTED
    if not source.strip():
        return Checked(source, file, refused="reminders.empty")
    if len(source) > MAX_SOURCE:
        return Checked(source[:MAX_SOURCE], file, refused="reminders.too_large")
    campaign, problems = parse_campaign(source, file)
    return Checked(source, file, campaign, list(problems))


def library_names() -> list[str]:
    return list(library_sources())


def variant_names(campaign: CampaignPlan | None) -> dict[tuple[str, int], str]:
    """(event id, variant index) → the variant's segment, or "default", for the tables."""
    if campaign is None:
        return {}
    return {(event.id, variant.index): variant.segment or "default"
            for event in campaign.events for variant in event.variants}


async def live_version(db: AsyncSession, row: Campaign) -> CampaignVersion | None:
    return await db.get(CampaignVersion, row.version_id)


def parsed(version: CampaignVersion) -> CampaignPlan | None:
    """The campaign of a published version (``None`` if its text no longer parses, e.g. after a
    region list changed)."""
    campaign, problems = parse_campaign(version.source, version.file)
    return None if problems else campaign


async def progress(db: AsyncSession, campaign_id: str) -> dict[str, int]:
    """How many of the campaign's reminder rows are in each state (every state present, 0 or more)."""
    counts: Counter[str] = Counter({state: 0 for state in REMINDER_STATES})
    for status, number in await db.execute(
        select(Reminder.status, func.count()).where(Reminder.campaign_id == campaign_id).group_by(Reminder.status)
    ):
        counts[status] = int(number)
    return dict(counts)


async def progress_by_campaign(db: AsyncSession) -> dict[str, dict[str, int]]:
    """:func:`progress` for every campaign at once (for the list page)."""
    found: dict[str, dict[str, int]] = {}
    for campaign_id, status, number in await db.execute(
        select(Reminder.campaign_id, Reminder.status, func.count()).group_by(Reminder.campaign_id, Reminder.status)
    ):
        found.setdefault(campaign_id, {state: 0 for state in REMINDER_STATES})[status] = int(number)
    return found


def progress_json(row: Campaign, counts: dict[str, int]) -> dict[str, Any]:
    """What the campaign page polls: the status, counts by state, and rows settled of all rows."""
    total = sum(counts.values())
    return {"campaign": row.id, "status": row.status, "updated_at": row.updated_at.isoformat(),
            "counts": counts, "total": total, "settled": sum(counts.get(state, 0) for state in SETTLED)}
