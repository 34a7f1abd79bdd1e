"""The reminders pages over HTTP against the real server, on SQLite and PostgreSQL: a campaign file
checked with file:line problems and previewed (pasted, uploaded, from the library) without
writing anything; scheduling in the background (the page answers while planning waits, shows
"planned N of M", writes what ``suara broadcast schedule`` writes, and a failed run is shown,
loses nothing and is planned again); progress as JSON; pause / resume / cancel change the state
and are audited; results per event and variant."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import FormData
from sqlalchemy import delete, select, text

from bot.broadcasts.campaigns import publish
from bot.console.campaign_data import parsed
from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.campaign_models import CampaignVersion
from bot.storage.engine import create_engine
from bot.storage.campaign_models import Campaign, Reminder
from bot.storage.models import AuditEntry
from broadcast_seed import TEST_CAMPAIGN, add_contact
from tests.console_client import Staff, make_account
from tests.console_seed import signed_in_as, add_campaign_rows, count, database

PAGE = "/console/reminders/c/pilkada-uji"


def campaign_text() -> str:
    """The test campaign with both variants neutral: H-1 falls in the default masa tenang."""
    neutral = TEST_CAMPAIGN.replace("      - segment: 'issue = jobs'\n", "      - segment: 'issue = jobs'\n        neutral: yes\n")
    return neutral.format(voting_day=(utcnow().date() + timedelta(days=20)).isoformat())


campaigner = signed_in_as("campaigner")


async def seed(settings: Settings) -> None:
    async with database(settings) as db:
        for n in range(6):
            await add_contact(db, signals={"issue": ["jobs"]} if n < 2 else None)
        await add_contact(db, consent=None)  # skipped: no_consent


async def test_check_shows_problems_at_their_line_and_a_preview_and_writes_nothing(
    campaigner: Staff, settings: Settings
) -> None:
    await seed(settings)
    response, body = await campaigner.get("/console/reminders/new")
    assert response.status == 200 and "pilkada-2024.yml" in body
    broken = campaign_text().replace("    offset_days: -1", "    ofset_days: -1")
    line = broken[: broken.index("ofset_days")].count("\n") + 1
    response, body = await campaigner.post("/console/reminders/check", {"source": broken})
    assert response.status == 422
    assert f"pasted.yml:{line}:5" in body and "offset_days" in body and "Jadwalkan</button>" not in body

    response, body = await campaigner.post("/console/reminders/check", {"source": campaign_text()})
    assert response.status == 200 and "Kampanye pilkada-uji lolos pemeriksaan" in body
    assert "7 kontak; 6 pesan akan dikirim" in body and "no_consent" in body
    assert "issue = jobs" in body and "Besok pilih yang peduli lapangan kerja!" in body
    assert "Jadwalkan</button>" in body

    # An upload is checked under its own file name; the library's example loads.
    form = FormData()
    form.add_field("csrf_token", campaigner.token)
    form.add_field("file", broken.encode(), filename="uji.yml", content_type="application/x-yaml")
    async with campaigner.http.post(campaigner.base + "/console/reminders/check", data=form) as answer:
        assert answer.status == 422 and f"uji.yml:{line}:5" in await answer.text()
    response, body = await campaigner.post("/console/reminders/check", {"library": "pilkada-2024.yml"})
    assert response.status == 200 and "pilkada-2024" in body
    for bad in ({}, {"library": "../../etc/passwd"}, {"source": "id: [unclosed"}, {"source": "\x00" * 10}):
        response, _ = await campaigner.post("/console/reminders/check", bad)
        assert response.status == 422, bad
    assert await count(settings, Campaign) == 0 and await count(settings, Reminder) == 0


async def test_schedule_pause_resume_cancel_change_state_and_are_audited(
    campaigner: Staff, settings: Settings, server: str
) -> None:
    await seed(settings)
    response, _ = await campaigner.post("/console/reminders/schedule", {"source": campaign_text()})
    assert response.status == 302 and response.headers["Location"] == PAGE
    assert (await planning_finished(campaigner) or {}).get("state") == "done"
    assert await count(settings, Reminder, Reminder.status == "planned") == 6
    response, body = await campaigner.get(PAGE)
    assert response.status == 200 and "dijadwalkan: 7 kontak, 7 baris baru" in body
    assert 'data-state="planned">6<' in body and 'data-state="skipped">1<' in body
    response, _ = await campaigner.get(PAGE + "/progress")
    progress = json.loads(_)
    assert progress["status"] == "active" and progress["counts"]["planned"] == 6 and progress["total"] == 7
    _, listing = await campaigner.get("/console/reminders")
    assert f'href="{PAGE}"' in listing and "aktif" in listing

    response, _ = await campaigner.post(PAGE + "/pause", csrf=None)
    assert response.status == 403
    response, _ = await campaigner.post(PAGE + "/pause")
    assert response.status == 302
    assert await status(settings) == "paused"
    response, _ = await campaigner.post(PAGE + "/pause")  # not from paused: refused, nothing changes
    _, body = await campaigner.get(PAGE)
    assert "tidak bisa" in body and await status(settings) == "paused"
    await campaigner.post(PAGE + "/resume")
    assert await status(settings) == "active"
    await campaigner.post(PAGE + "/cancel")
    assert await status(settings) == "cancelled"
    assert await count(settings, Reminder, Reminder.status == "cancelled") == 6
    _, body = await campaigner.get(PAGE)
    assert "6 pengingat terencana dibatalkan" in body and "/resume" not in body and "/cancel" not in body
    response, body = await campaigner.post("/console/reminders/schedule", {"source": campaign_text()})
    assert response.status == 409 and "dibatalkan" in body

    async with database(settings) as db:
        entries = [(e.actor, e.action) for e in await db.scalars(
            select(AuditEntry).where(AuditEntry.subject == "campaign:pilkada-uji").order_by(AuditEntry.id))]
    actor = "staff:campaigner@suara.test"
    assert entries == [(actor, "campaign_published"), (actor, "campaign_scheduled"), (actor, "campaign_pause"),
                       (actor, "campaign_resume"), (actor, "campaign_cancel")]

    await make_account(settings, "viewer@suara.test", "viewer")
    viewer = Staff(server)
    try:
        await viewer.login("viewer@suara.test")
        for path in (PAGE, "/console/reminders"):
            response, _ = await viewer.get(path)
            assert response.status == 403
        response, _ = await viewer.post(PAGE + "/resume")
        assert response.status == 403
    finally:
        await viewer.close()
    response, _ = await campaigner.get("/console/reminders/c/tidak-ada")
    assert response.status == 302 and response.headers["Location"] == "/console/reminders"


async def planning_when(staff: Staff, ready: Callable[[dict[str, Any] | None], bool]) -> dict[str, Any] | None:
    """The campaign's background planning run (as its page polls it) once ``ready`` says so."""
    for _ in range(1200):
        _, body = await staff.get(PAGE + "/progress")
        planning = json.loads(body)["planning"]
        if ready(planning):
            return planning
        await asyncio.sleep(0.1)
    raise AssertionError(f"planning never got there: {planning}")


async def planning_finished(staff: Staff) -> dict[str, Any] | None:
    return await planning_when(staff, lambda p: p is None or p["state"] != "planning")


async def status(settings: Settings) -> str:
    async with database(settings) as db:
        return (await db.get(Campaign, "pilkada-uji")).status  # type: ignore[union-attr]


async def test_results_per_event_and_variant(campaigner: Staff, settings: Settings) -> None:
    now = utcnow()
    async with database(settings) as db:
        ids = [await add_contact(db) for _ in range(6)]
        await add_campaign_rows(db, "pilkada-uji", zip(ids, ["planned", "sent", "delivered", "read", "failed",
                                                              "skipped"], strict=True), now)
    response, body = await campaigner.get(PAGE)
    assert response.status == 200
    row = re.search(r"<tr><td>h-1</td><td>#0.*?</tr>", body, re.S).group(0)  # type: ignore[union-attr]
    assert [int(n) for n in re.findall(r"<td>(\d+)</td>", row)] == [5, 3, 2, 1, 0, 0]
    assert "no_consent" in body and "gagal" in body
    response, body = await campaigner.get(PAGE + "/preview")
    assert response.status == 200  # the seeded version has no text: said plainly, not a 500


@asynccontextmanager
async def writes_held(settings: Settings) -> AsyncIterator[None]:
    """Hold back every write to the reminders table until the block ends: SQLite's write lock
    (readers go on, in WAL mode), or PostgreSQL's EXCLUSIVE lock on ``reminders``."""
    path = settings.sqlite_path()
    if path is not None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("LOCK TABLE reminders IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                await connection.rollback()
    finally:
        await engine.dispose()


async def published_earlier(settings: Settings) -> None:
    """The campaign published before (as ``suara broadcast schedule`` does first), so scheduling
    it again from the console writes nothing but the reminders."""
    source = campaign_text()
    async with database(settings) as db:
        plan = parsed(CampaignVersion(source=source, file="pasted.yml"))
        assert plan is not None
        await publish(db, plan, source, "staff:campaigner@suara.test", utcnow())


async def planning_state(staff: Staff, until: str, total: int) -> dict[str, Any] | None:
    """The planning run once it is in state ``until`` and knows its ``total`` contacts."""
    return await planning_when(staff, lambda p: p is not None and p["state"] == until and p["total"] == total)


@asynccontextmanager
async def planning_held_back(campaigner: Staff, settings: Settings) -> AsyncIterator[None]:
    """The published campaign scheduled from the page, its planning run waiting for the write
    lock until the block ends."""
    await seed(settings)
    await published_earlier(settings)
    async with writes_held(settings):
        await campaigner.post("/console/reminders/schedule", {"source": campaign_text()})
        await planning_state(campaigner, "planning", 7)
        yield


async def reminder_rows(settings: Settings) -> list[tuple[object, ...]]:
    """What each reminder row says (the due time of planned rows; skipped rows carry the planning time)."""
    async with database(settings) as db:
        rows = await db.scalars(select(Reminder).order_by(Reminder.idempotency_key))
        return [(r.idempotency_key, r.event_id, r.variant, r.contact_id, r.channel, r.language, r.zone, r.status,
                 r.reason, r.text, r.due_at if r.status == "planned" else None) for r in rows]


async def test_scheduling_runs_in_the_background_shows_progress_and_writes_what_the_cli_writes(
    campaigner: Staff, settings: Settings, tmp_path: Path
) -> None:
    await seed(settings)
    await published_earlier(settings)
    async with writes_held(settings):
        response, _ = await campaigner.post("/console/reminders/schedule", {"source": campaign_text()})
        assert response.status == 302 and response.headers["Location"] == PAGE  # answered, planning waits
        running = await planning_state(campaigner, "planning", 7)
        assert running is not None and running["done"] == 0 and await count(settings, Reminder) == 0
        response, body = await campaigner.get(PAGE)
        assert response.status == 200 and "diterbitkan; perencanaan berjalan di latar belakang" in body
        assert re.search(r'Sedang merencanakan</strong>: <span data-field="planning_done">0</span> dari '
                         r'<span data-field="planning_total">7</span> kontak direncanakan', body)
        assert "/plan" not in body  # no second run while one is going
        await campaigner.post("/console/reminders/schedule", {"source": campaign_text()})
        _, body = await campaigner.get(PAGE)
        assert "masih direncanakan" in body
    done = await planning_finished(campaigner)
    assert done == {"state": "done", "done": 7, "total": 7, "error": "", "written": 7, "already": 0}
    _, body = await campaigner.get(PAGE)
    assert "dijadwalkan: 7 kontak, 7 baris baru, 0 sudah ada" in body and 'data-state="planned">6<' in body
    assert await count(settings, AuditEntry, AuditEntry.action == "campaign_scheduled") == 1

    # The CLI plans the same file to the same rows.
    console = await reminder_rows(settings)
    async with database(settings) as db:
        await db.execute(delete(Reminder))
    campaign_file = tmp_path / "pilkada-uji.yml"
    campaign_file.write_text(campaign_text(), encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "bot.cli", "broadcast", "schedule", str(campaign_file)],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SUARA_DATABASE_URL": settings.database_url})
    assert cli.returncode == 0, cli.stderr
    assert await reminder_rows(settings) == console and len(console) == 7


async def test_a_failed_planning_run_is_shown_loses_nothing_and_is_planned_again(
    campaigner: Staff, settings: Settings
) -> None:
    async with planning_held_back(campaigner, settings):
        if settings.sqlite_path() is None:
            await _cut_the_planners_connection(settings)
        # SQLite: the planner gives up when the write lock outlasts its busy timeout.
        failed = await planning_finished(campaigner)
    assert failed is not None and failed["state"] == "failed" and failed["error"] and failed["done"] == 0
    _, body = await campaigner.get(PAGE)
    assert 'role="alert">Perencanaan gagal:' in body and "Tidak ada yang hilang" in body
    assert "Traceback" not in body and f'action="{PAGE}/plan"' in body
    assert await count(settings, Reminder) == 0
    for _ in range(1200):  # written once the database takes writes again
        if await count(settings, AuditEntry, AuditEntry.action == "campaign_schedule_failed") == 1:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the failure was not recorded in the audit log")

    response, _ = await campaigner.post(PAGE + "/plan")
    assert response.status == 302 and response.headers["Location"] == PAGE
    assert (await planning_finished(campaigner) or {}).get("state") == "done"
    assert await count(settings, Reminder) == 7 and await count(settings, Reminder, Reminder.status == "planned") == 6
    _, body = await campaigner.get(PAGE)
    assert "dijadwalkan: 7 kontak, 7 baris baru" in body and "Perencanaan gagal" not in body


async def _cut_the_planners_connection(settings: Settings) -> None:
    """PostgreSQL: end the backend of the planner waiting for the lock (the connection is lost)."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            for _ in range(1200):
                ended = (await connection.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"))).all()
                if ended:
                    return
                await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    raise AssertionError("no planner was waiting for the lock")


async def test_a_campaign_cancelled_while_it_is_planned_keeps_no_planned_reminder(
    campaigner: Staff, settings: Settings
) -> None:
    async with planning_held_back(campaigner, settings):
        cancel = asyncio.create_task(campaigner.post(PAGE + "/cancel"))
        stopped = await planning_finished(campaigner)  # the cancel ends the run before it writes
    response, _ = await cancel
    assert response.status == 302
    assert stopped is not None and stopped["state"] == "failed" and "stopped" in stopped["error"]
    assert await status(settings) == "cancelled"
    assert await count(settings, Reminder, Reminder.status == "planned") == 0
