"""One voter, one event: every decision in order, ending in a :class:`Planned` message or a
:class:`Skipped` with a reason code. ``bot`` calls :func:`plan_contact` per contact and writes
an outbox row per ``Planned``; previews count the ``Skipped`` reasons and zone sources.

The order: who may receive (consent, STOP, subscription, channel) → zone and voting day →
variant → due time → quiet hours → too late? → masa tenang → WhatsApp window → render.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ..segments.facts import ContactFacts
from .choose import (
    EXPIRED,
    HELD_REASONS,
    MASA_TENANG,
    NO_TPS,
    PUSH_CHANNELS,
    WHATSAPP_WINDOW,
    WHATSAPP_WINDOW_LENGTH,
    choose_variant,
    skip_reason,
    whatsapp_window_open,
)
from .model import Campaign, CampaignEvent, Variant
from .render import fill, missing, placeholder_values, voter_language
from .timing import (
    QuietHours,
    VoterZone,
    ZoneSource,
    after_quiet_hours,
    due_at,
    local_date,
    require_aware,
    voting_day_for,
    zone_of,
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Deployment settings the decisions need (``bot`` builds this from its configuration).

    ``masa_tenang`` holds local dates (see :func:`~flows.campaigns.timing.masa_tenang_days`) on
    which only ``neutral: yes`` variants go out. ``max_lateness``: a message whose due time is
    further than this in the past when planned is not sent at all (an H-7 message planned on
    H-3 would say the wrong thing).
    """

    default_timezone: str = "Asia/Jakarta"
    quiet_hours: QuietHours | None = field(default_factory=QuietHours)
    masa_tenang: frozenset[date] = frozenset()
    push_channels: Collection[str] = PUSH_CHANNELS
    whatsapp_window: timedelta = WHATSAPP_WINDOW_LENGTH
    max_lateness: timedelta = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class RenderedTemplate:
    """A WhatsApp template with this voter's parameter values, ready to send."""

    name: str
    language: str
    parameters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Planned:
    """A message to send: ``text`` as free-form text, or — when ``template`` is set (WhatsApp,
    outside the 24-hour window) — the template instead. ``due_at`` is UTC."""

    contact_id: int
    event_id: str
    variant_index: int
    due_at: datetime
    text: str
    template: RenderedTemplate | None
    language: str
    zone: str
    zone_source: ZoneSource
    neutral: bool
    used_fallback: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    """No message for this voter and event, and why (a code from :data:`~flows.campaigns.choose.REASONS`).

    ``variant_index`` and ``due_at`` are known for reasons found after the variant was chosen
    (``masa_tenang``, ``whatsapp_window``, ``no_tps``, ``expired``), for previews.
    """

    contact_id: int
    event_id: str
    reason: str
    variant_index: int | None = None
    due_at: datetime | None = None

    @property
    def held(self) -> bool:
        """Held back (masa tenang) rather than excluded: the voter would otherwise get it."""
        return self.reason in HELD_REASONS


def send_time(event: CampaignEvent, campaign: Campaign, facts: ContactFacts, zone: VoterZone,
              now: datetime, settings: Settings) -> datetime:
    """:func:`~flows.campaigns.timing.due_at`, moved out of the voter's quiet hours (UTC)."""
    due = due_at(event, campaign.election, facts, now, settings.default_timezone)
    return after_quiet_hours(due, zone, settings.quiet_hours)


def plan_contact(campaign: Campaign, event: CampaignEvent, facts: ContactFacts, now: datetime,
                 settings: Settings = Settings()) -> Planned | Skipped:
    """Decide what ``event`` of ``campaign`` means for one voter at ``now`` (an aware datetime)."""
    require_aware(now)
    reason = skip_reason(campaign, facts, settings.push_channels)
    if reason is not None:
        return Skipped(facts.contact_id, event.id, reason)
    zone = zone_of(facts, settings.default_timezone)
    variant = choose_variant(event, facts, now)
    when = send_time(event, campaign, facts, zone, now, settings)

    def skipped(code: str) -> Skipped:
        return Skipped(facts.contact_id, event.id, code, variant.index, when)

    if when < now - settings.max_lateness:
        return skipped(EXPIRED)
    if local_date(when, zone) in settings.masa_tenang and not variant.neutral:
        return skipped(MASA_TENANG)
    as_template = facts.channel == "whatsapp" and not whatsapp_window_open(
        facts.last_seen_at, when, settings.whatsapp_window)
    if as_template and variant.whatsapp_template is None:
        return skipped(WHATSAPP_WINDOW)
    language = voter_language(facts)
    voting_day = voting_day_for(campaign.election, facts)
    values = placeholder_values(facts, language, voting_day, zone.name)
    rendered = _render(campaign, variant, language, values)
    if rendered is None:
        return skipped(NO_TPS)
    text, used_fallback = rendered
    template = None
    if as_template:
        template = _render_template(campaign, variant, facts, voting_day, zone)
        if template is None:
            return skipped(NO_TPS)
    return Planned(facts.contact_id, event.id, variant.index, when.astimezone(UTC), text, template, language,
                   zone.name, zone.source, variant.neutral, used_fallback)


def _render(campaign: Campaign, variant: Variant, language: str,
            values: dict[str, str | None]) -> tuple[str, bool] | None:
    """The variant's text filled in, or its fallback when a TPS value is missing (``None``: skip)."""
    text = variant.text.get(language)  # type: ignore[arg-type]
    if not missing([text], values):
        return fill(text, values), False
    if campaign.missing_tps == "fallback" and variant.fallback is not None:
        fallback = variant.fallback.get(language)  # type: ignore[arg-type]
        if not missing([fallback], values):
            return fill(fallback, values), True
    return None


def _render_template(campaign: Campaign, variant: Variant, facts: ContactFacts, voting_day: date,
                     zone: VoterZone) -> RenderedTemplate | None:
    """The template's parameters filled in the template's own language (its approved body is in
    that language), or its fallback template when a TPS value is missing; ``None``: skip (a
    template parameter cannot be empty)."""
    template = variant.whatsapp_template
    assert template is not None
    values = placeholder_values(facts, template.language.split("_")[0], voting_day, zone.name)
    if missing(template.parameters, values):
        if campaign.missing_tps != "fallback" or template.fallback is None:
            return None
        template = template.fallback
        if missing(template.parameters, values):
            return None
    return RenderedTemplate(template.name, template.language, tuple(fill(p, values) for p in template.parameters))
