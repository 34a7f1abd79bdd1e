"""Flows through the real server and database (SQLite and PostgreSQL): finding a TPS by name
and by location, questions mid-flow, consent-gated reminders, reports, publishing new
versions while sessions run, session expiry and a server restart mid-flow."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp import ClientSession, web

import flows
from bot.app import create_app
from bot.storage.models import FlowVersion, Report, ReminderSubscription, SegmentSignal
from bot.settings import Settings
from dbread import rows
from webchat import WebVoter

SUARA = [sys.executable, "-m", "bot.cli"]


async def test_find_tps_by_a_misspelt_village_with_a_question_in_between(server: str, http: ClientSession) -> None:
    voter = WebVoter(http, server)
    (question,) = await voter.say("cari TPS")
    assert "kelurahan/desa" in question["text"]
    answer, offer = await voter.say("jam berapa TPS buka?")
    assert "07.00" in answer["text"] and offer["text"] == 'Lanjut ke "Cari TPS"?'  # not the question again
    assert [b["payload"] for b in offer["buttons"]] == ["resume:yes", "resume:no"]
    found, closing = await voter.say("sukagalh")
    assert "TPS 001, Kel./Desa Sukagalih, Kec. Sukajadi" in found["text"]
    assert "Jl." in found["text"] and "openstreetmap.org/?mlat=" in found["text"]
    assert "menu" in closing["text"]


async def test_find_tps_by_a_shared_location(server: str, http: ClientSession) -> None:
    voter = WebVoter(http, server)
    await voter.say("cari tps")
    result = await voter.post(location={"latitude": -6.8855, "longitude": 107.6125})
    found = result["replies"][0]["text"]
    assert found.count("openstreetmap.org") == 3 and found.count(" km\n") == 3
    assert "Kel./Desa Dago" in found


@pytest.mark.parametrize(
    "location",
    [{"latitude": 91, "longitude": 0}, {"latitude": -6.9}, {"latitude": "x", "longitude": 1},
     {"latitude": True, "longitude": 1}, [1, 2], {"latitude": 1, "longitude": 2, "extra": 3}],
)
async def test_a_malformed_location_is_a_clear_400(server: str, http: ClientSession, location: object) -> None:
    body = {"contact": "c1", "id": "m1", "location": location}
    async with http.post(f"{server}/api/web/messages", json=body) as response:
        assert response.status == 400
        assert "location" in (await response.json())["error"]


async def test_reminders_are_stored_only_with_consent(server: str, http: ClientSession, settings: Settings) -> None:
    refuser, agreer = WebVoter(http, server), WebVoter(http, server)
    await refuser.say("ingatkan saya")
    await refuser.press("answer:no")
    await refuser.press("answer:all")  # a stale button after the flow ended: no subscription
    assert await rows(settings, ReminderSubscription) == []

    await agreer.say("ingatkan saya")
    await agreer.press("answer:yes")
    (confirmation,) = await agreer.press("answer:voting_day")
    assert "tercatat" in confirmation["text"]
    (subscription,) = await rows(settings, ReminderSubscription)
    assert subscription.topic == "voting_day"

    await agreer.say("STOP")
    assert await rows(settings, ReminderSubscription) == [], "STOP must end every subscription"


async def test_a_report_is_recorded_redacted_with_the_bawaslu_channel(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say("lapor pelanggaran")
    await voter.press("answer:money_politics")
    await voter.say("Pak RT bagi amplop, NIK saya 3374012345678901")
    await voter.say("Kelurahan Dago")
    (official, *_) = await voter.say("kemarin sore")
    assert "bawaslu.go.id" in official["text"] and "7 hari" in official["text"]
    (report,) = await rows(settings, Report)
    assert (report.kind, report.place, report.occurred, report.status) == (
        "money_politics", "Kelurahan Dago", "kemarin sore", "open")
    assert "3374012345678901" not in report.what and "[NIK]" in report.what


async def test_what_matters_asks_consent_then_stores_the_issue_signal(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say("apa yang penting")
    await voter.press("answer:yes")
    await voter.press("answer:education")
    (signal_row,) = await rows(settings, SegmentSignal)
    assert (signal_row.name, signal_row.value, signal_row.source) == ("issue", "education",
                                                                      "flow:what_matters/remember")


async def test_a_new_version_is_live_without_restart_and_running_sessions_finish_on_theirs(
    server: str, http: ClientSession, settings: Settings, tmp_path: Path
) -> None:
    old_voter, new_voter = WebVoter(http, server), WebVoter(http, server)
    (old_question,) = await old_voter.say("cari tps")

    library = tmp_path / "library"
    shutil.copytree(flows.LIBRARY_DIR, library)
    source = (library / "find_tps.yml").read_text(encoding="utf-8")
    source = source.replace("Di kelurahan/desa mana Anda terdaftar", "VERSI BARU: kelurahan/desa Anda apa")
    source = source.replace("TPS yang kami temukan:", "VERSI BARU, TPS Anda:")
    (library / "find_tps.yml").write_text(source, encoding="utf-8")
    result = subprocess.run([*SUARA, "flows", "publish", str(library), "--author", "editor-ani"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "SUARA_DATABASE_URL": settings.database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "suara: published find_tps"

    found, _ = await old_voter.say("sukagalh")
    assert found["text"].startswith("TPS yang kami temukan:"), "the running session left its version"
    (new_question,) = await new_voter.say("cari tps")
    assert new_question["text"].startswith("VERSI BARU") and not old_question["text"].startswith("VERSI BARU")
    found, _ = await new_voter.say("sukagalh")
    assert found["text"].startswith("VERSI BARU, TPS Anda:")

    versions = [v for v in await rows(settings, FlowVersion) if v.flow_id == "find_tps"]
    assert [v.author for v in versions] == ["suara:default-library", "editor-ani"]
    assert versions[1].version == flows.content_hash(source) != versions[0].version


async def test_publishing_a_broken_library_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    library = tmp_path / "library"
    shutil.copytree(flows.LIBRARY_DIR, library)
    (library / "menu.yml").write_text((library / "menu.yml").read_text().replace("say:", "sya:", 1))
    result = subprocess.run([*SUARA, "flows", "publish", str(library)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "SUARA_DATABASE_URL": settings.database_url})
    assert result.returncode == 1
    assert f"{library / 'menu.yml'}:" in result.stdout and "unknown step type 'sya'" in result.stdout
    assert "nothing was published" in result.stderr
    assert await rows(settings, FlowVersion) == []


@pytest.fixture
async def clocked_server(settings: Settings) -> AsyncIterator[tuple[str, list[datetime]]]:
    """The server with a clock the test moves forward."""
    now = [datetime(2026, 11, 22, 1, tzinfo=timezone.utc)]
    runner = web.AppRunner(create_app(settings, clock=lambda: now[0]))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", now
    finally:
        await runner.cleanup()


async def test_after_the_session_timeout_the_voter_is_greeted_back_and_the_flow_dropped(
    clocked_server: tuple[str, list[datetime]], http: ClientSession
) -> None:
    base, now = clocked_server
    voter = WebVoter(http, base)
    await voter.say("cari tps")
    now[0] += timedelta(minutes=29)
    still, _ = await voter.say("xqzvw")  # within the timeout: still in the flow
    assert "belum kami temukan" in still["text"]
    now[0] += timedelta(minutes=31)
    greeting, *rest = await voter.say("sukagalh")
    assert "Selamat datang kembali" in greeting["text"]
    assert not any("Sukagalih" in r["text"] for r in rest), "the expired flow went on"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _start(settings: Settings, port: int, http: ClientSession) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([*SUARA, "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env={**os.environ, "SUARA_DATABASE_URL": settings.database_url})
    for _ in range(300):
        await asyncio.sleep(0.1)
        try:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                if response.status == 200:
                    return process
        except OSError:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "server died") from None
    process.kill()
    raise AssertionError("suara serve did not become ready")


async def test_a_server_restart_mid_flow_continues_at_the_same_step(settings: Settings, http: ClientSession) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = await _start(settings, port, http)
    voter = WebVoter(http, base)
    try:
        await voter.say("lapor pelanggaran")
        (question,) = await voter.press("answer:intimidation")
        assert "Ceritakan singkat" in question["text"]
    finally:
        process.send_signal(signal.SIGKILL)  # no graceful shutdown: nothing may depend on it
        process.wait(timeout=30)
    process = await _start(settings, port, http)
    try:
        (next_question,) = await voter.say("orang tak dikenal mengancam warga")
        assert "Di mana kejadiannya" in next_question["text"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


async def test_coming_back_with_mulai_asks_for_consent_again(server: str, http: ClientSession) -> None:
    voter = WebVoter(http, server)
    await voter.say("halo")
    await voter.press("consent:yes")
    await voter.say("STOP")
    welcome, consent = await voter.say("MULAI")
    assert "Saya Suara" in welcome["text"]
    assert [b["payload"] for b in consent["buttons"]] == ["consent:yes", "consent:no"]
