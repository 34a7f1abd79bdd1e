"""Shared fixtures: both databases, a real server on loopback, an HTTP client."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp import ClientSession, web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from playwright.async_api import Browser, async_playwright

from bot.app import create_app
from bot.storage.engine import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.schema import metadata
from bot.settings import Settings
from fakes import both_platforms
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI

POSTGRES_ADMIN_URL = os.environ.get("SUARA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped afterwards.

    Skips when PostgreSQL is unreachable, except under CI, where that is a failure.
    """
    name = f"suara_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(message)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    upgrade(url)
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    asyncio.run(_run_sql(url, f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


async def _run_sql(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests check pages, not the database: they run on SQLite only."""
    postgres_pages = [item for item in items if item.get_closest_marker("browser")
                      and getattr(item, "callspec", None) and item.callspec.params.get("database_url") == "postgresql"]
    if postgres_pages:
        config.hook.pytest_deselected(items=postgres_pages)
        items[:] = [item for item in items if item not in postgres_pages]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs on a migrated SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'suara.db'}"
        upgrade(url)
        return url
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, _env_file=None)


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on the test database, for tests that read or write rows directly."""
    engine = create_engine(settings)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def db(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One database session on the test database."""
    async with sessions() as session:
        yield session


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    """The real application on an ephemeral loopback port; yields its base URL."""
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeBotAPI, FakeGraphAPI]]:
    """The fake Telegram Bot API and WhatsApp Graph API, running (see ``fakes.with_both_channels``)."""
    async with both_platforms() as platforms:
        yield platforms


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


@pytest.fixture(scope="session")
def encoder():
    """The e5-small sentence encoder, loaded once per test session (built offline on first use)."""
    from bot.understanding.models import settings_encoder

    return settings_encoder(Settings(_env_file=None))


@pytest.fixture(scope="session")
def intent_model(encoder):
    """Our voter intent model, trained on nlu/data/nlu.yml or loaded from the bot's own model cache."""
    from bot.understanding.models import cached_intent_model, intent_cache_dir
    from nlu.rasa_format import DEFAULT_TRAINING_FILE

    cache = intent_cache_dir(Settings(_env_file=None))
    return cached_intent_model(DEFAULT_TRAINING_FILE.read_bytes(), "nlu/data/nlu.yml", encoder, cache)


CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run `bash scripts/setup.sh --dev`")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()
