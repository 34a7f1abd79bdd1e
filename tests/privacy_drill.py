"""The privacy drill every channel runs: a voter writes a NIK, a phone and an e-mail, asks
HAPUS DATA and confirms; afterwards no table and no log line holds any of them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.settings import Settings
from bot.telemetry.logs import quiet_libraries
from dbread import found_in_any_table

SECRETS = ("3201234567890123", "081298765432", "siti.drill@example.com")


async def privacy_drill(
    say: Callable[[str], Awaitable[list[Any]]], settings: Settings, caplog: pytest.LogCaptureFixture,
    *, opening: str = "",
) -> list[Any]:
    """Run the drill through ``say`` (one channel's voter); returns the replies to "YA"."""
    quiet_libraries()  # as `suara serve`'s logging set-up does: libraries that log values stay quiet
    caplog.set_level(logging.DEBUG)
    await say(f"{opening}nik saya {SECRETS[0]} hp {SECRETS[1]} email {SECRETS[2]}, TPS saya di mana?")
    await say("HAPUS DATA")
    replies = await say("YA")
    assert await found_in_any_table(settings, SECRETS) == []
    assert not any(secret in caplog.text for secret in SECRETS)
    return replies
