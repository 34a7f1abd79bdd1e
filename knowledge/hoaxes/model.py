"""Plain data for hoax corrections: a claim that circulated, the correction and its source, and
the true statements that look like a hoax (which must never be "corrected")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from nlu import Language

#: What a fact-check concluded: false outright, or true facts bent into a false conclusion.
VERDICTS = frozenset({"hoaks", "misleading", "menyesatkan"})


@dataclass(frozen=True, slots=True)
class Hoax:
    """A claim that circulated, with the public correction by KPU, Bawaslu, Komdigi or a fact-checker
    citing them. ``claim`` and ``correction`` map language to text."""

    id: str
    claim: dict[str, str]
    phrasings: tuple[str, ...]
    verdict: str
    correction: dict[str, str]
    source_name: str
    source_url: str
    checked_on: date | None
    published_on: date | None = None
    election: str = ""
    file: str = ""
    line: int = 0
    phrasing_lines: tuple[int, ...] = ()
    field_lines: dict[str, int] = field(default_factory=dict)

    def correction_in(self, language: Language) -> str:
        """The correction in ``language``, falling back to Indonesian."""
        return self.correction.get(language) or self.correction.get("id") or next(iter(self.correction.values()))

    def texts(self) -> tuple[str, ...]:
        """What a voter repeating the claim may resemble: the claim in each language and the phrasings."""
        return (*self.claim.values(), *self.phrasings)


@dataclass(frozen=True, slots=True)
class NearTrue:
    """A true statement that shares words with hoax ``hoax_id``; ``why_true`` says why."""

    hoax_id: str
    text: str
    why_true: str
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class HoaxMatch:
    """The voter's message repeats or asks about ``hoax`` (``probability``: the fitted model's)."""

    hoax: Hoax
    probability: float
    similarity: float
