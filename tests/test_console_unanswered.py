"""The unanswered queue over HTTP against the real server, on SQLite and PostgreSQL: questions the
bot abstained on and questions it clarified on (asked the voter to choose between entries), each
tagged with its kind, grouped by meaning with counts and candidates, filterable by kind; the
actions (add as a phrasing, start a new entry, mark handled) work on a clarified question too."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.models import UnansweredQuestion
from broadcast_seed import add_contact
from tests.console_client import Staff, console_settings
from tests.console_seed import HOSTILE, add_unanswered, database, signed_in_as

QUEUE = "/console/unanswered"
#: The issue-16 example the shipped knowledge still clarifies on (tests/test_kb_clarify.py).
AMPLOP = "ada yg bagi2 amplop di kampung sy, lapor kemana"
CABAI = "harga cabai hari ini berapa"
MIXED = "cara lapor politik uang ke mana"
CLOSE = [{"entry_id": "mahasiswa-perantau", "score": 1.052}, {"entry_id": "cara-lapor-bawaslu", "score": 1.034}]

editor = signed_in_as("editor")
agent = signed_in_as("agent")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return console_settings(database_url, tmp_path)


async def seed(settings: Settings) -> None:
    now = utcnow()
    async with database(settings) as db:
        voter = await add_contact(db)
        for _ in range(2):
            add_unanswered(db, voter, AMPLOP, now, kind="clarified", candidates=CLOSE)
        add_unanswered(db, voter, CABAI, now, kind="abstained")
        add_unanswered(db, voter, CABAI, now)  # a row from before kinds were stored: an abstention
        add_unanswered(db, voter, MIXED, now, kind="abstained")
        add_unanswered(db, voter, MIXED, now, kind="clarified", candidates=CLOSE[::-1])
        add_unanswered(db, voter, HOSTILE[0], now, kind="clarified", candidates=CLOSE)


def groups(body: str) -> dict[str, tuple[str, str]]:
    """The queue's groups by their first question: (kinds present, the section's HTML)."""
    found = {}
    for kinds, section in re.findall(r'<section class="card group" data-kinds="([^"]*)">(.*?)</section>', body, re.S):
        heading = re.search(r"<h2><bdi>(.*?)</bdi>", section)
        assert heading, section
        found[html.unescape(heading.group(1))] = (kinds, section)
    return found


async def open_ids(settings: Settings, question: str) -> list[int]:
    async with database(settings) as db:
        rows = await db.scalars(select(UnansweredQuestion.id).where(
            UnansweredQuestion.question == question, UnansweredQuestion.status == "open").order_by(UnansweredQuestion.id))
        return list(rows)


async def test_abstained_and_clarified_questions_are_tagged_grouped_and_filterable(
    editor: Staff, agent: Staff, settings: Settings
) -> None:
    await seed(settings)
    response, body = await editor.get(QUEUE)
    assert response.status == 200
    found = groups(body)
    assert set(found) == {AMPLOP, CABAI, MIXED, HOSTILE[0]}
    kinds, amplop = found[AMPLOP]
    assert kinds == "clarified" and "2× ditanyakan" in amplop and "bot bertanya balik: 2" in amplop
    assert "bot tidak tahu" not in amplop
    assert 'mahasiswa-perantau (<span class="score">1.052</span>), cara-lapor-bawaslu' in amplop
    kinds, cabai = found[CABAI]
    assert kinds == "abstained" and "bot tidak tahu: 2" in cabai and "2× ditanyakan" in cabai
    kinds, mixed = found[MIXED]
    assert kinds == "abstained clarified" and "bot tidak tahu: 1" in mixed and "bot bertanya balik: 1" in mixed
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in body and "<script>window" not in body
    # The actions are there for a clarified group as for an abstained one.
    assert 'name="entry_id"' in amplop and "unanswered/handled" in amplop and "/console/knowledge/new?question=" in amplop
    assert re.search(r'<select name="entry_id">\s*<option value="mahasiswa-perantau">', amplop)

    response, body = await editor.get(QUEUE + "?kind=clarified")
    found = groups(body)
    assert set(found) == {AMPLOP, MIXED, HOSTILE[0]} and {kinds for kinds, _ in found.values()} == {"clarified"}
    assert "1× ditanyakan" in found[MIXED][1]
    assert f'href="{QUEUE}?kind=clarified" aria-current="page"' in body
    _, body = await editor.get(QUEUE + "?kind=abstained")
    found = groups(body)
    assert set(found) == {CABAI, MIXED} and found[CABAI][0] == "abstained" and "2× ditanyakan" in found[CABAI][1]
    _, body = await editor.get(QUEUE + "?kind=<script>")
    assert set(groups(body)) == {AMPLOP, CABAI, MIXED, HOSTILE[0]} and f'href="{QUEUE}" aria-current="page"' in body

    # An agent works the queue too, without the editor's phrasing form.
    _, body = await agent.get(QUEUE + "?kind=clarified")
    assert AMPLOP in body and 'name="entry_id"' not in body and "unanswered/handled" in body


async def test_a_clarified_question_is_marked_handled_or_added_as_a_phrasing(editor: Staff, settings: Settings) -> None:
    await seed(settings)
    await editor.get(QUEUE)
    ids = await open_ids(settings, AMPLOP)
    response, _ = await editor.post("/console/unanswered/handled", [("ids", str(n)) for n in ids])
    assert response.status == 302
    _, body = await editor.get(QUEUE)
    assert "2 pertanyaan ditandai selesai." in body and AMPLOP not in groups(body)
    assert await open_ids(settings, AMPLOP) == []

    _, clarified = await open_ids(settings, MIXED)  # the abstention was queued first, then the clarification
    response, _ = await editor.post("/console/unanswered/phrasing", [
        ("question", str(clarified)), ("entry_id", "cara-lapor-bawaslu"), ("ids", str(clarified))])
    assert response.status == 302
    _, body = await editor.get(QUEUE)
    assert "Ditambahkan sebagai variasi cara-lapor-bawaslu" in body
    assert "1× ditanyakan" in groups(body)[MIXED][1]  # the abstention of the same words still waits
    faq = "".join(path.read_text(encoding="utf-8") for path in settings.faq_dir.glob("*.yml"))
    assert f"- {MIXED}\n" in faq
