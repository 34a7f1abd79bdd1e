"""Contacts, a contact's page, reminders and the dashboard in Debian's chromium at phone and laptop
width: every page renders without sideways scrolling or CSP errors, the charts load as images,
and hostile voter text in messages, signals and the top lists never executes."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from bot.conversation.loop import utcnow
from bot.settings import Settings
from broadcast_seed import add_contact
from tests.console_client import PASSWORD, make_account
from tests.console_seed import HOSTILE, add_campaign_rows, add_messages, add_unanswered, database

pytestmark = pytest.mark.browser


async def seed(settings: Settings) -> int:
    now = utcnow()
    async with database(settings) as db:
        voter = await add_contact(db, region="64.72", evidence=HOSTILE[1] + " pemilih pemula",
                                  signals={"issue": [HOSTILE[0]], "first_time_voter": ["yes"]}, last_seen_at=now)
        add_messages(db, voter, HOSTILE, now)
        add_messages(db, voter, HOSTILE, now)  # twice, so they lead the dashboard's top questions
        for question in HOSTILE:
            add_unanswered(db, voter, question, now)
        await add_campaign_rows(db, "pilkada-uji", [(voter, "sent")], now)
    return voter


async def visit(page: Page, url: str, heading: str, width: int) -> None:
    await page.goto(url)
    await expect(page.locator("h1")).to_contain_text(heading)
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{url} scrolls sideways"
    assert await page.evaluate("window.__pwned") is None, f"voter text ran as script on {url}"


async def test_pages_at_phone_and_laptop_width_never_run_voter_text(
    server: str, settings: Settings, browser: Browser
) -> None:
    await make_account(settings, "admin@suara.test", "admin")
    voter = await seed(settings)
    for width, height in ((390, 844), (1280, 800)):
        context = await browser.new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        problems: list[str] = []  # dialogs, page errors and CSP reports all land here
        page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"),
                                          dialog.dismiss()))  # type: ignore[func-returns-value]
        page.on("pageerror", lambda error: problems.append(f"error: {error}"))
        # (a CSP refusal is a console error; the favicon's 404 and the bad query's 422 are not problems)
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        await page.goto(server + "/console/login")
        await page.fill("input[name=email]", "admin@suara.test")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button.primary")
        await expect(page.locator("h1")).to_have_text("Dasbor")

        await visit(page, server + "/console/dashboard", "Dasbor", width)
        top = page.locator("section.top").first
        await expect(top).to_contain_text("<script>window.__pwned = 1</script>")
        await expect(top).to_contain_text("[U+202E]")
        for image in await page.locator("figure.chart img").all():
            await image.scroll_into_view_if_needed()
            await expect(image).to_have_js_property("complete", True)
            assert await image.evaluate("i => i.naturalWidth") > 0, "a chart did not load"

        await visit(page, server + "/console/contacts", "Kontak", width)
        await visit(page, server + "/console/contacts?q=zone+%3D+WIB+AND+(", "Kontak", width)
        await expect(page.locator(".problem-box")).to_be_visible()
        await visit(page, server + f"/console/contacts/{voter}", f"Kontak #{voter}", width)
        await expect(page.locator(".transcript")).to_contain_text('<img src=x onerror="window.__pwned = 1">')
        await expect(page.locator(".signals")).to_contain_text("<script>window.__pwned = 1</script>")
        assert await page.locator(".transcript a, .signals a, .transcript img, .signals img").count() == 0
        await page.locator(".transcript bdi").first.click()

        await visit(page, server + "/console/reminders", "Kampanye pengingat", width)
        await visit(page, server + "/console/reminders/c/pilkada-uji", "pilkada-uji", width)
        await visit(page, server + "/console/reminders/new", "Jadwalkan kampanye", width)
        assert not problems, problems
        await context.close()
