"""The parsed form of a campaign (a reminder plan): plain frozen data with source positions.

A campaign file is turned into these by :mod:`flows.campaigns.loader`; the decisions
(:mod:`.timing`, :mod:`.choose`, :mod:`.render`, :mod:`.plan`) read them and never the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Literal

from ..model import Text
from ..segments import Query
from ..yaml_source import Pos

MissingTps = Literal["fallback", "skip"]

#: ``topic`` / subscription value that means "every topic".
ALL_TOPICS = "all"


@dataclass(frozen=True, slots=True)
class RegionOverride:
    """A different voting day (a re-vote, PSU) for the voters of one region and everything in it."""

    code: str  # Kemendagri code, e.g. "64.02"
    name: str  # the official name, for previews ("Kabupaten Kutai Kartanegara")
    voting_day: date
    pos: Pos


@dataclass(frozen=True, slots=True)
class Election:
    """The voting day, and the regions that vote on another day."""

    voting_day: date
    overrides: tuple[RegionOverride, ...] = ()


@dataclass(frozen=True, slots=True)
class WhatsAppTemplate:
    """An approved WhatsApp message template: what may be sent outside the 24-hour window.

    ``parameters`` are texts with placeholders ("{tps.number}"), filled per voter in order, in
    the template's language. ``fallback`` is the template without TPS parameters, for voters
    whose TPS is unknown (as the variant's fallback text is).
    """

    name: str
    language: str
    parameters: tuple[str, ...]
    pos: Pos
    fallback: WhatsAppTemplate | None = None


@dataclass(frozen=True, slots=True)
class Variant:
    """One wording of an event's message, for the voters its segment matches.

    ``segment`` is the query text (``None`` for the default variant) and ``query`` its parsed
    form from :func:`flows.segments.parse`. ``fallback`` is the text without TPS placeholders,
    used when the voter's TPS is unknown and the campaign says ``missing_tps: fallback``.
    """

    index: int
    segment: str | None
    query: Query | None
    neutral: bool
    text: Text
    fallback: Text | None
    whatsapp_template: WhatsAppTemplate | None
    pos: Pos

    @property
    def is_default(self) -> bool:
        return self.segment is None


@dataclass(frozen=True, slots=True)
class CampaignEvent:
    """One message of the campaign: when it goes (``offset_days`` from the voter's voting day at
    local time ``at``, or ``at is None`` for "now", a one-off broadcast) and its variants, the
    default last."""

    id: str
    offset_days: int
    at: time | None
    variants: tuple[Variant, ...]
    pos: Pos

    @property
    def is_now(self) -> bool:
        return self.at is None


@dataclass(frozen=True, slots=True)
class Campaign:
    """A whole reminder plan as staff wrote it."""

    id: str
    title: Text
    topic: str
    election: Election
    missing_tps: MissingTps
    events: tuple[CampaignEvent, ...]
    file: str
    version: str = ""  # SHA-256 of the file's text

    def event(self, event_id: str) -> CampaignEvent:
        """The event with ``event_id``; ``KeyError`` when there is none."""
        for event in self.events:
            if event.id == event_id:
                return event
        raise KeyError(event_id)
