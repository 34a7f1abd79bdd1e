"""Turning the entry editor's form into an FAQ entry (and an entry back into form values)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Mapping

from knowledge import FaqEntry
from knowledge.types import Source

LANGUAGES = ("id", "en")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
MAX_FIELD = 4000


class FormProblem(ValueError):
    """A field that cannot be read; ``field`` names it for the page."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def form_values(entry: FaqEntry) -> dict[str, str]:
    """The editor's fields for ``entry``."""
    values = {"entry_id": entry.id, "phrasings": "\n".join(entry.phrasings),
              "source_title": entry.source.title, "source_url": entry.source.url,
              "reviewed_on": entry.reviewed_on.isoformat() if entry.reviewed_on else ""}
    for language in LANGUAGES:
        values[f"question_{language}"] = entry.question.get(language, "")
        values[f"answer_{language}"] = entry.answer.get(language, "")
    return values


def blank_entry(entry_id: str = "") -> FaqEntry:
    return FaqEntry(id=entry_id, question={}, phrasings=(), answer={}, topics=(), source=Source("", ""),
                    reviewed_on=None)


def entry_from_form(form: Mapping[str, object], existing: FaqEntry | None, today: date) -> FaqEntry:
    """The entry the form describes: ``existing`` with the edited fields (a new entry when
    ``existing`` is None). Raises :class:`FormProblem`."""
    value = {key: str(form.get(key, "") or "").replace("\r\n", "\n").strip()[:MAX_FIELD] for key in (
        "entry_id", "phrasings", "source_title", "source_url", "reviewed_on",
        *(f"{part}_{language}" for part in ("question", "answer") for language in LANGUAGES))}
    entry_id = existing.id if existing else value["entry_id"]
    if not _ID.match(entry_id):
        raise FormProblem("id", "id: 2-64 huruf kecil, angka atau '-' / 2-64 lowercase letters, digits or '-'")
    try:
        reviewed_on = date.fromisoformat(value["reviewed_on"]) if value["reviewed_on"] else None
    except ValueError:
        raise FormProblem("reviewed_on", "reviewed_on: bukan tanggal TTTT-BB-HH / not a YYYY-MM-DD date") from None
    phrasings = tuple(dict.fromkeys(line.strip() for line in value["phrasings"].splitlines() if line.strip()))
    return replace(
        existing or blank_entry(entry_id),
        question={lang: value[f"question_{lang}"] for lang in LANGUAGES if value[f"question_{lang}"]},
        answer={lang: value[f"answer_{lang}"] for lang in LANGUAGES if value[f"answer_{lang}"]},
        phrasings=phrasings,
        source=Source(value["source_title"], value["source_url"]),
        reviewed_on=reviewed_on or (None if existing else today),
    )
