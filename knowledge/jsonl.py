"""Converting entries to and from the JSONL shape of public FAQ benchmarks.

``kb.jsonl`` rows: ``{"answer_id", "answer", "answer_en"?}``; ``kb_questions.jsonl`` rows:
``{"query", "answer_id"}``. Reading and writing the files is the caller's job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from .types import FaqEntry, Source


class JsonlFormatError(ValueError):
    """A row that cannot be used: ``rows`` says which file ("kb" or "questions"), ``line`` which row."""

    def __init__(self, rows: str, line: int, reason: str) -> None:
        super().__init__(f"{rows} line {line}: {reason}")
        self.rows, self.line, self.reason = rows, line, reason


def entries_from_rows(
    kb_rows: Iterable[tuple[int, Mapping[str, object]]],
    question_rows: Iterable[tuple[int, Mapping[str, object]]] = (),
    *,
    reviewed_on: date | None = None,
    source: str = "",
) -> list[FaqEntry]:
    """Build entries from numbered rows (line number, parsed object).

    Public datasets carry no provenance: entries get ``source`` as their source title and
    ``reviewed_on`` (``None``: not reviewed, which ``suara kb validate`` reports)."""
    phrasings: dict[str, list[str]] = defaultdict(list)
    first_line: dict[str, int] = {}
    for line, row in question_rows:
        query, answer_id = row.get("query"), row.get("answer_id")
        if not isinstance(query, str) or not query.strip() or not isinstance(answer_id, str):
            raise JsonlFormatError("questions", line, "a question needs a text 'query' and an 'answer_id'")
        phrasings[answer_id].append(query)
        first_line.setdefault(answer_id, line)
    entries: list[FaqEntry] = []
    seen: set[str] = set()
    for line, row in kb_rows:
        answer_id, answer = row.get("answer_id"), row.get("answer")
        if not isinstance(answer_id, str) or not isinstance(answer, str) or not answer.strip():
            raise JsonlFormatError("kb", line, "an entry needs an 'answer_id' and a non-empty 'answer'")
        if answer_id in seen:
            raise JsonlFormatError("kb", line, f"duplicate answer_id {answer_id!r}")
        seen.add(answer_id)
        answers = {"id": answer}
        if isinstance(row.get("answer_en"), str) and row["answer_en"]:
            answers["en"] = str(row["answer_en"])
        entries.append(FaqEntry(
            id=answer_id, question={}, phrasings=tuple(phrasings.get(answer_id, ())), answer=answers,
            topics=(), source=Source(source, ""), reviewed_on=reviewed_on, line=line,
        ))
    unknown = sorted(set(phrasings) - seen, key=first_line.__getitem__)
    if unknown:
        raise JsonlFormatError("questions", first_line[unknown[0]],
                               f"answer_id {unknown[0]!r} is not in the knowledge base")
    return entries


def entries_to_rows(entries: Iterable[FaqEntry]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The ``kb.jsonl`` and ``kb_questions.jsonl`` rows of ``entries`` (questions include the
    canonical questions followed by the phrasings)."""
    kb, questions = [], []
    for entry in entries:
        row = {"answer_id": entry.id, "answer": entry.answer_in("id")}
        if "en" in entry.answer:
            row["answer_en"] = entry.answer["en"]
        kb.append(row)
        for text in (*entry.question.values(), *entry.phrasings):
            questions.append({"query": text, "answer_id": entry.id})
    return kb, questions
