"""The flow editor in Debian's chromium: an editor signs in, makes a deliberate mistake and sees
it at its line, fixes and publishes it, chats with the draft in the simulator, and a voter in
the web chat gets the new version — on a phone-sized screen, then on a laptop."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from bot.settings import Settings
from tests.console_client import PASSWORD, make_account

pytestmark = pytest.mark.browser

OLD_QUESTION = "Di kelurahan/desa mana Anda terdaftar"


async def sign_in(page: Page, server: str, email: str) -> None:
    await page.goto(server + "/console/flows")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button.primary")
    await expect(page.locator("h1")).to_have_text("Alur percakapan")


async def no_sideways_scroll(page: Page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


async def test_editor_fixes_a_flow_publishes_it_and_chats_with_it(
    server: str, settings: Settings, browser: Browser
) -> None:
    await make_account(settings, "editor@suara.test", "editor")
    page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    errors: list[str] = []  # a script or style the CSP blocks shows up here
    page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url')}")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    await sign_in(page, server, "editor@suara.test")
    await no_sideways_scroll(page, 390)
    await page.click("a:has-text('Cari TPS')")
    await expect(page.locator("h1")).to_have_text("Ubah alur find_tps")
    await no_sideways_scroll(page, 390)

    source = page.locator("#source")
    text = await source.input_value()
    broken = text.replace("    save_as: place\n", "    save_as: place\n    colour: blue\n")
    line = broken[: broken.index("colour: blue")].count("\n") + 1
    await source.fill(broken)
    await page.click("#check")
    await expect(page.locator(".findings li")).to_contain_text(f"baris {line}, kolom 5")
    await expect(page.locator(".findings li")).to_contain_text("unknown key 'colour'")
    await expect(page.locator(f"#line-{line}")).to_have_class("bad")
    assert await page.locator(".gutter li.bad").count() == 1
    await page.click(f"a.goto-line[data-line='{line}']")  # selects the line in the text
    selected = await page.evaluate("(() => { const s = document.getElementById('source');"
                                   " return s.value.slice(s.selectionStart, s.selectionEnd); })()")
    assert selected == "    colour: blue"

    fixed = text.replace(OLD_QUESTION, "VERSI BROWSER: kelurahan/desa Anda apa")
    await source.fill(fixed)
    await page.click("#publish")
    await expect(page.locator(".flash").first).to_contain_text("Alur find_tps diterbitkan")
    await expect(page.locator(".gutter li.bad")).to_have_count(0)

    # The simulator, answered in place by our script (the page is not reloaded).
    await page.evaluate("window.stillHere = true")
    await page.fill("#sim-message", "cari tps")
    await page.click("#sim-send")
    await expect(page.locator(".sim .msg.bot").last).to_contain_text("VERSI BROWSER")
    await expect(page.locator(".sim .where").last).to_contain_text("di alur find_tps, langkah ask_place")
    await page.fill("#sim-message", "sukagalh")
    await page.press("#sim-message", "Enter")
    await expect(page.locator(".sim .msg.bot").first).to_contain_text("VERSI BROWSER")
    await expect(page.locator(".sim .msg.bot", has_text="TPS 001, Kel./Desa Sukagalih")).to_be_visible()
    await expect(page.locator(".sim .msg.me")).to_have_count(2)
    assert await page.evaluate("window.stillHere === true"), "the simulator reloaded the page"
    await no_sideways_scroll(page, 390)
    assert not errors, errors
    await page.close()

    # A voter in the web chat gets the published version.
    voter = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    await voter.goto(server + "/")
    await voter.fill("#text", "cari TPS")
    await voter.click("#send")
    await expect(voter.locator(".msg.bot").last).to_contain_text("VERSI BROWSER")
    await voter.close()

    # On a laptop: the editor and the simulator side by side, and the history shows the change.
    laptop = await browser.new_page(viewport={"width": 1280, "height": 900})
    await sign_in(laptop, server, "editor@suara.test")
    await laptop.goto(server + "/console/flows/find_tps/history")
    await expect(laptop.locator("pre.diff .add").first).to_contain_text("VERSI BROWSER")
    await laptop.goto(server + "/console/flows/find_tps")
    editor_box = await laptop.locator("#source").bounding_box()
    simulator_box = await laptop.locator("#simulator").bounding_box()
    assert editor_box and simulator_box and simulator_box["x"] > editor_box["x"] + editor_box["width"]
    await no_sideways_scroll(laptop, 1280)
    await laptop.close()
