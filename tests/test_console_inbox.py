"""The agent inbox over HTTP against the real server (with the fake Telegram and WhatsApp
platforms), on SQLite and PostgreSQL: a voter asks for a person and appears in the inbox; an
agent takes it and the bot stays quiet (STOP and /datasaya still work); the agent's reply
reaches the voter on the web chat, Telegram and WhatsApp (inside the 24-hour window, else a
refusal or the configured template); notes are never sent; resolving hands the voter back to
the bot; the bot giving up lands in the inbox too; roles and CSRF."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession
from sqlalchemy import update

from bot.channels.whatsapp import WHATSAPP, Template, TemplateRegistry
from bot.cli.telegram import set_webhook
from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.engine import create_engine, session_factory
from bot.storage.inbox_models import AgentReply, InboxConversation, InboxNote
from bot.storage.models import AuditEntry, Contact, Message
from channel_server import Running, running
from dbread import rows
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI
from fakes import WA_SECRET, with_both_channels
from tests.console_client import Staff, make_account
from webchat import WebVoter, issued_contact

WA_VOTER = "6281234567890"
HOURS = "jam berapa tps buka?"


@pytest.fixture
async def app(settings: Settings, fakes: tuple[FakeBotAPI, FakeGraphAPI]) -> AsyncIterator[Running]:
    """The server with the web chat, Telegram and WhatsApp (both pointed at the fakes)."""
    configured = with_both_channels(settings, *fakes)
    async with running(configured) as server:
        await set_webhook(configured.model_copy(update={"public_url": server.url}))
        yield server


@pytest.fixture
async def agent(app: Running, settings: Settings) -> AsyncIterator[Staff]:
    await make_account(settings, "agent@suara.test", "agent")
    client = Staff(app.url)
    assert (await client.login("agent@suara.test")).status == 302
    yield client
    await client.close()


async def conversation_path(agent: Staff, state: str = "open") -> str:
    response, body = await agent.get(f"/console/inbox?state={state}")
    assert response.status == 200
    found = re.findall(r'href="(/console/inbox/\d+)"', body)
    assert len(found) == 1, f"expected one conversation, found {found}"
    return found[0]


async def act(agent: Staff, path: str, data: dict[str, str] | None = None) -> str:
    """Post a form of the conversation page; return the page it leads back to."""
    response, _ = await agent.post(path, data)
    assert response.status == 302, response.status
    _, body = await agent.get(response.headers["Location"])
    return body


async def polled(http: ClientSession, base: str, contact: str, after: int = 0) -> dict:
    async with http.get(f"{base}/api/web/messages", params={"contact": contact, "after": str(after)}) as response:
        assert response.status == 200
        return await response.json()


async def test_web_voter_is_taken_over_answered_by_an_agent_and_handed_back(
    app: Running, agent: Staff, http: ClientSession, settings: Settings
) -> None:
    voter, other = WebVoter(http, app.url), WebVoter(http, app.url, await issued_contact(http, app.url))
    await voter.say("<script>alert(1)</script> tolong")
    (told,) = await voter.press("human")
    assert "petugas" in told["text"]
    path = await conversation_path(agent)
    _, page = await agent.get(path)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "minta petugas" in page and "belum dipegang" in page

    # Taken: the bot stays quiet, but the voter's message reaches the agent's page and feed.
    assert "dipegang agent@suara.test" in await act(agent, path + "/take")
    assert (await voter.post(text=HOURS))["replies"] == []
    response, _ = await agent.get(path + "/updates?after=0")
    feed = await response.json()
    assert [m["text"] for m in feed["messages"] if m["who"] == "voter"][-1] == HOURS
    # The privacy commands still work while held.
    (summary,) = await voter.say("/datasaya")
    assert summary["text"]

    # A private note is stored and never sent; the reply reaches the voter's web chat only.
    await act(agent, path + "/note", {"text": "catatan rahasia untuk petugas"})
    page = await act(agent, path + "/reply", {"text": "Halo, saya petugas. TPS buka 07.00."})
    assert "Balasan dikirim lewat web" in page
    got = await polled(http, app.url, voter.contact)
    assert [m["text"] for m in got["messages"]] == ["Halo, saya petugas. TPS buka 07.00."] and got["live"]
    assert (await polled(http, app.url, voter.contact, got["messages"][0]["id"]))["messages"] == []
    assert (await polled(http, app.url, other.contact))["messages"] == []
    assert (await rows(settings, InboxNote))[0].text == "catatan rahasia untuk petugas"
    assert not [m for m in await rows(settings, Message) if "rahasia" in m.text]

    # A canned reply chosen without script fills the reply.
    _, canned_page = await agent.get("/console/canned-replies")
    assert "Salam" in canned_page or "Belum ada" in canned_page
    await act(agent, "/console/canned-replies/add", {"title": "Uji", "language": "id", "text": "Balasan siap pakai."})
    _, page = await agent.get(path)
    canned_id = re.search(r'<option value="(\d+)" data-text="Balasan siap pakai.">', page).group(1)  # type: ignore[union-attr]
    await act(agent, path + "/reply", {"text": "", "canned": canned_id})
    assert [m["text"] for m in (await polled(http, app.url, voter.contact))["messages"]][-1] == "Balasan siap pakai."

    # Resolved: the bot answers again, and the widget stops polling.
    assert "bot kembali menjawab" in await act(agent, path + "/state", {"state": "resolved"})
    (answer,) = await voter.say(HOURS)
    assert "07.00" in answer["text"]
    assert (await polled(http, app.url, voter.contact))["live"] is False
    assert (await conversation_path(agent, "resolved")) == path
    actions = [e.action for e in await rows(settings, AuditEntry) if e.actor == "staff:agent@suara.test"]
    for action in ("inbox_changed", "inbox_note_added", "inbox_replied", "canned_reply_added"):
        assert action in actions
    assert not [e for e in await rows(settings, AuditEntry) if "rahasia" in str(e.detail) or "petugas." in str(e.detail)]


async def test_stop_while_held_is_obeyed_and_the_agent_cannot_write_after_it(
    app: Running, agent: Staff, http: ClientSession, settings: Settings
) -> None:
    voter = WebVoter(http, app.url)
    await voter.press("human")
    path = await conversation_path(agent)
    await act(agent, path + "/take")
    (stopped,) = await voter.say("STOP")
    assert "berhenti" in stopped["text"]
    assert (await rows(settings, Contact))[0].opted_out
    page = await act(agent, path + "/reply", {"text": "Masih di sana?"})
    assert "pemilih ini sudah STOP" in page
    assert await rows(settings, AgentReply) == []


async def test_telegram_and_whatsapp_voters_get_the_agents_reply_within_the_window(
    app: Running, agent: Staff, http: ClientSession, settings: Settings, fakes: tuple[FakeBotAPI, FakeGraphAPI]
) -> None:
    telegram, whatsapp = fakes

    async def on_telegram(text: str) -> list[str]:
        before = len(telegram.delivered)
        assert await telegram.push(telegram.text_update(4242, text), http) == 200
        await app.settle()
        return [m["text"] for m in telegram.delivered[before:]]

    async def on_whatsapp(text: str) -> list[dict]:
        before = len(whatsapp.sent(WA_VOTER))
        assert await whatsapp.post_webhook(http, f"{app.url}/webhooks/whatsapp",
                                           whatsapp.text_message(WA_VOTER, text), WA_SECRET) == 200
        await app.settle()
        return whatsapp.sent(WA_VOTER)[before:]

    assert any("petugas" in text for text in await on_telegram("/petugas"))
    path = await conversation_path(agent)
    await act(agent, path + "/take")
    assert await on_telegram(HOURS) == []  # held: the bot stays quiet
    page = await act(agent, path + "/reply", {"text": "Halo dari petugas (Telegram)"})
    assert "Balasan dikirim lewat telegram" in page
    await app.settle()
    assert telegram.delivered[-1]["text"] == "Halo dari petugas (Telegram)"
    await act(agent, path + "/state", {"state": "resolved"})

    assert await on_whatsapp("/petugas")
    path = await conversation_path(agent)
    await act(agent, path + "/take")
    assert await on_whatsapp(HOURS) == []
    page = await act(agent, path + "/reply", {"text": "Halo dari petugas (WhatsApp)"})
    assert "Jendela 24 jam WhatsApp terbuka" in page
    await app.settle()
    assert whatsapp.sent(WA_VOTER)[-1]["text"]["body"] == "Halo dari petugas (WhatsApp)"

    # A day later the window is closed: a clear refusal, nothing sent or stored...
    contact_id = (await rows(settings, InboxConversation))[-1].contact_id
    await _age_messages(settings, contact_id, timedelta(hours=25))
    sent, stored = len(whatsapp.sent(WA_VOTER)), len(await rows(settings, AgentReply))
    page = await act(agent, path + "/reply", {"text": "Masih butuh bantuan?"})
    assert "lebih dari 24 jam" in page and 'id="refusal"' in page
    await app.settle()
    assert len(whatsapp.sent(WA_VOTER)) == sent and len(await rows(settings, AgentReply)) == stored
    # ...unless the agent-reply template is approved: then it goes out as that template.
    app.app[WHATSAPP].templates = TemplateRegistry([Template("balasan_petugas", "id", 1)])
    page = await act(agent, path + "/reply", {"text": "Masih butuh bantuan?"})
    assert "sebagai templat" in page
    await app.settle()
    template = whatsapp.sent(WA_VOTER)[-1]["template"]
    assert template["name"] == "balasan_petugas"
    assert template["components"][0]["parameters"][0]["text"] == "Masih butuh bantuan?"


async def _age_messages(settings: Settings, contact_id: int, age: timedelta) -> None:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            await db.execute(update(Message).where(Message.contact_id == contact_id)
                             .values(created_at=utcnow() - age))
            await db.commit()
    finally:
        await engine.dispose()


async def test_the_bot_giving_up_lands_in_the_inbox_and_roles_and_csrf_hold(
    app: Running, agent: Staff, http: ClientSession, settings: Settings, tmp_path: Path
) -> None:
    voter = WebVoter(http, app.url)
    for _ in range(2):
        assert "belum tahu" in (await voter.say("harga cabai hari ini berapa ya?"))[0]["text"]
    (conversation,) = await rows(settings, InboxConversation)
    assert (conversation.reason, conversation.state, conversation.assignee_id) == ("gave_up", "open", None)
    path = await conversation_path(agent)
    assert "bot menyerah" in (await agent.get(path))[1]
    # Not held until an agent takes it: the bot still answers.
    assert "07.00" in (await voter.say(HOURS))[0]["text"]

    response, _ = await agent.post(path + "/take", csrf=None)
    assert response.status == 403
    response, _ = await agent.post(path + "/take", csrf="x" * 43)
    assert response.status == 403
    assert (await rows(settings, InboxConversation))[0].assignee_id is None
    for role in ("editor", "campaigner", "viewer"):
        await make_account(settings, f"{role}@suara.test", role)
        client = Staff(app.url)
        try:
            await client.login(f"{role}@suara.test")
            for target in ("/console/inbox", path, path + "/updates"):
                assert (await client.get(target))[0].status == 403, (role, target)
            assert (await client.post(path + "/take"))[0].status == 403
        finally:
            await client.close()
    admin = Staff(app.url)
    try:
        await make_account(settings, "admin@suara.test", "admin")
        await admin.login("admin@suara.test")
        assert (await admin.get(path))[0].status == 200
        response, _ = await admin.get("/console/inbox/999999")
        assert response.status == 302 and response.headers["Location"].startswith("/console/inbox")
    finally:
        await admin.close()
