"""``subscribe_reminders``: subscribe the voter to reminders of a topic — only with consent.

Example::

    - id: subscribe
      action: subscribe_reminders
      with: {topic: "{topic}"}
      on_failure: ask_consent     # taken when the voter has not given consent

Topics: ``voting_day`` (the day before and the morning of voting day), ``dpt`` (voter list
deadlines), ``all``. Fails without consent: no subscription without consent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Subscribe

if TYPE_CHECKING:
    from ..run import Run

ARGS = frozenset({"topic"})
REQUIRED = ARGS
TOPICS = frozenset({"voting_day", "dpt", "all"})


def execute(args: dict[str, str], run: "Run") -> str | None:
    topic = args["topic"].strip()
    if run.consent is not True or topic not in TOPICS:
        return None
    run.events.append(Subscribe(topic))
    return topic
