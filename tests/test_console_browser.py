"""The knowledge pages of the console in Debian's chromium, against the real server: each role
signs in and sees only its own menu; an editor publishes an answer and the web chat uses it; a
question the bot could not answer becomes a phrasing and is answered; hostile voter text in
the unanswered queue stays text; the session cookie's flags."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from bot.console.access import NAV, ROLES, allowed, nav_for
from bot.console.sessions import COOKIE_NAME
from bot.console.texts import text
from bot.settings import Settings
from tests.console_client import console_path, console_settings, make_account, sign_in_page

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: The web chat's honest "I don't know", in either language (flows/texts.py, "fallback").
NOT_KNOWN = re.compile("Maaf, saya belum tahu jawabannya|Sorry, I don't know the answer yet")
#: Publishing checks and rebuilds the knowledge base before it answers: give it time on a busy machine.
PUBLISHING_MS = 180_000
#: How long a voter keeps asking after a publish: the server re-fits the knowledge base's index
#: in the background, seconds on an idle machine but over a minute on a loaded 2-core one.
ASK_FOR_SECONDS = 240.0
HOSTILE = {
    "script": "<script>window.__pwned=1</script>",
    "img": '<img src=x onerror="window.__pwned=1">',
    "link": '<a href="javascript:window.__pwned=1">klik di sini</a>',
    "rtl": "berapa harga cabai hari ini \u202egnp.exe",
}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return console_settings(database_url, tmp_path)


def t(key: str, **values: object) -> str:
    return text("id", key, **values)


async def signed_in(browser: Browser, server: str, settings: Settings, role: str, **page_options: object) -> Page:
    """A fresh page (its own cookies) signed in as a new account with ``role``."""
    email = f"{role}@suara.test"
    await make_account(settings, email, role)
    page = await (await browser.new_context(**page_options)).new_page()
    await sign_in_page(page, server, email)
    await expect(page.locator(".flash").first).to_have_text(t("login.welcome", email=email))
    return page


async def ask(voter: Page, question: str) -> None:
    """Type ``question`` into the web chat and wait for the bot's reply to it."""
    replies = await voter.locator(".msg.bot").count()
    await voter.fill("#text", question)
    await voter.click("#send")
    await expect(voter.locator(".msg.bot").nth(replies)).to_be_visible()


async def ask_until_answered(voter: Page, question: str, answer: str | re.Pattern[str]) -> None:
    """Ask until a reply contains ``answer``: the server picks up what was published within seconds."""
    deadline = time.monotonic() + ASK_FOR_SECONDS
    while time.monotonic() < deadline:
        await ask(voter, question)
        if await voter.locator(".msg.bot", has_text=answer).count():
            return
        await voter.wait_for_timeout(2000)
    await expect(voter.locator(".msg.bot", has_text=answer)).to_be_visible()


async def web_voter(browser: Browser, server: str) -> Page:
    voter = await browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    await voter.goto(server + "/")
    return voter


async def test_each_role_sees_only_its_menu_and_is_refused_other_pages(
    server: str, settings: Settings, browser: Browser
) -> None:
    # A wrong password: the form again with a plain error, no stack trace, no session.
    await make_account(settings, "someone@suara.test", "editor")
    stranger = await (await browser.new_context(viewport=LAPTOP)).new_page()
    await sign_in_page(stranger, server, "someone@suara.test", "not the password at all")
    await expect(stranger.locator("[role=alert]")).to_have_text(t("login.failed"))
    await expect(stranger.locator("h1")).to_have_text(t("login.title"))
    await expect(stranger.locator("body")).not_to_contain_text("Traceback")
    await expect(stranger.locator("nav.wide a")).to_have_count(0)

    for role in ROLES:
        page = await signed_in(browser, server, settings, role, viewport=LAPTOP)
        menu = [t(key) for _, key in nav_for(role)]
        await expect(page.locator("nav.wide a")).to_have_count(len(menu))
        if menu:
            await expect(page.locator("nav.wide a")).to_have_text(menu)
            await expect(page.locator("h1")).not_to_have_text(t("error.title"))
        else:
            await expect(page.locator("main")).to_contain_text(t("home.nothing"))
        for name in [name for name, _ in NAV if not allowed(name, role)]:
            response = await page.goto(server + console_path(name))
            assert response is not None and response.status == 403, f"{role} opened {name}"
            await expect(page.locator("main")).to_contain_text(t("error.forbidden"))
        if role == ROLES[0]:
            # The session cookie, as the browser keeps it.
            cookies = [c for c in await page.context.cookies() if c["name"] == COOKIE_NAME]
            assert len(cookies) == 1 and cookies[0]["path"] == "/console"
            assert cookies[0]["secure"] and cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
        await page.context.close()


async def test_an_edited_answer_is_published_and_the_web_chat_answers_with_it(
    server: str, settings: Settings, browser: Browser
) -> None:
    editor = await signed_in(browser, server, settings, "editor", viewport=PHONE, is_mobile=True, has_touch=True)
    await editor.goto(server + console_path("knowledge.edit", entry_id="jam-buka-tps"))
    answer = editor.locator("textarea[name=answer_id]")
    await answer.fill("PEMBARUAN DARI KONSOL. " + await answer.input_value())
    await editor.click("form.editor button.primary", no_wait_after=True)
    await expect(editor.locator(".flash").first).to_contain_text("Entri jam-buka-tps diterbitkan",
                                                                 timeout=PUBLISHING_MS)
    await expect(answer).to_have_value(re.compile(r"^PEMBARUAN DARI KONSOL\. TPS buka pukul 07\.00"))

    voter = await web_voter(browser, server)
    await ask_until_answered(voter, "jam brp tps buka", "PEMBARUAN DARI KONSOL")

    # The history shows the change, with a way back.
    await editor.goto(server + console_path("knowledge.history", entry_id="jam-buka-tps"))
    await expect(editor.locator("pre.diff .add", has_text="PEMBARUAN DARI KONSOL").first).to_be_attached()
    await expect(editor.locator("form button", has_text=t("kb.rollback"))).to_have_count(1)


async def test_an_unanswered_question_becomes_a_phrasing_and_is_then_answered(
    server: str, settings: Settings, browser: Browser
) -> None:
    # Asked in Spanish: the bot's best guess is the opening-hours entry, but not good enough to answer.
    question = "¿a qué hora abre el colegio electoral?"
    voter = await web_voter(browser, server)
    await ask(voter, question)
    await expect(voter.locator(".msg.bot").last).to_contain_text(NOT_KNOWN)

    editor = await signed_in(browser, server, settings, "editor", viewport=LAPTOP)
    await editor.goto(server + console_path("unanswered.list"))
    group = editor.locator("section.group", has=editor.locator("h2", has_text=question))
    await expect(group.locator("p.muted")).to_contain_text("jam-buka-tps")  # the candidates the bot considered
    await group.locator("select[name=entry_id]").select_option("jam-buka-tps")
    await group.locator("button.primary").click(no_wait_after=True)
    await expect(editor.locator(".flash", has_text=t("un.added", entry="jam-buka-tps"))).to_be_visible(
        timeout=PUBLISHING_MS)
    await expect(editor.locator("section.group", has_text=question)).to_have_count(0)
    await editor.goto(server + console_path("knowledge.edit", entry_id="jam-buka-tps"))
    await expect(editor.locator("textarea[name=phrasings]")).to_have_value(re.compile(re.escape(question) + "$"))

    await ask_until_answered(voter, question, re.compile(r"07[.:]00"))


async def test_hostile_voter_text_stays_text_in_the_unanswered_queue(
    server: str, settings: Settings, browser: Browser
) -> None:
    voter = await web_voter(browser, server)
    for message in HOSTILE.values():
        await ask(voter, message)  # each is queued: the bot does not know what it means

    for role, viewport in (("agent", LAPTOP), ("editor", PHONE)):
        page = await signed_in(browser, server, settings, role, viewport=viewport)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        await page.goto(server + console_path("unanswered.list"))
        queue = page.locator("main")
        for name in ("script", "img", "link"):
            await expect(queue).to_contain_text(HOSTILE[name])
        # The web chat drops the right-to-left override before storing; nothing reorders the page.
        await expect(queue).to_contain_text("berapa harga cabai hari ini")
        assert "\u202e" not in await queue.inner_text()
        assert await page.locator("main img, main script, main a[href^='javascript:']").count() == 0
        assert await page.evaluate("typeof window.__pwned") == "undefined"
        assert dialogs == []
        await page.context.close()
