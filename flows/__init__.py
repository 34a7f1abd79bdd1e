"""Conversation flows: a pure engine that turns a session and a voter's input into events."""

from __future__ import annotations

from .engine import (
    PAYLOAD_CONSENT_NO,
    PAYLOAD_CONSENT_YES,
    PAYLOAD_HUMAN,
    PAYLOAD_MENU,
    PAYLOAD_QUESTION,
    Context,
    Session,
    Turn,
    resume,
)
from .events import Button, Event, Handover, QueueUnanswered, RecordConsent, Reply, SetLanguage, SetSignal
from .texts import CONSENT_VERSION, text

__all__ = [
    "CONSENT_VERSION",
    "PAYLOAD_CONSENT_NO",
    "PAYLOAD_CONSENT_YES",
    "PAYLOAD_HUMAN",
    "PAYLOAD_MENU",
    "PAYLOAD_QUESTION",
    "Button",
    "Context",
    "Event",
    "Handover",
    "QueueUnanswered",
    "RecordConsent",
    "Reply",
    "Session",
    "SetLanguage",
    "SetSignal",
    "Turn",
    "resume",
    "text",
]
