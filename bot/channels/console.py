"""``suara chat``: the same conversation loop in a terminal, on the same database.

The buttons of a turn's replies are numbered in one sequence; typing a number presses one.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable

from bot.conversation.loop import ConversationLoop
from bot.conversation.messages import InboundMessage
from flows import Button

CHANNEL = "console"


async def run_console(
    loop: ConversationLoop,
    contact: str,
    clock: Callable,
    read_line: Callable[[], Awaitable[str | None]],
    write: Callable[[str], None],
) -> None:
    """Read lines until end of input, sending each through ``loop`` and printing the replies."""
    buttons: tuple[Button, ...] = ()
    write("Suara — ketik pesan, atau Ctrl-D untuk keluar. / Type a message, Ctrl-D to quit.")
    while (line := await read_line()) is not None:
        choice = line.strip()
        payload = None
        if choice.isdigit() and 1 <= int(choice) <= len(buttons):
            payload = buttons[int(choice) - 1].payload
        inbound = InboundMessage(
            CHANNEL, contact, uuid.uuid4().hex, clock(), text=None if payload else line, payload=payload
        )
        result = await loop.handle(inbound)
        buttons = ()
        for reply in result.replies:
            write(f"\nSuara: {reply.text}")
            for number, button in enumerate(reply.buttons, start=len(buttons) + 1):
                write(f"  [{number}] {button.title}")
            buttons += reply.buttons
        write("")


async def read_stdin_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None
