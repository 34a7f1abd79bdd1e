"""The conversation loop through the web channel, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession

from bot.storage.models import ChannelIdentity, Contact, InboundReceipt, Message, UnansweredQuestion
from bot.settings import Settings
from dbread import rows
from webchat import WebVoter


async def test_greeting_gets_welcome_with_buttons_and_a_button_gets_an_answer(server: str, http: ClientSession) -> None:
    voter = WebVoter(http, server)
    welcome, consent = await voter.say("halo")
    assert "Suara" in welcome["text"]
    payloads = [b["payload"] for b in welcome["buttons"]]
    assert "q:jam-buka-tps" in payloads and "menu" in payloads
    assert [b["payload"] for b in consent["buttons"]] == ["consent:yes", "consent:no"]

    (answer,) = await voter.press("q:jam-buka-tps")
    assert "07.00" in answer["text"] and "13.00" in answer["text"]


async def test_a_question_is_answered_in_the_voters_language(server: str, http: ClientSession) -> None:
    voter = WebVoter(http, server)
    (answer,) = await voter.say("jam berapa tps buka?")
    assert "07.00" in answer["text"]
    (answer_en,) = await voter.say("What time do polling stations open?")
    assert "07:00" in answer_en["text"] and "open" in answer_en["text"]


async def test_out_of_scope_question_gets_honest_fallback_and_is_queued(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    # The voter named a concern (prices), so the consent question may follow the fallback.
    reply = (await voter.say("harga cabai hari ini berapa ya?"))[0]
    assert "belum tahu" in reply["text"]
    assert reply["buttons"] == [{"title": "Bicara dengan petugas", "payload": "human"}]
    (queued,) = await rows(settings, UnansweredQuestion)
    assert queued.question == "harga cabai hari ini berapa ya?" and queued.status == "open"
    assert queued.kind == "abstained"
    assert (await rows(settings, Message, direction="out"))[0].kind == "not_known"

    (handover,) = await voter.press("human")
    assert "petugas" in handover["text"]
    (contact,) = await rows(settings, Contact)
    assert contact.needs_human


async def test_same_channel_message_id_twice_is_answered_once_and_both_get_that_answer(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    first, second = await asyncio.gather(
        voter.post(text="jam berapa tps buka", message_id="m-1"),
        voter.post(text="jam berapa tps buka", message_id="m-1"),
    )
    assert len(first["replies"]) == 1 and first["replies"] == second["replies"]
    assert sorted([first["duplicate"], second["duplicate"]]) == [False, True]
    assert len(await rows(settings, Message, direction="out")) == 1
    assert len(await rows(settings, Message, direction="in")) == 1
    assert len(await rows(settings, InboundReceipt)) == 1


async def test_a_retry_whose_answer_was_lost_gets_the_committed_reply_not_an_empty_duplicate(
    server: str, http: ClientSession, settings: Settings
) -> None:
    """After a crash between the commit and the HTTP answer, the page retries with the same id."""
    voter = WebVoter(http, server)
    first = await voter.post(text="jam berapa tps buka", message_id="lost-1")
    retry = await voter.post(text="jam berapa tps buka", message_id="lost-1")
    assert retry["duplicate"] and retry["replies"] == first["replies"] and "07.00" in retry["replies"][0]["text"]
    await voter.say("halo")
    late = await voter.post(text="jam berapa tps buka", message_id="lost-1")
    assert late["duplicate"] and late["replies"] == [], "not once the voter has written since"


async def test_fifty_concurrent_messages_of_one_contact_are_stored_and_answered_in_order(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    await voter.say("halo")
    sent = [f"pesan nomor {n}" for n in range(50)]
    # Fire all 50 at once; each request is processed in the order it reached the server.
    results = await asyncio.gather(*(voter.post(text=text) for text in sent))
    assert all(len(r["replies"]) == 1 for r in results)

    messages = [m for m in await rows(settings, Message) if m.direction == "in" and m.text.startswith("pesan")]
    assert sorted(m.text for m in messages) == sorted(sent)
    arrival = [m.received_at for m in messages]
    assert arrival == sorted(arrival), "stored in a different order than they arrived"
    everything = await rows(settings, Message)
    directions = [m.direction for m in everything if m.id >= messages[0].id]
    assert directions == ["in", "out"] * 50, "a reply was interleaved with another message's processing"


async def test_different_contacts_each_get_their_own_contact(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voters = [WebVoter(http, server) for _ in range(5)]
    await asyncio.gather(*(v.say("halo") for v in voters))
    assert len(await rows(settings, Contact)) == 5
    assert len(await rows(settings, ChannelIdentity, channel="web")) == 5


async def test_help_menu_and_thanks(server: str, http: ClientSession) -> None:
    voter = WebVoter(http, server)
    (menu,) = await voter.say("menu")
    assert "human" in [b["payload"] for b in menu["buttons"]]
    (thanks,) = await voter.say("makasih")
    assert "Sama-sama" in thanks["text"]


async def test_a_clarified_question_is_queued_as_clarified_and_every_reply_keeps_its_kind(
    server: str, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, server)
    # The issue-16 example the shipped knowledge still asks about (tests/test_kb_clarify.py).
    question = "ada yg bagi2 amplop di kampung sy, lapor kemana"
    replies = await voter.say(question)
    assert {b["payload"] for b in replies[0]["buttons"]} == {"q:mahasiswa-perantau", "q:cara-lapor-bawaslu"}
    (queued,) = await rows(settings, UnansweredQuestion)
    assert queued.question == question and queued.kind == "clarified" and queued.status == "open"
    assert [c["entry_id"] for c in queued.candidates][:2] == ["mahasiswa-perantau", "cara-lapor-bawaslu"]
    await voter.press("q:cara-lapor-bawaslu")
    await voter.say("terima kasih")
    kinds = [m.kind for m in await rows(settings, Message, direction="out")]
    assert kinds[0] == "clarify" and "answer" in kinds and "small_talk" in kinds and None not in kinds
    assert [m.kind for m in await rows(settings, Message, direction="in")] == [None] * 3
    (contact,) = await rows(settings, Contact)
    assert not contact.needs_human
