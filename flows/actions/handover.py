"""``handover``: ask a staff member to take over the conversation.

Example::

    - id: to_staff
      action: handover
      with: {reason: "voter asked for a person"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Handover

if TYPE_CHECKING:
    from ..run import Run

ARGS = frozenset({"reason"})
REQUIRED = frozenset()


def execute(args: dict[str, str], run: "Run") -> str | None:
    run.events.append(Handover(args.get("reason") or f"flow {run.flow.id}"))
    return "ok"
