"""Publishing one FAQ entry from the console: validate it as ``suara kb validate`` does, write
it back into its YAML file atomically, record the version and the audit entry, and hand the
running server the new knowledge base so the watcher's reload takes milliseconds.

Every way of changing knowledge in the console (the editor, a phrasing from the unanswered
queue, a rollback) goes through :func:`publish_entry`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge import FaqEntry, KnowledgeBase, load_out_of_scope
from knowledge.faq_loader import FaqFormatError, parse_faq

from bot.console.accounts import StaffUser
from bot.console.audit import record
from bot.console.drafts import DRAFT_FILE, Trial, draft_knowledge, draft_problems, try_question, with_entry
from bot.console.faq_files import (
    FaqFile, Located, all_entries, entry_block, locate, parse_block, read_folder, version_of, with_block,
)
from bot.settings import Settings
from bot.storage.staff_files import write_atomically
from bot.storage.staff_models import KnowledgeVersion
from bot.understanding.knowledge_source import build_knowledge, remember_knowledge
from bot.understanding.models import settings_encoder


@dataclass(frozen=True, slots=True)
class Published:
    """What became of a publish: the new version, or why nothing was written."""

    version: str | None = None
    problems: dict[str, list[str]] = field(default_factory=dict)
    conflict: bool = False
    unchanged: bool = False


async def publish_entry(db: AsyncSession, settings: Settings, lock: asyncio.Lock, user: StaffUser, draft: FaqEntry,
                        *, base_version: str | None, new_in: str | None, note: str, today: date,
                        now: datetime) -> Published:
    """Publish ``draft`` and commit: an existing entry when ``base_version`` is given (the
    version the editor started from; another one by now is a conflict), otherwise a new entry
    appended to the file named ``new_in``."""
    async with lock:
        files = await asyncio.to_thread(read_folder, settings.faq_dir)
        located = locate(files, draft.id)
        if base_version is not None:
            if located is None or version_of(located.block) != base_version:
                return Published(conflict=True)
            target = located.file
        else:
            if located is not None:
                return Published(problems={"id": [f"{draft.id}: id sudah dipakai / the id is taken"]})
            target = next((f for f in files if f.path.name == new_in), None)
            if target is None:
                return Published(problems={"file": ["pilih berkas yang ada / choose an existing file"]})
        block = entry_block(draft)
        if located is not None and block == located.block:
            return Published(unchanged=True)
        outcome = await asyncio.to_thread(_prepare, settings, files, target, located, block, today)
        if isinstance(outcome, dict):
            return Published(problems=outcome)
        text, kb = outcome
        remember_knowledge(kb, load_out_of_scope())
        version = version_of(block)
        if located is not None and await _first_version(db, draft.id):
            db.add(_version(located.entry.id, located.block, target.path, "before the console", "file", now))
        db.add(_version(draft.id, block, target.path, note, user.email, now))
        record(db, user, "knowledge_published", f"faq:{draft.id}", now, note=note, file=target.path.name,
               version=version, before=located.block if located else None, after=block)
        await db.flush()
        await asyncio.to_thread(write_atomically, target.path, text.encode())
        await db.commit()
        return Published(version=version)


def _prepare(settings: Settings, files: list[FaqFile], target: FaqFile, located: Located | None, block: str,
             today: date) -> tuple[str, KnowledgeBase] | dict[str, list[str]]:
    """The new file text and knowledge base, or the problems by field (CPU work: a thread)."""
    try:
        draft = parse_block(block, DRAFT_FILE)
    except FaqFormatError as exc:
        return {"id": [exc.reason]}
    text = with_block(target, located, block)
    entries, errors = parse_faq(text, str(target.path))
    if errors:
        return {"id": [errors[0].reason]}
    out_of_scope = load_out_of_scope()
    live = build_knowledge(settings_encoder(settings), settings.faq_dir)
    others = all_entries(files)
    problems = draft_problems(live, out_of_scope, with_entry(others, draft), draft, today)
    if problems:
        return problems
    new_all = [entry for file in files for entry in (entries if file is target else file.entries)]
    return text, draft_knowledge(live, out_of_scope, new_all)


async def _first_version(db: AsyncSession, entry_id: str) -> bool:
    return await db.scalar(select(KnowledgeVersion.id).where(KnowledgeVersion.entry_id == entry_id).limit(1)) is None


def _version(entry_id: str, block: str, path: Path, note: str, author: str, now: datetime) -> KnowledgeVersion:
    return KnowledgeVersion(entry_id=entry_id, version=version_of(block), file=path.name, source=block,
                            note=note[:200], author=author, published_at=now)


async def versions(db: AsyncSession, entry_id: str) -> list[KnowledgeVersion]:
    """The entry's published versions, newest first."""
    rows = await db.scalars(select(KnowledgeVersion).where(KnowledgeVersion.entry_id == entry_id)
                            .order_by(KnowledgeVersion.id.desc()))
    return list(rows)


async def version_by_id(db: AsyncSession, entry_id: str, version_id: int) -> KnowledgeVersion | None:
    row = await db.get(KnowledgeVersion, version_id)
    return row if row is not None and row.entry_id == entry_id else None


def check_draft(settings: Settings, draft: FaqEntry, question: str, today: date) -> tuple[dict[str, list[str]], Trial | None]:
    """The problems of ``draft`` and, when ``question`` is given, what the bot would do with it
    once ``draft`` is live (blocking: run it in a thread)."""
    try:
        parsed = parse_block(entry_block(draft), DRAFT_FILE)
    except FaqFormatError as exc:
        return {"id": [exc.reason]}, None
    files = read_folder(settings.faq_dir)
    out_of_scope = load_out_of_scope()
    live = build_knowledge(settings_encoder(settings), settings.faq_dir)
    entries = with_entry(all_entries(files), parsed)
    problems = draft_problems(live, out_of_scope, entries, parsed, today)
    if not question.strip():
        return problems, None
    kb = draft_knowledge(live, out_of_scope, entries)
    return problems, try_question(kb, question, today, settings.default_language)
