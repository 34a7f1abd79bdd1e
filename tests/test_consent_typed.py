"""Consent by words: a typed yes or no to the consent question is recorded, confirmed in the
voter's language and never queued as an unanswered question (web chat, both databases)."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession

from bot.settings import Settings
from bot.storage.models import ConsentRecord, Contact, UnansweredQuestion
from dbread import rows
from webchat import WebVoter

YES = ["ya boleh", "setuju", "ok setuju", "yes you can keep my data"]
SIGNAL_MESSAGE = "saya baru pertama kali mencoblos, bagaimana caranya?"
NO = ["ga", "tidak setuju", "gak mau ah, ga usah simpen2 data sy"]


async def _asked(voter: WebVoter) -> None:
    replies = await voter.say("halo")
    assert any(b["payload"] == "consent:yes" for r in replies for b in r["buttons"]), "consent was not asked"


@pytest.mark.parametrize("answer", YES + NO)
async def test_a_typed_answer_to_the_consent_question_is_recorded_and_confirmed(
    answer: str, server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await _asked(voter)
    replies = await voter.say(answer)
    granted = answer in YES
    (record,) = await rows(settings, ConsentRecord)
    assert record.action == ("granted" if granted else "refused")
    assert (await rows(settings, Contact))[0].consent is granted
    confirmation = " ".join(r["text"] for r in replies)
    english = answer.startswith("yes")
    expected = {(True, False): "persetujuan Anda kami catat", (True, True): "your consent is recorded",
                (False, False): "tidak akan menyimpan"}[(granted, english)]
    assert expected in confirmation
    assert await rows(settings, UnansweredQuestion) == []


async def test_consent_asked_after_an_answer_is_answered_by_words(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    replies = await voter.say(SIGNAL_MESSAGE)
    assert any(b["payload"] == "consent:yes" for r in replies for b in r["buttons"]), "consent was not asked"
    (thanks,) = await voter.say("ya boleh")
    assert "persetujuan Anda kami catat" in thanks["text"]
    assert [r.action for r in await rows(settings, ConsentRecord)] == ["granted"]
    assert [q.question for q in await rows(settings, UnansweredQuestion)] == [SIGNAL_MESSAGE]


async def test_a_hesitant_answer_asks_again_once_then_carries_on(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await _asked(voter)
    again = await voter.say("hmm")
    assert "jawab ya atau tidak" in again[0]["text"]
    assert any(b["payload"] == "consent:yes" for r in again for b in r["buttons"]), "consent was not asked again"
    assert await rows(settings, ConsentRecord) == []
    (thanks,) = await voter.say("ok setuju deh")
    assert "persetujuan Anda kami catat" in thanks["text"]
    assert [r.action for r in await rows(settings, ConsentRecord)] == ["granted"]

    other = WebVoter(http, server)
    await _asked(other)
    await other.say("mungkin")
    replies = await other.say("hmm")
    assert not any("jawab ya atau tidak" in r["text"] for r in replies), "asked a third time"
    assert len(await rows(settings, ConsentRecord)) == 1, "hesitation was recorded as consent"


async def test_a_question_that_starts_with_ya_is_answered_not_taken_as_consent(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await _asked(voter)
    replies = await voter.say("ya, jam berapa tps buka?")
    assert any("07.00" in r["text"] for r in replies), replies
    assert await rows(settings, ConsentRecord) == []
    assert (await rows(settings, Contact))[0].consent is None
