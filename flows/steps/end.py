"""``end``: finish the flow, optionally with a last message.

Example::

    - id: done
      end:
        id: "Terima kasih! Ketik menu untuk kembali ke menu."
        en: "Thank you! Type menu to go back to the menu."

    - id: stop
      end: true                # finish without a message
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import Handover
from ..model import Problems, Step, Text, parse_text
from ..run import END, Outcome, Run
from ..yaml_source import Mapping, Pos

KEY = "end"
KEYS = {"end"}


@dataclass(frozen=True, slots=True)
class EndStep(Step):
    KEY = KEY
    text: Text | None = None

    def targets(self) -> list[tuple[str, Pos]]:
        return []

    def texts(self) -> list[tuple[str, Pos]]:
        return self.texts_of(self.text)

    def execute(self, run: Run) -> Outcome:
        """The last message confirms what the flow did: a handover when it asked for a person."""
        if self.text is not None:
            run.say(self.text, kind="handover" if any(isinstance(e, Handover) for e in run.events) else "confirm")
        return END


def parse(raw: Mapping, id: str, next: str | None, problems: Problems) -> EndStep:
    if raw["end"] is True:
        return EndStep(id, raw.pos, None)
    return EndStep(id, raw.pos, None, parse_text(raw["end"], raw.at("end"), problems))
