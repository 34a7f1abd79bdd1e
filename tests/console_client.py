"""A staff member's HTTP client for the console tests: keeps the session cookie (Secure, which
aiohttp sends to 127.0.0.1 only when told it is a secure origin) and reads CSRF tokens."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from aiohttp import ClientResponse, ClientSession, CookieJar
from playwright.async_api import Page

from bot.console.accounts import add_account
from bot.console.setup import PAGES
from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.engine import create_engine, session_factory
from knowledge.faq_loader import FAQ_DIR

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a console test: ``database_url`` and a copy of the FAQ folder to publish to."""
    return Settings(database_url=database_url, faq_dir=faq_copy(tmp_path), _env_file=None)


def console_path(route_name: str, **parts: str) -> str:
    """The path of the console route called ``route_name``, placeholders filled from ``parts``."""
    for table in PAGES:
        for route in table:
            if route.kwargs.get("name") == route_name:
                path = re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: parts[m.group(1)], route.path)
                return "/console" + path
    raise KeyError(route_name)


async def sign_in_page(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form in a browser ``page`` (the caller checks where it lands)."""
    await page.goto(base + "/console/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("main form button.primary")


def faq_copy(tmp_path: Path) -> Path:
    """A copy of the repository's FAQ folder the test may edit."""
    folder = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, folder)
    return folder


async def make_account(settings: Settings, email: str, role: str, password: str = PASSWORD) -> None:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            await add_account(db, email, role, password, utcnow())
            await db.commit()
    finally:
        await engine.dispose()


class Staff:
    """One browser-like session against the console at ``base``."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = ClientSession(cookie_jar=CookieJar(unsafe=True, treat_as_secure_origin=[base]))
        self.token = ""

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, **kwargs: object) -> tuple[ClientResponse, str]:
        async with self.http.get(self.base + path, allow_redirects=False, **kwargs) as response:
            body = await response.text()
        found = _CSRF.search(body)
        if found:
            self.token = found.group(1)
        return response, body

    async def post(self, path: str, data: dict[str, str] | list[tuple[str, str]] | None = None, *,
                   csrf: str | None = "session", follow: bool = False) -> tuple[ClientResponse, str]:
        """Post a form (a dict, or pairs when a field repeats); ``csrf`` is the session's token by
        default, or the given text, or none."""
        form = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf == "session":
            form.append(("csrf_token", self.token))
        elif csrf is not None:
            form.append(("csrf_token", csrf))
        async with self.http.post(self.base + path, data=form, allow_redirects=follow) as response:
            body = await response.text()
        found = _CSRF.search(body)
        if found:
            self.token = found.group(1)
        return response, body

    async def login(self, email: str, password: str = PASSWORD) -> ClientResponse:
        await self.get("/console/login")
        response, _ = await self.post("/console/login", {"email": email, "password": password})
        await self.get("/console/login")  # pick up the new session's token from any page
        return response
