"""``record_report``: record a voter's report (a violation, money politics) for staff.

Example::

    - id: save
      action: record_report
      with: {kind: "money_politics", what: "{what}", where: "{where}", when: "{when}"}

Emits an ``ActionRequest("record_report", ...)`` that ``bot`` stores as a report row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import ActionRequest

if TYPE_CHECKING:
    from ..run import Run

ARGS = frozenset({"kind", "what", "where", "when"})
REQUIRED = frozenset({"kind", "what"})


def execute(args: dict[str, str], run: "Run") -> str | None:
    run.events.append(ActionRequest("record_report", {key: args.get(key, "") for key in sorted(ARGS)}))
    return "ok"
