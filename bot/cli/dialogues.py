"""``suara dialogues test FILE [--json]``: play scripted voter dialogues through the real bot.

Each dialogue runs as a new web-chat voter through the same conversation loop, flows, knowledge
base and models the server uses, on a throw-away SQLite database (never the deployment's), and
every bot reply is checked against the dialogue's expectations (:mod:`flows.dialogues`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

import flows
from flows.dialogues import BotReply, Dialogue, check, parse_dialogues

from bot.cli.common import Commands, group
from bot.conversation.loop import ConversationLoop
from bot.conversation.messages import InboundMessage
from bot.runtime import build_loop
from bot.settings import Settings
from bot.storage import turns as store
from bot.storage.content import seed_demo_content
from bot.storage.engine import create_engine, session_factory
from bot.storage.migrate import upgrade_async
from bot.storage.models import ConversationSession
from bot.storage.staff_files import read_text
from bot.telemetry.metrics import Metrics

CHANNEL = "web"


def register(commands: Commands) -> None:
    """Add ``dialogues test`` to the ``suara`` parser."""
    test = group(commands, "dialogues", "scripted voter dialogues").add_parser(
        "test", help="play dialogues through the bot and check every reply (exit 1 if any fails)"
    )
    test.add_argument("file", type=Path, help="a YAML file of dialogues (see flows/dialogues.py)")
    test.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    test.add_argument("--only", default=None, help="play only dialogues whose name contains this")
    test.set_defaults(run=_test)


@dataclass
class Outcome:
    """One dialogue's result: the failures per turn (empty when it passed) and what the bot said."""

    dialogue: Dialogue
    failures: list[tuple[int, str, list[str]]] = field(default_factory=list)
    transcript: list[tuple[str, list[BotReply], str | None]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _test(settings: Settings, args: argparse.Namespace) -> int:
    dialogues, problems = parse_dialogues(read_text(args.file), str(args.file))
    if problems:
        for problem in problems:
            print(f"{problem.pos}: {problem.message}", file=sys.stderr)
        return 2
    chosen = [d for d in dialogues if args.only is None or args.only in d.name]
    outcomes = asyncio.run(play_all(settings, chosen))
    report = summary(outcomes)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(outcomes, report)
    return 0 if report["failed"] == 0 else 1


async def play_all(settings: Settings, dialogues: list[Dialogue]) -> list[Outcome]:
    """Play ``dialogues`` on a fresh SQLite database in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="suara-dialogues-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'dialogues.db'}"
        await upgrade_async(url)
        isolated = settings.model_copy(update={"database_url": url})
        engine = create_engine(isolated)
        clock = _Clock()
        try:
            await seed_demo_content(session_factory(engine), clock())
            loop = build_loop(isolated, engine, Metrics(), clock)
            outcomes = [await _play(loop, engine, dialogue, index, clock) for index, dialogue in enumerate(dialogues)]
            await loop.close()
        finally:
            await engine.dispose()
    return outcomes


async def _play(loop: ConversationLoop, engine, dialogue: Dialogue, index: int, clock: "_Clock") -> Outcome:  # noqa: ANN001
    voter = f"dialogue-{index}"
    await _set_consent(engine, voter, dialogue.consent, clock())
    outcome = Outcome(dialogue)
    for number, turn in enumerate(dialogue.turns, start=1):
        clock.tick()
        result = await loop.handle(InboundMessage(CHANNEL, voter, f"{voter}/{number}", clock(), text=turn.user))
        replies = [BotReply(r.text, tuple(b.title for b in r.buttons), r.kind) for r in result.replies]
        flow = await _current_flow(engine, voter)
        outcome.transcript.append((turn.user, replies, flow))
        if failures := check(turn.expect, replies, flow):
            outcome.failures.append((number, turn.user, failures))
    return outcome


async def _set_consent(engine, voter: str, consent: str, now: datetime) -> None:  # noqa: ANN001
    """A dialogue that starts with consent given or refused: the voter's state before turn one."""
    if consent == "unset":
        return
    async with session_factory(engine)() as db, db.begin():
        contact = await store.contact_for(db, CHANNEL, voter, language="id", timezone="Asia/Jakarta", now=now)
        contact.consent = consent == "yes"
        store.record_consent(db, contact, "granted" if contact.consent else "refused", flows.CONSENT_VERSION,
                             CHANNEL, now)


async def _current_flow(engine, voter: str) -> str | None:  # noqa: ANN001
    async with session_factory(engine)() as db:
        contact = await store.contact_for(db, CHANNEL, voter, language="id", timezone="Asia/Jakarta",
                                          now=datetime.now(timezone.utc))
        state = await db.scalar(select(ConversationSession.state).where(ConversationSession.contact_id == contact.id))
        await db.rollback()
    position = (state or {}).get("flow")
    return str(position["id"]) if isinstance(position, dict) and "id" in position else None


def summary(outcomes: list[Outcome]) -> dict[str, object]:
    """Pass counts overall and per category, and each failure with the voter's words."""
    total, passed = Counter(o.dialogue.category for o in outcomes), Counter(
        o.dialogue.category for o in outcomes if o.passed)
    return {
        "dialogues": len(outcomes),
        "passed": sum(passed.values()),
        "failed": len(outcomes) - sum(passed.values()),
        "pass_rate": round(sum(passed.values()) / len(outcomes), 3) if outcomes else None,
        "categories": {c: {"passed": passed[c], "total": total[c]} for c in sorted(total)},
        "failures": [
            {"name": o.dialogue.name, "turn": n, "user": user, "problems": problems,
             "replies": [r.text[:200] for r in o.transcript[n - 1][1]]}
            for o in outcomes for n, user, problems in o.failures
        ],
    }


def _print_report(outcomes: list[Outcome], report: dict[str, object]) -> None:
    for outcome in outcomes:
        for number, user, problems in outcome.failures:
            print(f"FAIL {outcome.dialogue.name} turn {number} ({user!r}): {'; '.join(problems)}")
    for category, counts in report["categories"].items():  # type: ignore[union-attr]
        print(f"{category:<16} {counts['passed']:>3}/{counts['total']}")
    print(f"{report['passed']} passed, {report['failed']} failed")


class _Clock:
    """Time for the dialogues: starts now, a minute passes between turns (sessions never expire)."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += timedelta(minutes=1)
