"""What channel adapters hand to the loop and get back: plain values, no platform types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flows import Button


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a voter, as any channel adapter delivers it.

    ``external_id`` identifies the voter on the channel, ``message_id`` the message (the key of
    exactly-once handling). Exactly one of ``text``, ``payload`` (a pressed button) and
    ``location`` (a shared location as latitude, longitude) is normally set.
    """

    channel: str
    external_id: str
    message_id: str
    received_at: datetime
    text: str | None = None
    payload: str | None = None
    location: tuple[float, float] | None = None
    source: str | None = None  # where a new voter came from (a Telegram ``/start <payload>`` deep link)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply to send, already stored in the database as message ``stored_id``."""

    channel: str
    external_id: str
    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    stored_id: int | None = None
    kind: str = "say"  # flows.REPLY_KINDS: what the reply is, for dialogue tests and reports


@dataclass(frozen=True, slots=True)
class HandleResult:
    """The outcome of one inbound message: the replies, or that it was a duplicate."""

    replies: tuple[OutboundMessage, ...]
    duplicate: bool = False
