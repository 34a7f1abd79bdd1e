"""Opt-out, opt-in and the consent gate (UU 27/2022), through the web channel on both databases."""

from __future__ import annotations

from aiohttp import ClientSession

from bot.storage.models import ConsentRecord, Contact, Message, SegmentSignal
from bot.settings import Settings
from dbread import rows
from webchat import WebVoter

SIGNAL_MESSAGE = "saya baru pertama kali mencoblos, bagaimana caranya?"


async def test_stop_opts_out_of_everything_but_the_confirmation(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say("halo")
    for word in ("STOP", "berhenti", "/stop", "Unsubscribe"):
        (confirmation,) = await voter.say(word)
        assert "berhenti berlangganan" in confirmation["text"]
        assert await voter.say("jam berapa tps buka?") == []
        assert await voter.press("menu") == []
        (contact,) = await rows(settings, Contact)
        assert contact.opted_out
        welcome = await voter.say("MULAI" if word != "/stop" else "/start")
        assert "Suara" in welcome[0]["text"]
        assert not (await rows(settings, Contact))[0].opted_out
    # What the voter wrote while opted out is kept (redacted), just never answered.
    stored = [m.text for m in await rows(settings, Message, direction="in")]
    assert stored.count("jam berapa tps buka?") == 4


async def test_stop_inside_a_sentence_is_not_an_opt_out(server: str, http: ClientSession, settings: Settings) -> None:
    voter = WebVoter(http, server)
    replies = await voter.say("stop harga naik!")
    assert replies and "berhenti berlangganan" not in replies[0]["text"]
    assert not (await rows(settings, Contact))[0].opted_out


async def test_no_signals_are_stored_without_consent(server: str, http: ClientSession, settings: Settings) -> None:
    voter = WebVoter(http, server)
    replies = await voter.say(SIGNAL_MESSAGE)
    assert any(b["payload"] == "consent:yes" for r in replies for b in r["buttons"]), "consent was not asked"
    assert await rows(settings, SegmentSignal) == []

    await voter.press("consent:no")
    await voter.say(SIGNAL_MESSAGE)
    assert await rows(settings, SegmentSignal) == []
    (record,) = await rows(settings, ConsentRecord)
    assert record.action == "refused"


async def test_consent_is_recorded_and_then_signals_are_stored_until_withdrawn(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say("halo")
    (thanks,) = await voter.press("consent:yes")
    assert "persetujuan Anda kami catat" in thanks["text"]
    (record,) = await rows(settings, ConsentRecord)
    assert (record.action, record.channel, record.text_version) == ("granted", "web", "2026-11-v1")
    assert record.recorded_at is not None

    await voter.say(SIGNAL_MESSAGE)
    (signal,) = await rows(settings, SegmentSignal)
    assert (signal.name, signal.value) == ("first_time_voter", "true")
    assert "pertama kali" in signal.evidence and signal.source.startswith("rule:")
    evidence = (await rows(settings, Message, id=signal.evidence_message_id))[0]
    assert evidence.text == SIGNAL_MESSAGE

    await voter.say("STOP")
    actions = [r.action for r in await rows(settings, ConsentRecord)]
    assert actions == ["granted", "withdrawn"]
    await voter.say("MULAI")
    await voter.say(SIGNAL_MESSAGE)
    assert len(await rows(settings, SegmentSignal)) == 1, "a signal was stored after consent was withdrawn"
