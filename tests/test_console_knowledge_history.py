"""An entry's history over HTTP against the real server, on SQLite and PostgreSQL: after its first
publish from the console, the diff shows only what changed, not the layout of the hand-written
file (both sides are compared as the console's YAML serializer writes them)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.models import UnansweredQuestion
from bot.storage.staff_models import KnowledgeVersion
from broadcast_seed import add_contact
from tests.console_client import Staff, console_settings
from tests.console_seed import add_unanswered, database, signed_in_as

ENTRY = "jam-buka-tps"
QUESTION = "tps di kampung sy dibuka mulai pukul brp"

editor = signed_in_as("editor")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return console_settings(database_url, tmp_path)


def diff_lines(section: str) -> list[tuple[str, str]]:
    """(kind, line) of the added and deleted lines of one version's diff."""
    return [(kind, html.unescape(line)) for kind, line in re.findall(r'<span class="(add|del)">(.*?)</span>', section)]


async def test_the_first_published_change_shows_only_itself_in_the_diff(editor: Staff, settings: Settings) -> None:
    hand_written = next(path for path in settings.faq_dir.glob("*.yml")
                        if f"- id: {ENTRY}\n" in path.read_text(encoding="utf-8")).read_text(encoding="utf-8")
    assert "\n    - jam brp tps buka\n" in hand_written  # indented unlike the serializer writes lists
    async with database(settings) as db:
        add_unanswered(db, await add_contact(db), QUESTION, utcnow(), kind="abstained")
    async with database(settings) as db:
        (question,) = await db.scalars(select(UnansweredQuestion.id))
    await editor.get("/console/unanswered")
    response, _ = await editor.post("/console/unanswered/phrasing", [
        ("question", str(question)), ("entry_id", ENTRY), ("ids", str(question))])
    assert response.status == 302

    response, body = await editor.get(f"/console/knowledge/{ENTRY}/history")
    assert response.status == 200
    sections = re.findall(r'<section class="card">(.*?)</section>', body, re.S)
    assert len(sections) == 2  # the published version, and the file's text from before the console
    assert diff_lines(sections[0]) == [("add", f"+  - {QUESTION}")]
    assert ("add", "+- id: jam-buka-tps") in diff_lines(sections[1])  # the first version: all of it is new
    async with database(settings) as db:
        before = (await db.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.id))).first()
    assert before is not None and "\n    - jam brp tps buka\n" in before.source  # stored as it was, for rollback
