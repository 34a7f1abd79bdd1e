"""What a channel's transport tells the sender: its limits, and why a send did not go through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol

from bot.conversation.messages import OutboundMessage


class SendError(Exception):
    """A send did not go through; the message is stored with the outbox row (no secrets)."""


class RetryLater(SendError):
    """The platform throttled us: wait ``after`` seconds on this chat, or on the whole channel."""

    def __init__(self, message: str, after: float, scope: Literal["path", "channel"] = "path") -> None:
        super().__init__(message)
        self.after, self.scope = after, scope


class Transient(SendError):
    """A 5xx answer, a refused connection or a time-out: retried with backoff while the message
    is still worth sending (its outbox row's ``expires_at``)."""


class Unreachable(SendError):
    """The voter blocked the bot or cannot receive messages: send nothing more, retry nothing."""


class TemplateRequired(SendError):
    """Outside the 24-hour customer-service window only an approved template may be sent."""


class Rejected(SendError):
    """The platform refused this message for good (a bad request)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Sending limits of one channel credential: overall, and per chat."""

    rate: float
    burst: int
    path_rate: float
    path_burst: int


class Transport(Protocol):
    """What a channel gives the sender: its limits, how to render a reply, how to deliver."""

    channel: str
    limits: Limits
    service_window: timedelta | None  # free-form messages only this long after the voter's last

    def render(self, message: OutboundMessage) -> list[dict[str, Any]]:
        """The platform request bodies for one reply (more than one when it must be split)."""

    async def deliver(self, external_id: str, body: dict[str, Any], key: str) -> str:
        """Send one body; return the platform's message id or raise a :class:`SendError`."""
