"""Rasa-shaped entities of one message: regions, TPS numbers and dates.

An ambiguous place ("bekasi") yields one ``region`` entity per candidate over the same span, with
the confidence shared between them, so a flow can ask which one the voter means.
"""

from __future__ import annotations

from datetime import date

from .dates import find_dates, find_tps_numbers
from .regions import find_regions
from .types import Entity


def extract_entities(text: str, today: date | None = None, voting_day: date | None = None) -> tuple[Entity, ...]:
    """Entities in ``text`` (the redacted original), ordered by position. Dates need ``today``."""
    found = [
        Entity("region", region.code, mention.start, mention.end, f"{mention.extractor}",
               round(mention.confidence / len(mention.candidates), 3))
        for mention in find_regions(text)
        for region in mention.candidates
    ]
    found += find_tps_numbers(text)
    if today is not None:
        found += find_dates(text, today, voting_day)
    return tuple(sorted(found, key=lambda e: (e.start, e.entity)))
