"""Who may receive a campaign, which variant they get, and whether WhatsApp lets it go as text.

The reason codes here are what previews count ("1 204 skipped: not_subscribed").
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from ..segments import matches
from ..segments.facts import ContactFacts
from .model import ALL_TOPICS, Campaign, CampaignEvent, Variant

NO_CONSENT = "no_consent"
OPTED_OUT = "opted_out"
NOT_SUBSCRIBED = "not_subscribed"
UNREACHABLE = "unreachable"
EXPIRED = "expired"
MASA_TENANG = "masa_tenang"
WHATSAPP_WINDOW = "whatsapp_window"
NO_TPS = "no_tps"

#: Every reason a voter may be skipped, in the order :func:`~flows.campaigns.plan.plan_contact` checks them.
REASONS = (NO_CONSENT, OPTED_OUT, NOT_SUBSCRIBED, UNREACHABLE, EXPIRED, MASA_TENANG, WHATSAPP_WINDOW, NO_TPS)
#: Reasons that only hold a message back for now (the voter is not excluded).
HELD_REASONS = frozenset({MASA_TENANG})

#: Channels a message can be pushed to unprompted (the web widget only answers while open).
PUSH_CHANNELS: frozenset[str] = frozenset({"telegram", "whatsapp"})
#: WhatsApp allows free-form messages within 24 hours of the voter's last message.
WHATSAPP_WINDOW_LENGTH = timedelta(hours=24)


def skip_reason(campaign: Campaign, facts: ContactFacts, channels: Collection[str] = PUSH_CHANNELS) -> str | None:
    """Why this voter may not receive ``campaign`` at all, or ``None`` when they may.

    Consent must be explicitly given (``None``, not asked, is no consent: UU 27/2022), the voter
    has not sent STOP, is subscribed to the campaign's topic (a campaign for ``all`` reaches
    every subscriber; a subscription to ``all`` takes every topic), and is on a channel we can
    push to.
    """
    if facts.consent is not True:
        return NO_CONSENT
    if facts.opted_out:
        return OPTED_OUT
    if not (campaign.topic == ALL_TOPICS and facts.subscriptions) and not (
        {campaign.topic, ALL_TOPICS} & set(facts.subscriptions)
    ):
        return NOT_SUBSCRIBED
    if facts.channel not in channels:
        return UNREACHABLE
    return None


def choose_variant(event: CampaignEvent, facts: ContactFacts, now: datetime) -> Variant:
    """The first variant whose segment matches the voter, else the default (always last).

    One voter gets at most one variant per event: order in the file is priority, so put the
    narrowest segment first.
    """
    for variant in event.variants:
        if variant.query is None or matches(variant.query, facts, now):
            return variant
    return event.variants[-1]


def whatsapp_window_open(last_inbound: datetime | None, send_at: datetime,
                         window: timedelta = WHATSAPP_WINDOW_LENGTH) -> bool:
    """Whether a free-form WhatsApp message may go at ``send_at``: the voter wrote to us less
    than 24 hours before it. Outside the window only an approved template may be sent."""
    if last_inbound is None:
        return False
    return send_at - last_inbound < window
