"""Planning reminders: the H-1 message at 19:00 in each voter's own zone, in their language, naming
their own TPS; skips and holds with reasons; preview; scheduling twice; the CLI end to end."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.campaigns import Campaign, parse_campaign

from bot.broadcasts.campaigns import CampaignError, change_status, plan_settings, publish
from bot.broadcasts.planner import schedule
from bot.broadcasts.preview import preview
from bot.broadcasts.results import results
from bot.cli.main import main
from bot.settings import Settings
from bot.storage.campaign_models import Campaign as CampaignRow
from bot.storage.campaign_models import Reminder
from bot.storage.engine import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import AuditEntry, ConsentRecord, Message
from broadcast_seed import TEST_CAMPAIGN, add_contact, add_station

SUARA = [sys.executable, "-m", "bot.cli"]
NOW = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
SAMARINDA, JAKARTA, JAYAPURA = "64.72.01.1001", "31.71.01.1001", "91.71.01.1001"


def campaign_for(voting_day: date) -> tuple[Campaign, str]:
    source = TEST_CAMPAIGN.format(voting_day=voting_day.isoformat())
    campaign, problems = parse_campaign(source, "pilkada-uji.yml")
    assert campaign is not None, problems
    return campaign, source


async def _voters(db: AsyncSession, last_seen: datetime = NOW) -> dict[str, int]:
    """Three voters in three zones, each in a village with one TPS, and the ones who get nothing."""
    add_station(db, SAMARINDA, 7, "Jl. Juanda No. 1", "Air Hitam")
    add_station(db, JAKARTA, 3, "Jl. Kramat Raya 5", "Senen")
    add_station(db, JAYAPURA, 12, "Jl. Koti 9", "Imbi")
    ids = {
        "samarinda": await add_contact(db, region=SAMARINDA, timezone="Asia/Makassar", last_seen_at=last_seen),
        "jakarta": await add_contact(db, region=JAKARTA, language="en", last_seen_at=last_seen),
        "jayapura": await add_contact(db, region=JAYAPURA, timezone="Asia/Jayapura", last_seen_at=last_seen),
        "no_consent": await add_contact(db, consent=None),
        "not_subscribed": await add_contact(db, subscriptions=("dpt",)),
        "opted_out": await add_contact(db, opted_out=True),
        "jobs": await add_contact(db, region=SAMARINDA, signals={"issue": ["jobs"]}, last_seen_at=last_seen),
        "whatsapp_quiet": await add_contact(db, channels=(("whatsapp", True),), last_seen_at=last_seen - timedelta(days=30)),
    }
    await db.commit()
    return ids


async def _by_contact(db: AsyncSession) -> dict[int, Reminder]:
    return {r.contact_id: r for r in (await db.scalars(select(Reminder))).all()}


async def test_h1_is_due_at_19_local_in_each_zone_in_the_voters_language_with_their_tps(
        db: AsyncSession, settings: Settings) -> None:
    ids = await _voters(db)
    campaign, source = campaign_for(date(2024, 11, 27))
    published = await publish(db, campaign, source, "lead", NOW)
    await db.commit()
    outcome = await schedule(db, campaign, published.version_id, NOW, plan_settings(settings, campaign), batch_size=3)
    assert outcome.contacts == len(ids)
    rows = await _by_contact(db)

    samarinda, jakarta, jayapura = rows[ids["samarinda"]], rows[ids["jakarta"]], rows[ids["jayapura"]]
    assert samarinda.due_at == datetime(2024, 11, 26, 11, 0, tzinfo=UTC)  # 19:00 WITA
    assert jakarta.due_at == datetime(2024, 11, 26, 12, 0, tzinfo=UTC)  # 19:00 WIB
    assert jayapura.due_at == datetime(2024, 11, 26, 10, 0, tzinfo=UTC)  # 19:00 WIT
    assert [r.status for r in (samarinda, jakarta, jayapura)] == ["planned"] * 3
    assert samarinda.text == "Besok, Rabu, 27 November 2024, memilih di TPS 7, Jl. Juanda No. 1. Buka 07.00–13.00 WITA."
    assert jakarta.text == ("Tomorrow, Wednesday, 27 November 2024, vote at TPS 3, Jl. Kramat Raya 5. "
                            "Open 07:00–13:00 WIB.")
    assert "TPS 12, Jl. Koti 9" in (jayapura.text or "") and jayapura.zone == "WIT"

    reasons = {name: (rows[ids[name]].status, rows[ids[name]].reason)
               for name in ("no_consent", "not_subscribed", "opted_out", "jobs", "whatsapp_quiet")}
    assert reasons == {
        "no_consent": ("skipped", "no_consent"), "not_subscribed": ("skipped", "not_subscribed"),
        "opted_out": ("skipped", "opted_out"),
        "jobs": ("held", "masa_tenang"),  # not neutral, and H-1 is in masa tenang
        "whatsapp_quiet": ("skipped", "whatsapp_window"),
    }
    assert all(r.text is None for r in rows.values() if r.status != "planned")


async def test_quiet_hours_and_masa_tenang_come_from_the_deployment_settings(db: AsyncSession,
                                                                             settings: Settings) -> None:
    ids = await _voters(db)
    campaign, _ = campaign_for(date(2024, 11, 27))
    deployment = settings.model_copy(update={"quiet_hours": "18:00-07:00", "masa_tenang": "2024-11-01"})
    found = await preview(db, campaign, NOW, plan_settings(deployment, campaign))
    samples = {s.contact_id: s.due_at for s in found.samples[("h-1", 1)]}
    assert samples[ids["samarinda"]] == datetime(2024, 11, 26, 23, 0, tzinfo=UTC)  # 07:00 WITA on voting day
    assert ("h-1", "masa_tenang") not in found.skipped  # 26 November is not a masa tenang date here
    with pytest.raises(CampaignError):
        plan_settings(settings.model_copy(update={"timezone": "Asia/Tokyo"}), campaign)


async def test_scheduling_twice_writes_nothing_new(db: AsyncSession, settings: Settings) -> None:
    ids = await _voters(db)
    campaign, source = campaign_for(date(2024, 11, 27))
    version = (await publish(db, campaign, source, "lead", NOW)).version_id
    await db.commit()
    first = await schedule(db, campaign, version, NOW, plan_settings(settings, campaign), batch_size=2)
    second = await schedule(db, campaign, version, NOW + timedelta(hours=1), plan_settings(settings, campaign))
    assert sum(first.written.values()) == len(ids) and first.already == 0
    assert sum(second.written.values()) == 0 and second.already == len(ids)
    assert len(await _by_contact(db)) == len((await db.scalars(select(Reminder))).all()) == len(ids)


async def test_preview_counts_without_writing(db: AsyncSession, settings: Settings) -> None:
    await _voters(db)
    campaign, _ = campaign_for(date(2024, 11, 27))
    found = await preview(db, campaign, NOW, plan_settings(settings, campaign))
    assert found.messages == {("h-1", 1, "WITA", "telegram"): 1, ("h-1", 1, "WIB", "telegram"): 1,
                              ("h-1", 1, "WIT", "telegram"): 1}
    assert found.skipped == {("h-1", "no_consent"): 1, ("h-1", "not_subscribed"): 1, ("h-1", "opted_out"): 1,
                             ("h-1", "masa_tenang"): 1, ("h-1", "whatsapp_window"): 1}
    assert found.zone_from_default == 0
    assert [s.zone for s in found.samples[("h-1", 1)]] == ["WITA", "WIB", "WIT"]
    assert (await db.scalars(select(Reminder))).all() == []


async def test_results_and_cancel(db: AsyncSession, settings: Settings) -> None:
    ids = await _voters(db)
    campaign, source = campaign_for(date(2024, 11, 27))
    version = (await publish(db, campaign, source, "lead", NOW)).version_id
    await db.commit()
    await schedule(db, campaign, version, NOW, plan_settings(settings, campaign))
    rows = await _by_contact(db)
    sent_at = datetime(2024, 11, 26, 11, 0, tzinfo=UTC)
    for name, status in (("samarinda", "read"), ("jakarta", "delivered")):
        rows[ids[name]].status, rows[ids[name]].sent_at = status, sent_at
    db.add(Message(contact_id=ids["samarinda"], direction="in", channel="telegram", text="makasih",
                   created_at=sent_at + timedelta(hours=2)))
    for name, hours in (("jakarta", 3), ("samarinda", 30)):  # the second is too late to count
        db.add(ConsentRecord(contact_id=ids[name], action="withdrawn", scope="x", text_version="1",
                             channel="telegram", recorded_at=sent_at + timedelta(hours=hours)))
    await db.commit()
    found = await results(db, campaign.id)
    [numbers] = [v for v in found.variants if v.variant == 1]
    assert (numbers.planned, numbers.sent, numbers.delivered, numbers.read) == (3, 2, 2, 1)
    assert (numbers.replied_24h, numbers.opted_out_24h) == (1, 1)
    assert ("h-1", 0, "held", "masa_tenang", 1) in [(o.event_id, o.variant, o.status, o.reason, o.count)
                                                     for o in found.outcomes]

    with pytest.raises(CampaignError):
        await change_status(db, campaign.id, "resume", "lead", NOW)  # it is active
    assert await change_status(db, campaign.id, "cancel", "lead", NOW) == 1  # Jayapura's, still planned
    await db.commit()
    assert (await db.get(CampaignRow, campaign.id)).status == "cancelled"
    await db.refresh(rows[ids["jayapura"]])
    assert rows[ids["jayapura"]].status == "cancelled"
    actions = [a.action for a in (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()]
    assert actions == ["campaign_published", "campaign_cancel"]
    with pytest.raises(CampaignError):
        await publish(db, campaign, source, "lead", NOW)


def _subprocess(args: list[str], settings: Settings) -> subprocess.CompletedProcess:
    env = {**os.environ, "SUARA_DATABASE_URL": settings.database_url}
    return subprocess.run(SUARA + args, capture_output=True, text=True, timeout=120, env=env)


class Cli:
    """``suara`` run in this process (the subprocess runs above prove the real entry point)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err


async def _seed(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            return await _voters(db, last_seen=datetime.now(UTC))
    finally:
        await engine.dispose()


def test_the_cli_from_validate_to_cancel(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite only: the commands share the database code the tests above run on both databases."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", _env_file=None)
    upgrade(settings.database_url)
    ids = asyncio.run(_seed(settings))
    monkeypatch.setenv("SUARA_DATABASE_URL", settings.database_url)
    cli = Cli(capsys)
    voting_day = datetime.now(UTC).date() + timedelta(days=20)
    good, bad = tmp_path / "uji.yml", tmp_path / "rusak.yml"
    good.write_text(campaign_for(voting_day)[1], encoding="utf-8")
    bad.write_text(campaign_for(voting_day)[1].replace("offset_days", "ofset_days"), encoding="utf-8")

    failed = _subprocess(["broadcast", "validate", str(bad)], settings)
    assert failed.returncode == 1 and f"{bad}:9:5:" in failed.stdout and "offset_days" in failed.stdout
    assert cli("broadcast", "validate", str(good))[0] == 0

    code, out, _ = cli("broadcast", "preview", str(good), "--json")
    assert code == 0 and sum(m["count"] for m in json.loads(out)["messages"]) == 3  # jobs' variant is held
    monkeypatch.setenv("SUARA_MASA_TENANG", "2000-01-01")
    code, out, _ = cli("broadcast", "preview", str(good), "--json")
    assert sum(m["count"] for m in json.loads(out)["messages"]) == 4  # masa tenang set to another day
    monkeypatch.delenv("SUARA_MASA_TENANG")

    scheduled = _subprocess(["broadcast", "schedule", str(good), "--author", "lead"], settings)
    assert scheduled.returncode == 0 and "Traceback" not in scheduled.stderr, scheduled.stderr
    assert "planned 3" in scheduled.stdout
    code, out, _ = cli("broadcast", "schedule", str(good))
    assert code == 0 and "baris baru / new rows: 0; sudah ada / already there: 8" in out
    [found] = json.loads(cli("broadcast", "status", "pilkada-uji", "--json")[1])
    assert found["status"] == "active"
    assert [v["planned"] for v in found["variants"] if v["variant"] == 1] == [3]
    assert {"event": "h-1", "variant": None, "status": "skipped", "reason": "opted_out", "count": 1} in found["outcomes"]

    assert cli("broadcast", "pause", "pilkada-uji")[0] == 0
    assert json.loads(cli("broadcast", "status", "--json")[1])[0]["status"] == "paused"
    assert cli("broadcast", "resume", "pilkada-uji")[0] == 0
    code, out, _ = cli("broadcast", "cancel", "pilkada-uji")
    assert code == 0 and "3 pengingat dibatalkan" in out
    code, _, err = cli("broadcast", "pause", "pilkada-uji")
    assert code == 1 and "cancelled" in err

    counted = _subprocess(["segments", "count", "zone = WITA AND consent = yes", "--json"], settings)
    assert json.loads(counted.stdout) == {"count": 1}
    code, _, err = cli("segments", "count", "regio = Samarinda")
    assert code == 1 and 'maksud Anda "region"' in err
    assert cli("segments", "save", "pekerja", "issue = jobs")[0] == 0
    assert "pekerja\tissue = jobs" in cli("segments", "list")[1]
    assert json.loads(cli("segments", "count", "@pekerja", "--json")[1]) == {"count": 1}
    code, out, _ = cli("segments", "why", str(ids["jobs"]), "issue = jobs AND region = Samarinda")
    assert code == 0 and "MASUK" in out and "signal issue=jobs" in out
