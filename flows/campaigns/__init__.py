"""Campaigns: reminder plans staff write as YAML, and the pure decisions behind sending them.

``parse_campaign(text, file)`` loads and validates a campaign (problems as
``file:line:column: message``); ``plan_contact(campaign, event, facts, now, settings)`` decides,
for one voter, when their message is due, which variant they get and its text — or why they
are skipped. No database, no network, no clock: ``bot`` stores, schedules and sends.
See ``docs/reminders.md``.
"""

from __future__ import annotations

from .choose import (
    EXPIRED,
    HELD_REASONS,
    MASA_TENANG,
    NO_CONSENT,
    NO_TPS,
    NOT_SUBSCRIBED,
    OPTED_OUT,
    PUSH_CHANNELS,
    REASONS,
    UNREACHABLE,
    WHATSAPP_WINDOW,
    choose_variant,
    skip_reason,
    whatsapp_window_open,
)
from .loader import (
    KNOWN_TOPICS,
    LIBRARY_DIR,
    library_sources,
    parse_campaign,
    parse_campaigns,
)
from .model import (
    ALL_TOPICS,
    Campaign,
    CampaignEvent,
    Election,
    RegionOverride,
    Variant,
    WhatsAppTemplate,
)
from .plan import Planned, RenderedTemplate, Settings, Skipped, plan_contact, send_time
from .render import (
    PLACEHOLDERS,
    TPS_PLACEHOLDERS,
    fill,
    format_date,
    format_hours,
    placeholder_values,
)
from .timing import (
    QuietHours,
    VoterZone,
    after_quiet_hours,
    due_at,
    local_date,
    masa_tenang_days,
    override_for,
    voting_day_for,
    zone_of,
)

__all__ = [
    "ALL_TOPICS", "EXPIRED", "HELD_REASONS", "KNOWN_TOPICS", "LIBRARY_DIR", "MASA_TENANG", "NOT_SUBSCRIBED",
    "NO_CONSENT", "NO_TPS", "OPTED_OUT", "PLACEHOLDERS", "PUSH_CHANNELS", "REASONS", "TPS_PLACEHOLDERS",
    "UNREACHABLE", "WHATSAPP_WINDOW",
    "Campaign", "CampaignEvent", "Election", "Planned", "QuietHours", "RegionOverride", "RenderedTemplate",
    "Settings", "Skipped", "Variant", "VoterZone", "WhatsAppTemplate",
    "after_quiet_hours", "choose_variant", "due_at", "fill", "format_date", "format_hours", "library_sources",
    "local_date", "masa_tenang_days", "override_for", "parse_campaign", "parse_campaigns", "placeholder_values",
    "plan_contact", "send_time", "skip_reason", "voting_day_for", "whatsapp_window_open", "zone_of",
]
