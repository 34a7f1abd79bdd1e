"""``suara broadcast validate|preview|schedule|status|pause|resume|cancel``: campaigns from the
command line (the file format is in docs/reminders.md).

A campaign file with problems prints each as ``file:line:column: message`` and exits 1; nothing
is published or scheduled.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from flows.campaigns import Campaign, parse_campaign

from bot.cli.common import Commands, group
from bot.cli.segments import author_of, fail, with_database
from bot.settings import Settings
from bot.storage.staff_files import read_text

BROADCAST_HELP = "reminder campaigns: validate, preview, schedule, status, pause, resume, cancel"


def register(commands: Commands) -> None:
    """Add the ``broadcast`` commands to the ``suara`` parser."""
    sub = group(commands, "broadcast", BROADCAST_HELP)
    validate = sub.add_parser("validate", help="check a campaign file; prints file:line:column: problem")
    validate.add_argument("file", type=Path)
    validate.set_defaults(run=_validate)
    preview = sub.add_parser("preview", help="counts per event, variant, zone and channel, skips by reason, "
                             "sample texts; writes nothing")
    preview.add_argument("file", type=Path)
    preview.add_argument("--json", action="store_true")
    preview.set_defaults(run=_preview)
    schedule = sub.add_parser("schedule", help="publish the file and plan one reminder per voter and event "
                              "(safe to run again)")
    schedule.add_argument("file", type=Path)
    schedule.add_argument("--author", default=None, help="who schedules (default: your user name)")
    schedule.set_defaults(run=_schedule)
    status = sub.add_parser("status", help="every campaign's status, or one campaign's numbers")
    status.add_argument("campaign", nargs="?")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=_status)
    for action, text in (("pause", "stop sending until resumed"), ("resume", "send again after a pause"),
                         ("cancel", "stop for good; planned reminders are cancelled")):
        command = sub.add_parser(action, help=text)
        command.add_argument("campaign")
        command.add_argument("--author", default=None, help="who does it (default: your user name)")
        command.set_defaults(run=_change_status, action=action)


def _guarded(settings: Settings, work: Callable[[AsyncSession, datetime], Awaitable[int]]) -> int:
    """Run ``work`` on the database; a campaign action that cannot be done is one line and exit 1."""
    from bot.broadcasts.campaigns import CampaignError

    try:
        return with_database(settings, work)
    except CampaignError as exc:
        return fail(str(exc))


def _load(path: Path) -> tuple[Campaign | None, str]:
    """The campaign in ``path`` (``None`` after printing its problems) and its text."""
    source = read_text(path)
    campaign, problems = parse_campaign(source, str(path))
    for problem in problems:
        print(problem)
    return campaign, source


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    campaign, _ = _load(args.file)
    if campaign is None:
        return 1
    events = ", ".join(event.id for event in campaign.events)
    print(f"suara: {args.file}: kampanye / campaign {campaign.id} OK ({events})")
    return 0


def _preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.campaigns import plan_settings
    from bot.broadcasts.preview import preview

    campaign, _ = _load(args.file)
    if campaign is None:
        return 1

    async def work(db: AsyncSession, now: datetime) -> int:
        result = await preview(db, campaign, now, plan_settings(settings, campaign))
        if args.json:
            print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
            return 0
        print(f"{campaign.id}: {result.contacts} kontak / contacts")
        print("pesan / messages (event, variant, zone, channel):")
        for (event, variant, zone, channel), count in sorted(result.messages.items()):
            print(f"  {event:<12} #{variant:<3} {zone:<5} {channel:<9} {count}")
        print("dilewati / skipped (event, reason):")
        for (event, reason), count in sorted(result.skipped.items()):
            print(f"  {event:<12} {reason:<16} {count}")
        print(f"zona dari bawaan / zone from the default: {result.zone_from_default}")
        for (event, variant), samples in sorted(result.samples.items()):
            print(f"contoh / samples {event} #{variant}:")
            for sample in samples:
                print(f"  [{sample.contact_id} {sample.language} {sample.zone} {sample.channel} "
                      f"{sample.due_at:%Y-%m-%d %H:%M} UTC] {sample.text}")
        return 0

    return _guarded(settings, work)


def _schedule(settings: Settings, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from bot.broadcasts.campaigns import plan_settings, publish
    from bot.broadcasts.planner import schedule

    campaign, source = _load(args.file)
    if campaign is None:
        return fail("tidak ada yang dijadwalkan / nothing was scheduled")

    async def work(db: AsyncSession, now: datetime) -> int:
        rules = plan_settings(settings, campaign)
        published = await publish(db, campaign, source, author_of(args), now)
        await db.commit()
        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task(f"{campaign.id}: merencanakan / planning", total=None)
            result = await schedule(db, campaign, published.version_id, now, rules,
                                    progress=lambda done, total: bar.update(task, completed=done, total=total))
        written = ", ".join(f"{status} {count}" for status, count in sorted(result.written.items())) or "0"
        print(f"suara: {campaign.id} ({published.status}): {result.contacts} kontak / contacts; "
              f"baris baru / new rows: {written}; sudah ada / already there: {result.already}")
        return 0

    return _guarded(settings, work)


def _status(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.campaigns import get, listed
    from bot.broadcasts.results import results

    async def work(db: AsyncSession, now: datetime) -> int:
        rows = [await get(db, args.campaign)] if args.campaign else await listed(db)
        numbers = [await results(db, row.id) for row in rows]
        if args.json:
            print(json.dumps([{"status": row.status, "updated_at": row.updated_at.isoformat(), **found.as_json()}
                              for row, found in zip(rows, numbers, strict=True)], ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print("belum ada kampanye / no campaigns yet")
        for row, found in zip(rows, numbers, strict=True):
            print(f"{row.id}: {row.status} (sejak / since {row.updated_at:%Y-%m-%d %H:%M} UTC)")
            print("  event        variant planned sent delivered read replied_24h opted_out_24h")
            for v in found.variants:
                print(f"  {v.event_id:<12} {_variant(v.variant):<7} {v.planned:>7} {v.sent:>4} {v.delivered:>9} "
                      f"{v.read:>4} {v.replied_24h:>11} {v.opted_out_24h:>13}")
            for o in found.outcomes:
                print(f"  {o.event_id:<12} {_variant(o.variant):<7} {o.status}: {o.reason or '—'} {o.count}")
        return 0

    return _guarded(settings, work)


def _variant(index: int | None) -> str:
    return "—" if index is None else f"#{index}"


def _change_status(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.campaigns import change_status

    async def work(db: AsyncSession, now: datetime) -> int:
        cancelled = await change_status(db, args.campaign, args.action, author_of(args), now)
        extra = f"; {cancelled} pengingat dibatalkan / reminders cancelled" if args.action == "cancel" else ""
        print(f"suara: {args.campaign}: {args.action} OK{extra}")
        return 0

    return _guarded(settings, work)
