"""``suara segments count|why|save|list|delete``: segment queries against the database.

A query that does not parse prints its position, the problem in Indonesian and English and a
suggestion, and exits 1; never a stack trace.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from flows.segments import Query, SegmentQueryError, parse
from flows.segments.errors import shown

from bot.cli.common import Commands, group, migrate
from bot.settings import Settings

T = TypeVar("T")
SEGMENTS_HELP = "segment queries: count voters, explain one voter, saved segments"


def register(commands: Commands) -> None:
    """Add the ``segments`` commands to the ``suara`` parser."""
    sub = group(commands, "segments", SEGMENTS_HELP)
    count = sub.add_parser("count", help="how many voters a query picks, e.g. 'zone = WITA AND consent = yes'")
    count.add_argument("query", help="a segment query (flows/segments/README.md), or @NAME for a saved segment")
    count.add_argument("--json", action="store_true", help='print {"count": N}')
    count.set_defaults(run=_count)
    why = sub.add_parser("why", help="each clause of a query for one voter, with the evidence behind it")
    why.add_argument("contact_id", type=int, help="the contact's id")
    why.add_argument("query", help="a segment query, or @NAME for a saved segment")
    why.set_defaults(run=_why)
    save = sub.add_parser("save", help="save a query under a name (replaces one of the same name)")
    save.add_argument("name")
    save.add_argument("query")
    save.add_argument("--author", default=None, help="who saves it (default: your user name)")
    save.set_defaults(run=_save)
    listing = sub.add_parser("list", help="the saved segments")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
    delete = sub.add_parser("delete", help="delete a saved segment")
    delete.add_argument("name")
    delete.add_argument("--author", default=None, help="who deletes it (default: your user name)")
    delete.set_defaults(run=_delete)


def with_database(settings: Settings, work: Callable[[AsyncSession, datetime], Awaitable[T]]) -> T:
    """Migrate, then run ``work`` on the configured database and commit (``work`` may commit
    earlier, as scheduling does per batch); an exception rolls back what was not committed."""
    from bot.conversation.loop import utcnow
    from bot.storage.engine import create_engine, session_factory

    migrate(settings)

    async def run() -> T:
        engine = create_engine(settings)
        try:
            async with session_factory(engine)() as db:
                result = await work(db, utcnow())
                await db.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def fail(message: str) -> int:
    print(f"suara: {message}", file=sys.stderr)
    return 1


def author_of(args: argparse.Namespace) -> str:
    return args.author or getpass.getuser()


async def _query(db: AsyncSession, text: str) -> Query:
    """``@NAME`` is a saved segment, anything else a query."""
    from bot.broadcasts.segments import saved_query

    return await saved_query(db, text[1:]) if text.startswith("@") else parse(text)


def _guarded(settings: Settings, work: Callable[[AsyncSession, datetime], Awaitable[int]]) -> int:
    """Run ``work``; a bad query or segment name is one clear line and exit 1."""
    from bot.broadcasts.segments import SegmentError

    try:
        return with_database(settings, work)
    except (SegmentQueryError, SegmentError) as exc:
        return fail(str(exc))


def _count(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.segments import count

    async def work(db: AsyncSession, now: datetime) -> int:
        found = await count(db, await _query(db, args.query), now)
        print(json.dumps({"count": found}) if args.json else f"{found} pemilih / voters")
        return 0

    return _guarded(settings, work)


def _why(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.segments import why

    async def work(db: AsyncSession, now: datetime) -> int:
        answer = await why(db, args.contact_id, await _query(db, args.query), now)
        if answer is None:
            return fail(f"kontak {args.contact_id} tidak ada / there is no contact {args.contact_id}")
        verdict = "MASUK segmen / IN the segment" if answer.matched else "TIDAK masuk segmen / NOT in the segment"
        print(f"kontak / contact {answer.contact_id}: {verdict}")
        for item in answer.clauses:
            result = item.result
            mark = "✓" if result.held else "✗"
            negated = " (di bawah NOT / under NOT)" if result.negated else ""
            print(f"  {mark} {result.text}{negated}: {result.fact} = {result.value}")
            for signal in item.evidence:
                said = f' — pesan / message: "{shown(signal.message, 200)}"' if signal.message else ""
                print(f"      sinyal / signal {signal.name}={shown(signal.value)} ({signal.source}, "
                      f"{signal.confidence:.2f}, {signal.recorded_at:%Y-%m-%d %H:%M} UTC): "
                      f"{shown(signal.evidence, 200)}{said}")
        return 0

    return _guarded(settings, work)


def _save(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.segments import save

    async def work(db: AsyncSession, now: datetime) -> int:
        row = await save(db, args.name, args.query, author_of(args), now)
        print(f"suara: segmen / segment {row.name} disimpan / saved: {row.query}")
        return 0

    return _guarded(settings, work)


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.segments import saved

    async def work(db: AsyncSession, now: datetime) -> int:
        rows = await saved(db)
        if args.json:
            print(json.dumps([{"name": r.name, "query": r.query, "author": r.author,
                               "updated_at": r.updated_at.isoformat()} for r in rows]))
            return 0
        if not rows:
            print("belum ada segmen tersimpan / no saved segments yet")
        for row in rows:
            print(f"{row.name}\t{row.query}\t({row.author}, {row.updated_at:%Y-%m-%d})")
        return 0

    return _guarded(settings, work)


def _delete(settings: Settings, args: argparse.Namespace) -> int:
    from bot.broadcasts.segments import remove

    async def work(db: AsyncSession, now: datetime) -> int:
        await remove(db, args.name, author_of(args), now)
        print(f"suara: segmen / segment {args.name} dihapus / deleted")
        return 0

    return _guarded(settings, work)
