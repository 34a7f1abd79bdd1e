"""What consenting voters' signals teach the contact profile: region, time zone, deep-link source."""

from __future__ import annotations

from flows import SetSignal
from nlu.regions import IANA_ZONES, region_by_code

from bot.storage.models import Contact


def apply_to_profile(contact: Contact, signal: SetSignal) -> None:
    """Region and deep-link source signals also set the contact's region, time zone and source."""
    if signal.name == "source":
        contact.source = signal.value[:128]
    if signal.name != "region":
        return
    regions = [r for r in map(region_by_code, signal.value.split("|")) if r is not None]
    if not regions:
        return
    contact.region = _common_code([r.code for r in regions])
    zones = {r.timezone for r in regions}
    if len(zones) == 1:
        contact.timezone = IANA_ZONES[zones.pop()]


def _common_code(codes: list[str]) -> str:
    """The deepest region containing every code: "32.16"+"32.75" → "32" (both Bekasis are in Jawa Barat)."""
    parts = [c.split(".") for c in codes]
    common = []
    for level in zip(*parts):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return ".".join(common) or codes[0]
