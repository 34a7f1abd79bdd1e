"""Fake messaging platforms: aiohttp apps on 127.0.0.1 that speak the real wire formats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import SecretStr

from bot.settings import Settings
from fakes.telegram import FakeBotAPI
from fakes.whatsapp import FakeGraphAPI

TG_TOKEN, TG_SECRET = "7100200300:AAH" + "x" * 32, "webhook-secret-for-tests-0123"
WA_TOKEN, WA_SECRET, WA_PHONE = "EAAG-test-token", "app-secret-for-tests", "106540352242922"


@asynccontextmanager
async def both_platforms() -> AsyncIterator[tuple[FakeBotAPI, FakeGraphAPI]]:
    """A fake Telegram Bot API and a fake WhatsApp Graph API, running."""
    telegram, whatsapp = FakeBotAPI(TG_TOKEN), FakeGraphAPI(WA_TOKEN, WA_PHONE)
    await telegram.start()
    await whatsapp.start()
    try:
        yield telegram, whatsapp
    finally:
        await telegram.close()
        await whatsapp.close()


def with_both_channels(settings: Settings, telegram: FakeBotAPI, whatsapp: FakeGraphAPI) -> Settings:
    """``settings`` with Telegram and WhatsApp on, pointed at the fakes."""
    return settings.model_copy(update={
        "telegram_token": SecretStr(TG_TOKEN), "telegram_webhook_secret": SecretStr(TG_SECRET),
        "telegram_api_url": telegram.base_url, "public_url": "http://127.0.0.1:1",
        "whatsapp_token": SecretStr(WA_TOKEN), "whatsapp_app_secret": SecretStr(WA_SECRET),
        "whatsapp_verify_token": SecretStr("verify-me-please"), "whatsapp_phone_number_id": WA_PHONE,
        "whatsapp_api_url": whatsapp.url,
    })
