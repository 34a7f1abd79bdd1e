"""The voter's data rights through the web chat, on both databases: identifiers never stored,
signals only with consent, /datasaya in plain words, HAPUS DATA leaves nothing behind."""

from __future__ import annotations


import pytest
from aiohttp import ClientSession

from bot.storage.models import (
    AuditEntry,
    Base,
    ConsentRecord,
    Contact,
    ConversationSession,
    Message,
    OutboxMessage,
    SegmentSignal,
    UnansweredQuestion,
)
from bot.settings import Settings
from privacy_drill import privacy_drill
from dbread import rows
from webchat import WebVoter

PROFILED = "sy pemilih pemula, ktp kukar tp kerja di bpn. sy pakai kursi roda"
SECRETS = "NIK sy 6402012345678901, wa 0813-5555-1234 atau +62 812 9999 8888, TPS 12 tgl 27 November"


async def _consenting_voter(http: ClientSession, server: str) -> WebVoter:
    voter = WebVoter(http, server)
    await voter.say("halo")
    await voter.press("consent:yes")
    return voter


async def test_a_stored_message_never_contains_a_nik_or_phone_number(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _consenting_voter(http, server)
    await voter.say(SECRETS)
    await voter.say("6402-0123-4567-8901")
    await voter.say("hubungi aku di 081355551234 ya")
    stored = " ".join(m.text for m in await rows(settings, Message))
    stored += " ".join(s.evidence + s.value for s in await rows(settings, SegmentSignal))
    stored += " ".join(q.question for q in await rows(settings, UnansweredQuestion))
    for secret in ("6402012345678901", "0123", "4567", "5555", "1234", "9999", "8888"):
        assert secret not in stored
    assert "TPS 12" in stored and "27 November" in stored  # what is not an identifier survives


async def test_signals_and_region_are_kept_only_with_consent(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say(PROFILED)
    await voter.press("consent:no")
    await voter.say(PROFILED)
    assert await rows(settings, SegmentSignal) == []
    (contact,) = await rows(settings, Contact)
    assert contact.region is None and contact.timezone == "Asia/Jakarta"


async def test_a_region_signal_sets_region_and_time_zone_for_a_consenting_voter(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _consenting_voter(http, server)
    await voter.say(PROFILED)
    await voter.say(PROFILED)  # the same signals again are not stored twice
    signals = {(s.name, s.value) for s in await rows(settings, SegmentSignal)}
    assert signals == {("first_time_voter", "true"), ("moved_residence", "true"), ("disability_need", "true"),
                       ("region", "64.02")}
    assert len(await rows(settings, SegmentSignal)) == 4
    (contact,) = await rows(settings, Contact)
    assert (contact.region, contact.timezone) == ("64.02", "Asia/Makassar")  # Kutai Kartanegara is WITA

    await voter.say("sekarang pindah ke bekasi")  # both Bekasis are in Jawa Barat: WIB either way
    (contact,) = await rows(settings, Contact)
    assert (contact.region, contact.timezone) == ("32", "Asia/Jakarta")


async def test_datasaya_shows_the_stored_signals_in_plain_words(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _consenting_voter(http, server)
    await voter.say(PROFILED)
    (reply,) = await voter.say("/datasaya")
    text = reply["text"]
    for words in ("Pemilih pemula", "Pindah domisili", "Kebutuhan aksesibilitas", "Kabupaten Kutai Kartanegara",
                  "Kalimantan Timur", "Asia/Makassar", "Anda setuju", "Bahasa Indonesia", "HAPUS DATA"):
        assert words in text, words
    assert "64.02" not in text and "rule:" not in text

    await voter.say("what documents do I need to bring to vote?")
    (reply,) = await voter.say("/datasaya")
    assert "Pemilih pemula" not in reply["text"] and "First-time voter" in reply["text"]
    assert "you agreed" in reply["text"]


async def test_datasaya_without_consent_says_nothing_is_noted(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say(PROFILED)
    (reply,) = await voter.say("datasaya")
    assert "belum diberikan" in reply["text"] and "tidak ada" in reply["text"]


async def test_hapus_data_after_confirmation_leaves_nothing_behind(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _consenting_voter(http, server)
    await voter.say(PROFILED)
    await voter.say("harga cabai hari ini berapa?")  # unanswered: queued for staff
    other = await _consenting_voter(http, server)
    await other.say(PROFILED)
    assert await rows(settings, UnansweredQuestion)
    signals_before = len(await rows(settings, SegmentSignal))
    mine = signals_before - len(await rows(settings, SegmentSignal, contact_id=(await rows(settings, Contact))[1].id))

    (question,) = await voter.say("HAPUS DATA")
    assert [b["payload"] for b in question["buttons"]] == ["erase:yes", "erase:no"]
    assert len(await rows(settings, SegmentSignal)) == signals_before, "nothing is erased before the confirmation"
    (done,) = await voter.say("YA")
    assert "sudah dihapus" in done["text"]

    me, them = await rows(settings, Contact)
    assert await rows(settings, SegmentSignal, contact_id=me.id) == []
    assert await rows(settings, UnansweredQuestion, contact_id=me.id) == []
    assert await rows(settings, ConversationSession, contact_id=me.id) == []
    remaining = await rows(settings, Message, contact_id=me.id)
    # a content-free trace of the request (keeps WhatsApp's window open), then the confirmation
    assert [m.text for m in remaining] == ["", done["text"]]
    outbox = await rows(settings, OutboxMessage, contact_id=me.id)
    assert all("cabai" not in str(o.body) for o in outbox), "no reply text revealing a question is kept"
    assert (me.region, me.consent, me.timezone) == (None, None, "Asia/Jakarta")
    assert [r.action for r in await rows(settings, ConsentRecord, contact_id=me.id)] == ["granted", "withdrawn"]
    # the other voter keeps everything
    assert len(await rows(settings, SegmentSignal, contact_id=them.id)) == 4
    # the audit log records the erasure without any content
    (entry,) = await rows(settings, AuditEntry, action="data_erased")
    assert entry.subject == f"contact:{me.id}"
    assert entry.detail["signals"] == mine and entry.detail["messages"] > 0
    assert "kukar" not in str(entry.detail)

    # the conversation starts fresh: no signals without asking consent again
    replies = await voter.say(PROFILED)
    assert any(b["payload"] == "consent:yes" for r in replies for b in r["buttons"])
    assert await rows(settings, SegmentSignal, contact_id=me.id) == []


async def test_hapus_data_can_be_cancelled_and_an_ordinary_ya_erases_nothing(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _consenting_voter(http, server)
    await voter.say(PROFILED)
    await voter.say("hapus data")
    (cancelled,) = await voter.press("erase:no")
    assert "tidak dihapus" in cancelled["text"]
    await voter.say("ya")  # our last message was not the erase question
    await voter.press("erase:yes")  # a stale button: the question was answered already
    assert len(await rows(settings, SegmentSignal)) == 4
    assert await rows(settings, AuditEntry, action="data_erased") == []


async def test_an_opted_out_voter_can_still_see_and_erase_their_data(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _consenting_voter(http, server)
    await voter.say(PROFILED)
    await voter.say("STOP")
    (reply,) = await voter.say("/datasaya")
    assert "berhenti" in reply["text"]
    await voter.say("HAPUS DATA")
    await voter.press("erase:yes")
    assert await rows(settings, SegmentSignal) == []


async def test_privacy_drill_no_nik_phone_or_email_left_in_any_table(
    server: str, http: ClientSession, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A voter writes a NIK, a phone and an e-mail, then erases: no table nor log holds them."""
    voter = await _consenting_voter(http, server)
    (done,) = await privacy_drill(voter.say, settings, caplog)
    assert "sudah dihapus" in done["text"]
