"""``answer_question``: answer a question from the knowledge base.

Example::

    - id: answer
      action: answer_question
      with: {question: "{answer}"}
      on_failure: no_answer

Replies with the answer and its source. When two entries are about equally close, it asks
which one was meant (buttons that answer either) and queues the question for staff as
``clarified``. When the knowledge base abstains, the question is queued for staff
(``QueueUnanswered``, ``abstained``) and the action fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge import Abstain, Clarify
from knowledge.hoaxes import HoaxMatch
from nlu import Language

from ..events import Button, QueueUnanswered, Reply
from ..model import PAYLOAD_QUESTION
from ..texts import text

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
    if isinstance(result, Clarify):
        run.events += [QueueUnanswered(question, result.candidates, kind="clarified"), clarify_reply(result, run.language)]
        return result.options[0].id
    entry = result.entry
    run.say(answer_text(entry.answer_in(run.language), entry.source.title, entry.source.url), answer_id=entry.id)
    return entry.id


def answer_text(answer: str, source_title: str, source_url: str) -> str:
    """An answer with its source on a line of its own."""
    source = f"\n\n{source_title}: {source_url}" if source_url else ""
    return answer + source


def clarify_reply(result: Clarify, language: Language) -> Reply:
    """Ask which of two close entries the voter meant; each button answers one of them."""
    buttons = tuple(Button(option.question_in(language)[:60], PAYLOAD_QUESTION + option.id) for option in result.options)
    return Reply(text("clarify", language), buttons, kind="clarify")


def correction_reply(match: HoaxMatch, language: Language) -> Reply:
    """The correction of the hoax the voter repeated, with the name and link of its public source."""
    hoax = match.hoax
    return Reply(answer_text(hoax.correction_in(language), hoax.source_name, hoax.source_url),
                 answer_id=f"hoax:{hoax.id}", kind="correction")
