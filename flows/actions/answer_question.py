"""``answer_question``: answer a question from the knowledge base.

Example::

    - id: answer
      action: answer_question
      with: {question: "{answer}"}
      on_failure: no_answer

Replies with the answer and its source. When the knowledge base abstains, the question is
queued for staff (``QueueUnanswered``) and the action fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge import Abstain

from ..events import QueueUnanswered

if TYPE_CHECKING:
    from ..run import Run

ARGS = frozenset({"question"})
REQUIRED = ARGS


def execute(args: dict[str, str], run: "Run") -> str | None:
    question = args["question"].strip()
    if not question:
        return None
    result = run.context.knowledge.answer(question, today=run.turn.now.date())
    if isinstance(result, Abstain):
        run.events.append(QueueUnanswered(question, result.candidates))
        return None
    entry = result.entry
    run.say(answer_text(entry.answer_in(run.language), entry.source.title, entry.source.url), answer_id=entry.id)
    return entry.id


def answer_text(answer: str, source_title: str, source_url: str) -> str:
    """An answer with its source on a line of its own."""
    source = f"\n\n{source_title}: {source_url}" if source_url else ""
    return answer + source
