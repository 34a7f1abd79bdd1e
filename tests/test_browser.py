"""The web chat in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations


import pytest
from playwright.async_api import Browser, expect

pytestmark = pytest.mark.browser

async def test_phone_sized_chat_greets_with_buttons_and_answers_a_click(server: str, browser: Browser) -> None:
    page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    await page.goto(server + "/")
    await page.fill("#text", "halo")
    await page.click("#send")
    await expect(page.locator(".msg.bot").first).to_contain_text("Saya Suara")
    button = page.locator(".buttons button", has_text="Jam buka TPS")
    await expect(button).to_be_visible()
    await button.click()
    await expect(page.locator(".msg.bot").last).to_contain_text("07.00")
    await expect(page.locator(".msg.me").last).to_have_text("Jam buka TPS")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"


async def test_find_tps_in_the_browser_by_misspelt_village_then_by_location(
    server: str, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                        geolocation={"latitude": -6.8855, "longitude": 107.6125},
                                        permissions=["geolocation"])
    page = await context.new_page()
    await page.goto(server + "/")
    await page.fill("#text", "cari TPS")
    await page.click("#send")
    await expect(page.locator(".msg.bot").last).to_contain_text("Di kelurahan/desa mana")
    await page.fill("#text", "sukagalh")
    await page.click("#send")
    answer = page.locator(".msg.bot", has_text="TPS yang kami temukan")
    await expect(answer).to_contain_text("TPS 001, Kel./Desa Sukagalih, Kec. Sukajadi")
    await expect(answer).to_contain_text("Jl.")

    # The same voter shares a location with the page's location button ...
    await page.fill("#text", "cari TPS")
    await page.click("#send")
    await expect(page.locator(".msg.bot").last).to_contain_text("kirim lokasi Anda")
    await page.click("#locate")
    await expect(page.locator(".msg.bot", has_text="km\n")).to_contain_text("Kel./Desa Dago")

    # ... and through the web channel's API with the location payload.
    contact = await page.evaluate("localStorage.getItem('suara.contact')")
    api = context.request
    await api.post(server + "/api/web/messages", data={"contact": contact, "id": "api-1", "text": "cari tps"})
    response = await api.post(server + "/api/web/messages", data={
        "contact": contact, "id": "api-2", "location": {"latitude": -6.8855, "longitude": 107.6125}})
    assert response.status == 200
    found = (await response.json())["replies"][0]["text"]
    assert found.count("openstreetmap.org/?mlat=") == 3 and "Kel./Desa Dago" in found
    await context.close()


async def test_a_browser_with_an_id_the_server_never_issued_gets_a_new_one_and_chats(
    server: str, browser: Browser
) -> None:
    """An id from before the server issued them (or a tampered one) is replaced without the
    voter noticing: the message is answered and the page keeps the id the server issued."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    await context.add_init_script("if (!sessionStorage.getItem('seeded')) {"
                                  " localStorage.setItem('suara.contact', 'c0ffee-guessed-id');"
                                  " sessionStorage.setItem('seeded', '1'); }")
    page = await context.new_page()
    await page.goto(server + "/")
    await page.fill("#text", "jam berapa tps buka?")
    await page.click("#send")
    await expect(page.locator(".msg.bot").last).to_contain_text("07.00")
    assert await page.locator(".msg.note").count() == 0
    contact = await page.evaluate("localStorage.getItem('suara.contact')")
    assert contact != "c0ffee-guessed-id" and len(contact) == 44

    await page.reload()  # the issued id is kept across visits
    await page.fill("#text", "makasih")
    await page.click("#send")
    await expect(page.locator(".msg.bot").last).to_contain_text("Sama-sama")
    assert await page.evaluate("localStorage.getItem('suara.contact')") == contact
    await context.close()
