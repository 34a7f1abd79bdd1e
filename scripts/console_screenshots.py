"""Screenshots of the staff console for docs/console.md, at phone and laptop width.

Starts a throw-away demo server (SQLite in a temporary folder, the demo content, a copy of the
FAQ folder), lets a few voters talk to the web chat so the pages have something to show, signs
in as the demo admin and captures the login page, every page of the console's navigation
(read from ``bot.console.access.NAV``, so a page added later is captured too) and an FAQ entry's
editor with a tried question, in Debian's chromium:

    .venv/bin/python scripts/console_screenshots.py            # writes docs/console/<page>-{phone,laptop}.png
    .venv/bin/python scripts/console_screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from aiohttp import ClientSession, web  # noqa: E402
from playwright.async_api import Browser, Page, async_playwright, expect  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.cli.staff import DEMO_ADMIN  # noqa: E402
from bot.console.access import ADMIN, NAV, allowed  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from tests.conftest import CHROMIUM_FLAGS  # noqa: E402
from tests.console_client import console_path, faq_copy, make_account, sign_in_page  # noqa: E402
from webchat import WebVoter  # noqa: E402

OUT = ROOT / "docs" / "console"
#: (file name part, viewport, whether it is a phone).
SIZES = (("phone", {"width": 390, "height": 844}, True), ("laptop", {"width": 1280, "height": 800}, False))
EDITED_ENTRY = "jam-buka-tps"
TRIED_QUESTION = "tps buka jam brp ya"
#: What the demo voters say: each list is one voter's conversation in the web chat.
CONVERSATIONS = (
    ("halo", "ya", "jam brp tps buka", "kalo ktp hilang gmn"),
    ("cuaca besok hujan nggak", "resep rendang gimana"),
    ("berapa harga cabai hari ini", "harga cabai naik ga"),
    ("where do i vote", "what is the weather tomorrow"),
    ("cari tps", "sukagalh"),
    ("saya mau bicara dengan petugas",),
    ("ada yg bagi2 amplop di kampung sy, lapor kemana",),  # the bot asks which entry was meant
)


def pages() -> list[tuple[str, str]]:
    """(file name part, path) of the pages to capture after signing in, in the menu's order."""
    shots = [(key.removeprefix("nav."), console_path(name)) for name, key in NAV if allowed(name, ADMIN)]
    skipped = [name for name, _ in NAV if not allowed(name, ADMIN)]
    if skipped:
        print(f"not captured (the admin may not open them): {', '.join(skipped)}", file=sys.stderr)
    return shots


async def talk(base: str) -> None:
    """The demo voters' conversations, through the web chat's own API."""
    async with ClientSession() as http:
        for conversation in CONVERSATIONS:
            voter = WebVoter(http, base)
            for message in conversation:
                await voter.say(message)


async def capture(browser: Browser, base: str, password: str, out: Path) -> list[Path]:
    written: list[Path] = []
    for size, viewport, phone in SIZES:
        context = await browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        page = await context.new_page()

        async def shoot(name: str) -> None:
            path = out / f"{name}-{size}.png"
            await page.screenshot(path=str(path), full_page=False, animations="disabled", caret="hide")
            written.append(path)

        await page.goto(base + console_path("login.form"))
        await shoot("login")
        await sign_in_page(page, base, DEMO_ADMIN, password)
        await expect(page.locator(".flash").first).to_be_visible()
        for name, path in pages():
            await page.goto(base + path)
            await shoot(name)
        await try_a_question(page, base)
        await shoot("knowledge-edit")
        await context.close()
    return written


async def try_a_question(page: Page, base: str) -> None:
    """The editor of one entry, with the "try a question" box answered."""
    await page.goto(base + console_path("knowledge.edit", entry_id=EDITED_ENTRY))
    await page.fill("input[name=try]", TRIED_QUESTION)
    await page.locator("aside button").click(no_wait_after=True)  # the check builds a draft knowledge base: slow
    await expect(page.locator("#decision")).to_be_visible(timeout=300_000)


async def run(out: Path, folder: Path) -> list[Path]:
    url = f"sqlite+aiosqlite:///{folder / 'suara.db'}"
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, faq_dir=faq_copy(folder), _env_file=None)
    password = secrets.token_urlsafe(12)
    await make_account(settings, DEMO_ADMIN, ADMIN, password)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        await talk(base)
        executable = shutil.which("chromium")
        if executable is None:
            raise SystemExit("Debian's chromium is not installed: run `bash scripts/setup.sh --dev`")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            try:
                return await capture(browser, base, password, out)
            finally:
                await browser.close()
    finally:
        await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the PNGs go (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*-phone.png"):
        old.unlink()
    for old in args.out.glob("*-laptop.png"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="suara-shots-") as folder:
        written = asyncio.run(run(args.out, Path(folder)))
    for path in written:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
