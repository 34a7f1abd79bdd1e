"""The agent inbox in Debian's chromium: a voter in the web chat asks for a person; an agent
(on a phone-sized screen) takes over and replies; the voter sees the reply in the web chat; the
agent resolves and the voter's next question gets the bot's answer. Hostile voter text shown
in the inbox — rendered by the server and added live by our script — never executes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from playwright.async_api import Browser, Dialog, Page, expect

from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.engine import create_engine, session_factory
from bot.storage.models import Contact, Message
from tests.console_client import PASSWORD, make_account

pytestmark = pytest.mark.browser

HOSTILE = ["<script>window.pwned = 1; alert(1)</script>", '<img src=x onerror="window.pwned = 2; alert(2)">',
           '<a href="javascript:window.pwned = 3">klik</a>']
#: The loop drops bidi controls from what voters type, so this one is stored directly (as older
#: data or another channel might hold it) to check how the page shows it.
RTL = "tps saya \u202egnp.exe di mana"


async def voter_says(chat: Page, text: str) -> None:
    before = await chat.locator(".msg.me").count()
    await chat.fill("#text", text)
    await chat.click("#send")
    await expect(chat.locator(".msg.me")).to_have_count(before + 1)


async def store_voter_text(settings: Settings, text: str) -> None:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            contact_id = await db.scalar(select(Contact.id))
            db.add(Message(contact_id=contact_id, direction="in", channel="web", text=text, created_at=utcnow()))
            await db.commit()
    finally:
        await engine.dispose()


async def nothing_ran(page: Page, dialogs: list[str]) -> None:
    assert await page.evaluate("window.pwned") is None and dialogs == []
    history = page.locator("#inbox-history")
    assert await history.locator("script, img, a[href^='javascript']").count() == 0
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"


async def test_agent_takes_over_replies_in_the_web_chat_and_hands_back(
    server: str, settings: Settings, browser: Browser
) -> None:
    await make_account(settings, "agent@suara.test", "agent")
    chat = await (await browser.new_context()).new_page()
    console = await (await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                               has_touch=True)).new_page()
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    console.on("dialog", dismiss)
    errors: list[str] = []  # a script or style the CSP blocks shows up here
    console.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in str(m.location)
               else None)

    await chat.goto(server + "/")
    await voter_says(chat, HOSTILE[0])
    await voter_says(chat, "/petugas")
    await expect(chat.locator(".msg.bot").last).to_contain_text("diteruskan ke petugas")
    answered = await chat.locator(".msg.bot").count()

    await console.goto(server + "/console/")
    await console.fill("input[name=email]", "agent@suara.test")
    await console.fill("input[name=password]", PASSWORD)
    await console.click("button.primary")
    await expect(console.locator("h1")).to_have_text("Kotak masuk petugas")  # an agent's home page
    assert await console.evaluate("document.documentElement.scrollWidth") <= 390, "the list scrolls sideways"
    await console.click("ul.inbox a")
    await expect(console.locator("#inbox-history")).to_contain_text("<script>window.pwned = 1")
    await console.click("#take")
    await expect(console.locator(".flash").first).to_contain_text("bot diam")
    await nothing_ran(console, dialogs)

    # Held: the voter's messages reach the open page without a reload, and the bot says nothing.
    await console.evaluate("window.stillHere = true")
    for text in HOSTILE[1:]:
        await voter_says(chat, text)
    await store_voter_text(settings, RTL)
    await expect(console.locator("#inbox-history")).to_contain_text("tps saya [U+202E]gnp.exe", timeout=15000)
    await voter_says(chat, "jam berapa tps buka?")
    await expect(console.locator("#inbox-history .msg.voter").last).to_contain_text("jam berapa tps buka?",
                                                                                     timeout=15000)
    assert await console.evaluate("window.stillHere") is True
    assert "\u202e" not in await console.locator("#inbox-history").inner_text()
    await expect(console.locator("#inbox-history")).to_contain_text('<img src=x onerror="window.pwned = 2')
    await nothing_ran(console, dialogs)
    await console.reload()  # the same history, rendered by the server
    await expect(console.locator("#inbox-history")).to_contain_text("tps saya [U+202E]gnp.exe")
    await expect(console.locator("#inbox-history")).to_contain_text('<a href="javascript:window.pwned = 3">')
    await nothing_ran(console, dialogs)
    assert await chat.locator(".msg.bot").count() == answered, "the bot answered while the agent held it"

    await console.select_option("#canned", label="[id] Salam")
    await expect(console.locator("#reply-text")).to_have_value("Halo, saya petugas Suara. Terima kasih sudah "
                                                               "menunggu. Ada yang bisa saya bantu?")
    await console.fill("#reply-text", "Halo, saya petugas Suara. TPS buka pukul 07.00.")
    await console.click("#send-reply")
    await expect(console.locator(".flash").first).to_contain_text("Balasan dikirim lewat web")
    await expect(chat.locator(".msg.agent")).to_contain_text("TPS buka pukul 07.00", timeout=15000)

    await console.click("#state-resolved")
    await expect(console.locator(".flash").first).to_contain_text("bot kembali menjawab")
    await voter_says(chat, "jam berapa tps buka?")
    bot = chat.locator(".msg.bot:not(.agent)")
    await expect(bot).to_have_count(answered + 1)
    await expect(bot.last).to_contain_text("07.00")
    await nothing_ran(console, dialogs)
    assert not errors, errors
