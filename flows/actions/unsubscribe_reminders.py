"""``unsubscribe_reminders``: stop the reminders of a topic (``all`` stops every topic).

Example::

    - id: unsubscribe
      action: unsubscribe_reminders
      with: {topic: "all"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Unsubscribe

if TYPE_CHECKING:
    from ..run import Run

ARGS = frozenset({"topic"})
REQUIRED = ARGS


def execute(args: dict[str, str], run: "Run") -> str | None:
    topic = args["topic"].strip() or "all"
    run.events.append(Unsubscribe(topic))
    return topic
