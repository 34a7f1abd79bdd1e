"""Flows in the database for the console: the live version of each, their history, and
publishing one edited flow as a new version (the editor, a rollback).

A publish goes through :func:`bot.storage.content.publish`, exactly as ``suara flows
publish`` does: the whole library is validated and a row is added to ``flow_versions``; every
server picks it up on its next message (``ContentCache``), and sessions already in the flow
finish on the version they started with.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import flows

from bot.console.accounts import StaffUser
from bot.console.audit import actor_name, record
from bot.console.flow_check import Finding, as_findings, check, source_key
from bot.storage.content import PublishError, publish
from bot.storage.models import FlowVersion


async def live_rows(db: AsyncSession) -> dict[str, FlowVersion]:
    """The live (newest) version of every flow and of the election settings, by flow id."""
    newest = select(func.max(FlowVersion.id)).group_by(FlowVersion.flow_id)
    rows = (await db.scalars(select(FlowVersion).where(FlowVersion.id.in_(newest)))).all()
    return {row.flow_id: row for row in rows}


async def history(db: AsyncSession, flow_id: str) -> list[FlowVersion]:
    """Every published version of ``flow_id``, newest first."""
    rows = await db.scalars(select(FlowVersion).where(FlowVersion.flow_id == flow_id).order_by(FlowVersion.id.desc()))
    return list(rows)


def library_sources(live: dict[str, FlowVersion]) -> dict[str, str]:
    """The live library as the validator reads it: name → text."""
    return {source_key(row.flow_id, row.file): row.source for row in live.values()}


def titles(live: dict[str, FlowVersion], language: str) -> dict[str, str]:
    """Each live flow's title in ``language`` (blocking: parses the library)."""
    library, _ = flows.parse_library(library_sources(live))
    return {flow_id: flow.title.get(language) for flow_id, flow in library.flows.items()}  # type: ignore[arg-type]


def check_draft(live: dict[str, FlowVersion], flow_id: str, draft: str) -> list[Finding]:
    """The problems of ``draft`` as the new text of the live flow ``flow_id`` (blocking)."""
    row = live[flow_id]
    return check(library_sources(live), source_key(flow_id, row.file), flow_id, draft)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a publish: the new version, or why nothing was written."""

    version: str | None = None
    findings: list[Finding] = field(default_factory=list)
    conflict: bool = False
    unchanged: bool = False


async def publish_flow(db: AsyncSession, lock: asyncio.Lock, user: StaffUser, flow_id: str, draft: str, *,
                       base_version: str, note: str, now: datetime) -> Outcome:
    """Publish ``draft`` as the new live version of ``flow_id`` and commit, with its audit entry.

    ``base_version`` is the version the editor started from: another one live by now is a
    conflict (someone published meanwhile). Text identical to an older version (a rollback)
    gets a comment line at its end, because a version is the hash of its text and each
    version of a flow is stored once.
    """
    draft = draft.replace("\r\n", "\n")
    async with lock:
        live = await live_rows(db)
        before = live.get(flow_id)
        if before is None or before.version != base_version:
            return Outcome(conflict=True)
        if draft == before.source:
            return Outcome(unchanged=True)
        findings = await asyncio.to_thread(check_draft, live, flow_id, draft)
        if findings:
            return Outcome(findings=findings)
        taken = set(await db.scalars(select(FlowVersion.version).where(FlowVersion.flow_id == flow_id)))
        text = _distinct(draft, taken, now)
        key = source_key(flow_id, before.file)
        version = flows.content_hash(text)
        try:
            await publish(db, library_sources(live) | {key: text}, actor_name(user), now)
            record(db, user, "flow_published", f"flow:{flow_id}", now, note=note[:200], version=version,
                   previous=before.version, before=before.source, after=text)
            await db.commit()
        except PublishError as exc:  # the library changed between the check and now
            await db.rollback()
            return Outcome(findings=as_findings(exc.problems, key))
        except IntegrityError:  # another worker published the same text at the same moment
            await db.rollback()
            return Outcome(conflict=True)
        return Outcome(version=version)


def _distinct(text: str, taken: set[str], now: datetime) -> str:
    """``text``, or ``text`` with a dated comment line when that exact text was published before."""
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    candidate, n = text, 1
    while flows.content_hash(candidate) in taken:
        suffix = f" ({n})" if n > 1 else ""
        candidate = f"{text.rstrip(chr(10))}\n# diterbitkan lagi / republished {stamp} UTC{suffix}\n"
        n += 1
    return candidate
