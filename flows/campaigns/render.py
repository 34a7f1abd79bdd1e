"""Filling a variant's placeholders for one voter, in their language.

| placeholder | value |
| --- | --- |
| ``{tps.number}``, ``{tps.address}``, ``{tps.village}``, ``{tps.map_url}`` | the voter's polling station (``facts.tps``) |
| ``{hours}`` | voting hours, "07.00–13.00" (en: "07:00–13:00"), local time |
| ``{zone}`` | WIB, WITA or WIT |
| ``{voting_day}`` | the voter's voting day: "Rabu, 27 November 2024" / "Wednesday, 27 November 2024" |

A TPS value we do not know (no TPS, or a TPS without a map link) is *missing*: the caller then
uses the variant's fallback text or skips the voter, as the campaign's ``missing_tps`` says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time

from ..model import PLACEHOLDER
from ..segments.facts import ContactFacts

TPS_PLACEHOLDERS = frozenset({"tps.number", "tps.address", "tps.village", "tps.map_url"})
PLACEHOLDERS = TPS_PLACEHOLDERS | {"hours", "zone", "voting_day"}

#: Polling hours at every TPS, local time (PKPU: 07.00–13.00 WIB/WITA/WIT).
POLLS_OPEN, POLLS_CLOSE = time(7), time(13)

_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def voter_language(facts: ContactFacts) -> str:
    """``"en"`` for voters who write English, ``"id"`` for everyone else (Javanese, Sundanese… get
    Indonesian, as the conversation does)."""
    return "en" if facts.language == "en" else "id"


def format_date(day: date, language: str) -> str:
    """``"Rabu, 27 November 2024"`` / ``"Wednesday, 27 November 2024"`` (no locale needed)."""
    lang = "en" if language == "en" else "id"
    return f"{_DAYS[lang][day.weekday()]}, {day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def format_hours(language: str, opens: time = POLLS_OPEN, closes: time = POLLS_CLOSE) -> str:
    """``"07.00–13.00"`` in Indonesian style (dots), ``"07:00–13:00"`` in English."""
    sep = ":" if language == "en" else "."
    return f"{opens.hour:02d}{sep}{opens.minute:02d}–{closes.hour:02d}{sep}{closes.minute:02d}"


def placeholder_values(facts: ContactFacts, language: str, voting_day: date, zone: str) -> dict[str, str | None]:
    """Every placeholder's value for this voter; ``None`` marks a missing TPS value."""
    tps = facts.tps
    return {
        "tps.number": str(tps.number) if tps else None,
        "tps.address": (tps.address or None) if tps else None,
        "tps.village": (tps.village or None) if tps else None,
        "tps.map_url": (tps.map_url or None) if tps else None,
        "hours": format_hours(language),
        "zone": zone,
        "voting_day": format_date(voting_day, language),
    }


def placeholders_in(text: str) -> list[str]:
    """The placeholder names in ``text``, in order (``"{tps.number}"`` → ``"tps.number"``)."""
    return PLACEHOLDER.findall(text)


def missing(texts: Iterable[str], values: Mapping[str, str | None]) -> list[str]:
    """The placeholders in ``texts`` that have no value for this voter."""
    return [name for text in texts for name in placeholders_in(text) if values.get(name) is None]


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """``text`` with every placeholder replaced; the caller has checked nothing is :func:`missing`.

    Only ``{name}`` with a known name is replaced, so other braces in a text stay as written.
    """

    def value(match: object) -> str:
        name = match.group(1)  # type: ignore[attr-defined]
        found = values.get(name)
        return found if found is not None else match.group(0)  # type: ignore[attr-defined]

    return PLACEHOLDER.sub(value, text)
