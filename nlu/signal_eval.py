"""Scoring segment signals against a labelled set (pure; ``bot`` reads the file and embeds).

A labelled row is ``{"text": ..., "signals": {"issues": [...], "first_time_voter": true|false|null,
"moved_residence": ..., "disability_need": ..., "region": "Kutai Kartanegara"|null, "lang": "id"|"en"}}``.
``null`` means the message says nothing about it; for the yes/no signals only ``true`` is a
positive. ``region`` is the place as the voter meant it: a prediction is right when it names the
same place (official prefix "Kabupaten"/"Kota" and spacing ignored) or one of the gold name's
official regions; "Bekasi" answered with both Bekasis is right for "Bekasi".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .regions import bare_name, find_regions, region_by_code
from .types import Signal

BOOLEAN_SIGNALS = ("first_time_voter", "moved_residence", "disability_need")
LANGUAGES = ("id", "en")


class LabelledSetError(ValueError):
    """A labelled file that does not follow the format; the message names the line."""


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    issues: frozenset[str]
    flags: dict[str, bool | None]
    region: str | None
    lang: str | None


@dataclass(frozen=True, slots=True)
class Prediction:
    issues: frozenset[str]
    flags: frozenset[str]
    region_codes: tuple[str, ...]
    lang: str | None


@dataclass(slots=True)
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, gold: bool) -> None:
        self.tp += predicted and gold
        self.fp += predicted and not gold
        self.fn += gold and not predicted

    def scores(self) -> dict[str, float | int]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "support": self.tp + self.fn}


@dataclass(slots=True)
class Report:
    """Per-signal precision/recall, region accuracy, and the rows that went wrong."""

    scores: dict[str, dict[str, float | int]]
    per_issue: dict[str, dict[str, float | int]]
    region_accuracy: float
    region_accuracy_named: float
    rows: int
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {**self.scores, "region_accuracy": round(self.region_accuracy, 4),
                "region_accuracy_named": round(self.region_accuracy_named, 4), "rows": self.rows}


def read_labelled(lines: Iterable[str]) -> list[Labelled]:
    """Parse JSONL lines; blank lines are skipped, anything malformed raises LabelledSetError."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            signals = row["signals"]
            issues = signals.get("issues") or []
            if not isinstance(row["text"], str) or not isinstance(issues, list):
                raise TypeError("text must be a string and issues a list")
            flags = {name: signals.get(name) for name in BOOLEAN_SIGNALS}
            if any(v not in (True, False, None) for v in flags.values()):
                raise TypeError("yes/no signals must be true, false or null")
            region = signals.get("region")
            rows.append(Labelled(row["text"], frozenset(map(str, issues)), flags,
                                 str(region) if region else None, signals.get("lang")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LabelledSetError(f"line {number}: {exc}") from None
    return rows


def prediction_from(signals: Sequence[Signal], lang: str | None) -> Prediction:
    """What a set of extracted signals claims, in the labelled set's terms."""
    region = next((s.value for s in signals if s.name == "region"), "")
    return Prediction(
        issues=frozenset(s.value for s in signals if s.name == "issue"),
        flags=frozenset(s.name for s in signals if s.name in BOOLEAN_SIGNALS and s.value == "true"),
        region_codes=tuple(c for c in region.split("|") if c),
        lang=lang,
    )


def region_matches(gold: str | None, codes: Sequence[str]) -> bool:
    """Whether predicted region ``codes`` name the place ``gold`` (``None`` = no place)."""
    if gold is None or not codes:
        return gold is None and not codes
    names = {_name_key(r.name) for r in map(region_by_code, codes) if r is not None}
    if _name_key(gold) in names:
        return True
    gold_codes = {c.code for m in find_regions(gold)[:1] for c in m.candidates}
    return bool(gold_codes & set(codes))


def score(rows: Sequence[Labelled], predictions: Sequence[Prediction]) -> Report:
    counts = {name: _Counts() for name in ("issues", *BOOLEAN_SIGNALS)}
    languages = {lang: _Counts() for lang in LANGUAGES}
    issues = sorted({i for r in rows for i in r.issues} | {i for p in predictions for i in p.issues})
    per_issue = {issue: _Counts() for issue in issues}
    region_right = named = named_right = 0
    errors = []
    for row, pred in zip(rows, predictions, strict=True):
        for issue in issues:
            per_issue[issue].add(issue in pred.issues, issue in row.issues)
            counts["issues"].add(issue in pred.issues, issue in row.issues)
        for name in BOOLEAN_SIGNALS:
            counts[name].add(name in pred.flags, row.flags[name] is True)
        for lang in LANGUAGES:
            languages[lang].add(pred.lang == lang, row.lang == lang)
        right = region_matches(row.region, pred.region_codes)
        region_right += right
        named += row.region is not None
        named_right += right and row.region is not None
        wrong = [n for n in BOOLEAN_SIGNALS if (n in pred.flags) != (row.flags[n] is True)]
        if pred.issues != row.issues:
            wrong.append(f"issues {sorted(pred.issues)} != {sorted(row.issues)}")
        if not right:
            wrong.append(f"region {_describe(pred.region_codes)} != {row.region}")
        if wrong:
            errors.append(f"{row.text!r}: {'; '.join(wrong)}")
    scores = {name: c.scores() for name, c in counts.items()}
    lang_scores = [languages[lang].scores() for lang in LANGUAGES]
    scores["lang"] = {
        "precision": round(sum(s["precision"] for s in lang_scores) / len(LANGUAGES), 4),
        "recall": round(sum(s["recall"] for s in lang_scores) / len(LANGUAGES), 4),
        "support": len(rows),
    }
    total = len(rows) or 1
    return Report(scores, {i: c.scores() for i, c in per_issue.items()}, region_right / total,
                  named_right / named if named else 1.0, len(rows), errors)


def _describe(codes: Sequence[str]) -> str:
    names = [bare_name(r.name) for r in map(region_by_code, codes) if r is not None]
    return "/".join(dict.fromkeys(names)) or "none"


def _name_key(name: str) -> str:
    key = bare_name(name).casefold()
    return re.sub(r"[^a-z]", "", re.sub(r"^(provinsi|kabupaten|kota) ", "", key))
