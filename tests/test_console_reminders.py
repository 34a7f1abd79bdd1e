"""The reminders pages over HTTP against the real server, on SQLite and PostgreSQL: a campaign file
checked with file:line problems and previewed (pasted, uploaded, from the library) without
writing anything; scheduling; progress as JSON; pause / resume / cancel change the state and are
audited; results per event and variant."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

from aiohttp import FormData
from sqlalchemy import select

from bot.conversation.loop import utcnow
from bot.settings import Settings
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
    assert (await planning_finished(campaigner))["state"] == "done"
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


async def planning_finished(staff: Staff, page: str = PAGE) -> dict[str, object]:
    """The campaign's background planning run once it has finished (polled as the page does)."""
    for _ in range(1200):
        _, body = await staff.get(page + "/progress")
        planning = json.loads(body)["planning"]
        if planning is None or planning["state"] != "planning":
            return planning
        await asyncio.sleep(0.1)
    raise AssertionError(f"planning still running: {planning}")


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
