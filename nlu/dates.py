"""Dates and TPS numbers in voter text.

Dates are resolved against ``today`` (and "H-1"/"hari H" against ``voting_day``), both
parameters: the core has no clock. Values are ISO dates ("2026-11-27").
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .types import Entity

_MONTHS = {
    "januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "pebruari": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6,
    "june": 6, "juli": 7, "jul": 7, "july": 7, "agustus": 8, "agu": 8, "agt": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11, "desember": 12, "des": 12, "dec": 12, "december": 12,
}
_RELATIVE = {
    "hari ini": 0, "today": 0, "besok": 1, "bsk": 1, "besuk": 1, "tomorrow": 1, "lusa": 2,
    "kemarin": -1, "kemaren": -1, "yesterday": -1,
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(?:tanggal |tgl |tgl\. )?([0-3]?\d)\s+({_MONTH_NAMES})\.?(?:\s+((?:19|20)\d\d))?\b", re.IGNORECASE
)
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAMES})\s+([0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+((?:19|20)\d\d))?", re.IGNORECASE)
_RELATIVE_RE = re.compile(r"\b(" + "|".join(sorted(_RELATIVE, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_H_DAY = re.compile(r"\b(?:hari\s*h|h)\s*([-+])\s*(\d{1,2})\b|\bhari[\s-]h\b", re.IGNORECASE)
_TPS = re.compile(r"\btps\s*(?:no\.?|nomor|nomer|nmr|number|#)?\s*(\d{1,3})\b", re.IGNORECASE)


def find_dates(text: str, today: date, voting_day: date | None = None) -> tuple[Entity, ...]:
    """Dates named in ``text`` as ``date`` entities with ISO values."""
    found: list[Entity] = []
    for match in _RELATIVE_RE.finditer(text):
        value = today + timedelta(days=_RELATIVE[match.group(1).casefold()])
        found.append(_entity(match, value, "rule:relative_date"))
    for match in _DAY_MONTH.finditer(text):
        value = _calendar_date(int(match.group(1)), _MONTHS[match.group(2).casefold()], match.group(3), today)
        if value is not None:
            found.append(_entity(match, value, "rule:calendar_date"))
    for match in _MONTH_DAY.finditer(text):
        if any(e.start <= match.start() < e.end for e in found):
            continue
        value = _calendar_date(int(match.group(2)), _MONTHS[match.group(1).casefold()], match.group(3), today)
        if value is not None:
            found.append(_entity(match, value, "rule:calendar_date"))
    if voting_day is not None:
        for match in _H_DAY.finditer(text):
            offset = int(match.group(2)) * (-1 if match.group(1) == "-" else 1) if match.group(2) else 0
            found.append(_entity(match, voting_day + timedelta(days=offset), "rule:voting_day"))
    return tuple(sorted(found, key=lambda e: e.start))


def find_tps_numbers(text: str) -> tuple[Entity, ...]:
    """Polling-station numbers: "TPS 12", "tps no 5", "TPS nomor 007" → ``tps`` entities "12", "5", "7"."""
    return tuple(
        Entity("tps", str(int(m.group(1))), m.start(), m.end(), "rule:tps_number")
        for m in _TPS.finditer(text)
        if int(m.group(1)) > 0
    )


def _calendar_date(day: int, month: int, year: str | None, today: date) -> date | None:
    """A day and month, in the given year or else the next such date on or after ``today``."""
    years = [int(year)] if year else [today.year, today.year + 1]
    for candidate_year in years:
        try:
            value = date(candidate_year, month, day)
        except ValueError:
            return None
        if year or value >= today:
            return value
    return None


def _entity(match: re.Match[str], value: date, extractor: str) -> Entity:
    return Entity("date", value.isoformat(), match.start(), match.end(), extractor)
