"""/datasaya states consent and reminder subscriptions exactly as stored (issue 16, item 6), through
the web chat API on SQLite and PostgreSQL: a voter who never consented nor subscribed is not told
"Pengingat pemilu: aktif"; a subscriber sees each topic; STOP shows the reminders stopped."""

from __future__ import annotations

from aiohttp import ClientSession

from bot.storage.models import Contact, ReminderSubscription
from bot.settings import Settings
from dbread import rows
from webchat import WebVoter


def _line(reply: str, label: str) -> str:
    """The summary line that starts with ``• label``."""
    return next(line for line in reply.splitlines() if line.startswith(f"• {label}"))


async def _subscribed(voter: WebVoter, greeting: str, *requests: tuple[str, str]) -> WebVoter:
    """``voter`` greets, consents, and asks for each (request, topic) reminder subscription."""
    await voter.say(greeting)
    await voter.press("consent:yes")
    for request, topic in requests:
        await voter.say(request)
        await voter.press(f"answer:{topic}")
    return voter


async def test_a_voter_who_never_consented_nor_subscribed_is_not_told_reminders_are_on(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say("jam berapa tps buka?")
    (reply,) = await voter.say("/datasaya")
    assert await rows(settings, ReminderSubscription) == []
    assert "belum diberikan" in _line(reply["text"], "Persetujuan")
    reminders = _line(reply["text"], "Pengingat pemilu")
    assert "aktif" not in reminders and "tidak berlangganan" in reminders


async def test_each_subscribed_topic_is_listed_and_stop_shows_reminders_stopped(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _subscribed(WebVoter(http, server), "halo", ("ingatkan saya", "voting_day"), ("pengingat", "dpt"))
    assert [s.topic for s in await rows(settings, ReminderSubscription)] == ["voting_day", "dpt"]
    (reply,) = await voter.say("/datasaya")
    assert "Anda setuju" in _line(reply["text"], "Persetujuan")
    reminders = _line(reply["text"], "Pengingat pemilu")
    assert "aktif untuk hari pemungutan suara, batas DPT" in reminders

    await voter.say("STOP")
    (reply,) = await voter.say("/datasaya")
    (contact,) = await rows(settings, Contact)
    assert contact.opted_out and contact.consent is None
    assert "berhenti" in _line(reply["text"], "Pengingat pemilu")
    assert "belum diberikan" in _line(reply["text"], "Persetujuan")


async def test_english_summary_names_the_topics_in_english(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = await _subscribed(WebVoter(http, server), "hello, what time do polling stations open?", ("remind me", "all"))
    (reply,) = await voter.say("/datasaya")
    assert "on for all reminders" in _line(reply["text"], "Election reminders")
