"""Conversation flows: staff-editable YAML (``flows/library``) and the pure engine that runs them.

``resume(session, turn, context)`` returns the new session and the events for ``bot`` to
apply; ``parse_library(sources)`` parses and validates flow files. See ``flows/README.md``.
"""

from __future__ import annotations

from .engine import (
    PAYLOAD_CONSENT_NO,
    PAYLOAD_CONSENT_YES,
    PAYLOAD_FLOW,
    PAYLOAD_HUMAN,
    PAYLOAD_MENU,
    PAYLOAD_QUESTION,
    Session,
    resume,
)
from .events import (
    ActionRequest,
    Button,
    Event,
    FlowEnded,
    FlowStarted,
    Handover,
    QueueUnanswered,
    RecordConsent,
    REPLY_KINDS,
    UNANSWERED_KINDS,
    Reply,
    SetField,
    SetLanguage,
    SetSignal,
    Subscribe,
    Unsubscribe,
)
from .catalog import EMPTY_LIBRARY, Library
from .library import ELECTION_FILE, ELECTION_ID, LIBRARY_DIR, default_sources, parse_library
from .loader import content_hash
from .model import Flow, Problem
from .run import Context, Turn
from .texts import CONSENT_VERSION, text

__all__ = [
    "REPLY_KINDS",
    "UNANSWERED_KINDS",
    "CONSENT_VERSION",
    "ELECTION_FILE",
    "ELECTION_ID",
    "EMPTY_LIBRARY",
    "LIBRARY_DIR",
    "PAYLOAD_CONSENT_NO",
    "PAYLOAD_CONSENT_YES",
    "PAYLOAD_FLOW",
    "PAYLOAD_HUMAN",
    "PAYLOAD_MENU",
    "PAYLOAD_QUESTION",
    "ActionRequest",
    "Button",
    "Context",
    "Event",
    "Flow",
    "FlowEnded",
    "FlowStarted",
    "Handover",
    "Library",
    "Problem",
    "QueueUnanswered",
    "RecordConsent",
    "Reply",
    "Session",
    "SetField",
    "SetLanguage",
    "SetSignal",
    "Subscribe",
    "Turn",
    "Unsubscribe",
    "content_hash",
    "default_sources",
    "parse_library",
    "resume",
    "text",
]
