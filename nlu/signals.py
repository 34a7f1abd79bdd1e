"""Segment signals from precise rules over the normalised text.

Each rule names itself in the signal's ``source`` and keeps the matched span of the original
text as evidence, so a staff member can see why a voter is in a segment. Religion, ethnicity
and party preference are never inferred.
"""

from __future__ import annotations

import re

from .types import Signal

_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "first_time_voter",
        "true",
        re.compile(r"\b(?:pertama kali|baru pertama)\b.{0,20}\b(?:mencoblos|memilih|pemilu|milih|nyoblos|coblos)\b|\bfirst time vot\w*"),
    ),
    (
        "moved_residence",
        "true",
        re.compile(r"\bpindah (?:rumah|domisili|alamat|kota)\b|\bmerantau\b|\bmoved (?:house|city|to)\b"),
    ),
)


def extract_signals(normalised: str) -> tuple[Signal, ...]:
    """Return every rule-based signal found in ``normalised`` text."""
    found = []
    for name, value, pattern in _RULES:
        match = pattern.search(normalised)
        if match:
            found.append(Signal(name=name, value=value, confidence=0.9, evidence=match.group(0), source=f"rule:{name}"))
    return tuple(found)
