"""``record_consent``: record that the voter agreed to (``yes``) or refused (``no``) the consent text.

Example::

    - id: agreed
      action: record_consent
      with: {granted: "yes"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import RecordConsent
from ..texts import CONSENT_VERSION

if TYPE_CHECKING:
    from ..run import Run

ARGS = frozenset({"granted"})
REQUIRED = ARGS


def execute(args: dict[str, str], run: "Run") -> str | None:
    granted = args["granted"].strip().casefold()
    if granted not in ("yes", "no"):
        return None
    run.consent = granted == "yes"
    run.events.append(RecordConsent(run.consent, CONSENT_VERSION))
    return granted
