"""What a segment query or a reminder variant may know about one voter: plain values, no I/O.

``bot`` builds a :class:`ContactFacts` from the database (contact, channel identity, signals,
subscriptions, polling station); the core evaluates queries and renders reminders over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PollingStationFacts:
    """The voter's polling station (TPS), when we know it."""

    number: int
    address: str
    village: str
    map_url: str | None = None


@dataclass(frozen=True)
class ContactFacts:
    """One voter as segments and reminders see them.

    ``region`` is a Kemendagri code ("64.72", "64.72.01.1001"), ``|``-separated when ambiguous;
    ``timezone`` an IANA name (Asia/Jakarta, Asia/Pontianak, Asia/Makassar, Asia/Jayapura);
    ``signals`` maps a signal name (issue, first_time_voter, moved_residence, disability_need,
    region, source, language) to the set of values recorded for it ("yes" for the yes/no ones).
    """

    contact_id: int
    language: str
    timezone: str
    channel: str
    last_seen_at: datetime
    consent: bool | None = None
    opted_out: bool = False
    region: str | None = None
    source: str | None = None
    subscriptions: frozenset[str] = frozenset()
    signals: Mapping[str, frozenset[str]] = field(default_factory=dict)
    tps: PollingStationFacts | None = None
