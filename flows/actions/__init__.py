"""The named actions an ``action`` step can call, one module each.

An action reads its arguments and the turn, appends events, and returns its result text
(saved with ``save_as``) or ``None`` when it fails (the step then goes to ``on_failure``).
Actions never do I/O: what needs the database (a report, a subscription) becomes an event
that ``bot`` applies; what needs data (TPS, knowledge) reads what ``bot`` loaded into the
:class:`~flows.run.Context`.
"""

from __future__ import annotations

from types import ModuleType

from . import answer_question, handover, lookup_tps, record_consent, record_report, subscribe_reminders, unsubscribe_reminders

ACTIONS: dict[str, ModuleType] = {
    module.__name__.rsplit(".", 1)[1]: module
    for module in (answer_question, handover, lookup_tps, record_consent, record_report, subscribe_reminders,
                   unsubscribe_reminders)
}
